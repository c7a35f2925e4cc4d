/**
 * A trial engine for testing the pool's crash handling: its first trial ends the thread
 * (exit code 7) and leaves the file named by CRASHING_ENGINE_FLAG behind; once that file
 * exists, the module refuses to load, so a replacement thread cannot start.
 */
import { existsSync, writeFileSync } from 'node:fs';

const flag = process.env.CRASHING_ENGINE_FLAG;
if (flag && existsSync(flag)) throw new Error('crashing engine: refuses to load after its crash');

export function startTrial(): never {
  if (flag) writeFileSync(flag, 'crashed');
  process.exit(7);
}

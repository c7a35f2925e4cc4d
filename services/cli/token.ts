import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ValidationError } from '../../shared/contracts/index.ts';

/** Where `spikesweep serve` keeps the API token it generates, and where `run --server` looks. */
export const DEFAULT_TOKEN_FILE = '.data/api-token';

/**
 * The token `serve` gives its services: SPIKESWEEP_API_TOKEN when set; else the one in `file`
 * (so a restart keeps it); else 32 random bytes as hex, written to `file` with mode 0600.
 * Returns the token and where it came from (never printed: logs would keep it).
 */
export async function ensureApiToken(file: string): Promise<{ token: string; source: 'env' | 'file' | 'generated' }> {
  const fromEnv = process.env.SPIKESWEEP_API_TOKEN;
  if (fromEnv) {
    // The services refuse a shorter token at start-up; say so once here instead of in every restart.
    if (fromEnv.length < 16) throw new ValidationError('spikesweep:invalid-input', [{ path: 'SPIKESWEEP_API_TOKEN', message: 'use at least 16 characters' }]);
    return { token: fromEnv, source: 'env' };
  }
  const existing = await readFile(file, 'utf8').then((t) => t.trim(), () => '');
  if (existing.length >= 16) return { token: existing, source: 'file' };
  const token = randomBytes(32).toString('hex');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return { token, source: 'generated' };
}

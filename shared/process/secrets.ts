import { readFileSync } from 'node:fs';
import { ValidationError } from '../contracts/index.ts';

/** Variables that may instead name a file holding their value: `<KEY>_FILE` (Docker/Kubernetes secrets). */
export const FILE_SECRET_KEYS = ['REDIS_URL', 'MONGO_URL', 'SPIKESWEEP_API_TOKEN'] as const;

/**
 * `env` with each `<KEY>_FILE` of FILE_SECRET_KEYS replaced by the file's content (trimmed),
 * unless KEY itself is set. A file that cannot be read is an error naming the variable; the
 * value is never part of the message.
 */
export function withFileSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const key of FILE_SECRET_KEYS) {
    const file = env[`${key}_FILE`];
    if (!file || env[key]) continue;
    try {
      out[key] = readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new ValidationError('spikesweep:invalid-input', [{ path: `${key}_FILE`, message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}` }]);
    }
  }
  return out;
}

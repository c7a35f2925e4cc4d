/**
 * Where the integration tests find the real services: REDIS_URL and MONGO_URL from the
 * environment, defaulting to what `spikesweep services up` starts (infra/services.sh).
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const MONGO_URL = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017';

/** The repository root (for scripts such as infra/services.sh). */
export const REPO_DIR = fileURLToPath(new URL('../../', import.meta.url));

/** The data dir infra/services.sh uses (pid files, logs), as it computes it. */
export const SERVICES_DATA_DIR = process.env.SPIKESWEEP_DATA_DIR ?? path.join(REPO_DIR, '.data', 'services');

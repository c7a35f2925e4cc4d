/**
 * Where the integration tests find the real services: REDIS_URL and MONGO_URL from the
 * environment, defaulting to what `spikesweep services up` starts (infra/services.sh).
 */
import { spawnSync } from 'node:child_process';
import type { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const MONGO_URL = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017';

/** The repository root (for scripts such as infra/services.sh). */
export const REPO_DIR = fileURLToPath(new URL('../../', import.meta.url));

/** The data dir infra/services.sh uses (pid files, logs), as it computes it. */
export const SERVICES_DATA_DIR = process.env.SPIKESWEEP_DATA_DIR ?? path.join(REPO_DIR, '.data', 'services');

/**
 * Debian's Chromium for browser tests: `SPIKESWEEP_CHROMIUM`, else `chromium` on PATH
 * (`bash infra/services.sh test-tools` installs it). Throws, rather than skipping, when absent.
 */
export function chromiumPath(): string {
  if (process.env.SPIKESWEEP_CHROMIUM) return process.env.SPIKESWEEP_CHROMIUM;
  const found = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' });
  const resolved = found.stdout.trim();
  if (found.status !== 0 || resolved === '') {
    throw new Error('chromium is not on PATH: run `bash infra/services.sh test-tools` (installs Debian\'s chromium)');
  }
  return resolved;
}

/** Deletes every Redis key under a test's BullMQ prefix. */
export async function deleteRedisPrefix(redis: Redis, prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
}

/** Drops a test's MongoDB database on the server at MONGO_URL. */
export async function dropMongoDatabase(dbName: string): Promise<void> {
  const client = await MongoClient.connect(MONGO_URL);
  try {
    await client.db(dbName).dropDatabase();
  } finally {
    await client.close();
  }
}

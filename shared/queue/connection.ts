import { Redis } from 'ioredis';
import { ServiceUnavailableError, SpikeSweepError } from '../contracts/index.ts';

/**
 * Redis connections for BullMQ (which needs `maxRetriesPerRequest: null` on connections that
 * block) and for the platform state. Wraps ioredis; the one place the queue code creates one.
 */
export function connectRedis(url: string, name: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, connectionName: name, lazyConnect: false });
}

/** Waits until Redis answers PING, or throws ServiceUnavailableError after `timeoutMs`. */
export async function waitForRedis(redis: Redis, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await redis.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new ServiceUnavailableError(`Redis not reachable: ${String(error)}`, { cause: error });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * BullMQ needs `maxmemory-policy noeviction`: evicted keys lose jobs and locks. Throws a
 * misconfigured-service error naming the policy found.
 */
export async function assertNoEviction(redis: Redis): Promise<void> {
  const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
  const policy = reply[1] ?? 'unknown';
  if (policy !== 'noeviction') {
    throw new SpikeSweepError('spikesweep:misconfigured-service', `Redis maxmemory-policy is '${policy}'; BullMQ needs 'noeviction'`);
  }
}

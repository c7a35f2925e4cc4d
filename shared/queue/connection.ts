import type { Redis } from 'ioredis';
import { ServiceUnavailableError } from '../contracts/index.ts';

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

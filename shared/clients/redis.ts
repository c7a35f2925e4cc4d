/**
 * The one factory for Redis clients (ioredis). Queues, workers and platform state all take
 * their connection from here, so every client is configured the way BullMQ requires.
 */
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { ServiceUnavailableError, SpikeSweepError } from '../contracts/index.ts';

export interface RedisClientOptions {
  /** Shown by `CLIENT LIST`, e.g. 'worker' or 'scheduler'. */
  connectionName?: string;
  /** Give up on one connection attempt after this long (ioredis then retries with backoff). */
  connectTimeoutMs?: number;
  /** Do not connect until the first command (default: connect at once). */
  lazyConnect?: boolean;
}

/**
 * An ioredis client for `url` (redis://host:port[/db]) configured for BullMQ:
 * `maxRetriesPerRequest: null` (blocking worker commands must wait through reconnects
 * instead of failing) and `enableReadyCheck`. Close it with `closeRedis`.
 */
export function createRedis(url: string, options: RedisClientOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    lazyConnect: options.lazyConnect ?? false,
    ...(options.connectionName === undefined ? {} : { connectionName: options.connectionName }),
  });
}

const closing = new WeakMap<Redis, Promise<void>>();

/**
 * Closes a client made by `createRedis`: QUIT (pending replies are delivered first), or a
 * hard disconnect if the server cannot be reached; resolves once the connection has ended.
 * Safe to call twice, also concurrently.
 */
export function closeRedis(redis: Redis): Promise<void> {
  let done = closing.get(redis);
  if (done === undefined) {
    done = (async () => {
      if (redis.status === 'end') return;
      if (redis.status === 'reconnecting') {
        // the socket is already closed; disconnect() cancels the pending retry (no 'end' follows)
        redis.disconnect();
        return;
      }
      const ended = once(redis, 'end');
      if (redis.status === 'ready') {
        try {
          await redis.quit();
        } catch {
          redis.disconnect();
        }
      } else {
        redis.disconnect();
      }
      // QUIT resolves on the server's OK; the socket closes a moment later
      if (!hasEnded(redis)) await ended;
    })();
    closing.set(redis, done);
  }
  return done;
}

/** A fresh read of the status (TypeScript would keep the narrowing from before an await). */
function hasEnded(redis: Redis): boolean {
  return redis.status === 'end';
}

/**
 * Throws a `spikesweep:misconfigured-service` error unless the server runs with
 * `maxmemory-policy noeviction`: under any other policy Redis may drop BullMQ's jobs and
 * locks (even `volatile-*`, since locks carry TTLs). Reads `INFO memory`, which servers that
 * disable CONFIG still answer.
 */
export async function assertNoEviction(redis: Redis): Promise<void> {
  let info: string;
  try {
    info = await redis.info('memory');
  } catch (error) {
    throw new ServiceUnavailableError(`Redis did not answer INFO memory: ${String(error)}`, { cause: error });
  }
  const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  if (policy !== 'noeviction') {
    throw new SpikeSweepError(
      'spikesweep:misconfigured-service',
      `Redis runs with maxmemory-policy '${policy ?? 'unknown'}'; BullMQ needs 'noeviction' ` +
        `(set it in redis.conf or with CONFIG SET maxmemory-policy noeviction)`,
    );
  }
}

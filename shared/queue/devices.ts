import type { Redis } from 'ioredis';
import { DEFAULT_QUEUE_PREFIX, deviceKey, type DeviceRef } from '../contracts/index.ts';

/**
 * Physical devices in Redis, under the queue prefix:
 * - `<prefix>:device:lease:<pool/id>`  the token of the one trial that holds the device
 *   (SET NX PX: exclusive, expires unless its holder renews it — the heartbeat);
 * - `<prefix>:device:reach:<pool/id>`  sorted set workerId → registration expiry (ms): the
 *   workers that reach the device, each re-registering before its entry expires;
 * - `<prefix>:device:stats:<pool/id>`  hash: `busyMs` (lease time released so far), `leases`,
 *   `firstSeenMs`, and `holder`/`heldSinceMs` of the current lease;
 * - `<prefix>:devices`                 set of every device key ever registered.
 * A trial for device X waits (its job goes back to the queue with a delay) until a worker that
 * reaches X takes the lease; it never runs on another device.
 */

function deviceKeys(prefix: string, key: string) {
  return {
    lease: `${prefix}:device:lease:${key}`,
    reach: `${prefix}:device:reach:${key}`,
    stats: `${prefix}:device:stats:${key}`,
  };
}

/** Renews the lease only while `token` still holds it. */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
/** Releases the lease only while `token` still holds it, adding its time to the statistics. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('del', KEYS[1])
  redis.call('hincrby', KEYS[2], 'busyMs', ARGV[2])
  redis.call('hdel', KEYS[2], 'holder', 'heldSinceMs')
  return 1
else return 0 end`;

/** One trial's hold on one device. */
export class DeviceLease {
  private timer: NodeJS.Timeout | null = null;
  private released = false;

  constructor(
    private readonly redis: Redis,
    private readonly keys: ReturnType<typeof deviceKeys>,
    readonly device: DeviceRef,
    readonly token: string,
    readonly ttlMs: number,
    private readonly acquiredAtMs: number,
  ) {}

  /** Extends the lease by its TTL; false when it was lost (expired and maybe taken by another). */
  async renew(): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, this.keys.lease, this.token, String(this.ttlMs))) === 1;
  }

  /** Renews every `intervalMs` (default a third of the TTL); `onLost` once the lease is gone. */
  keepAlive(onLost: () => void, intervalMs = Math.max(10, Math.floor(this.ttlMs / 3))): void {
    this.stopKeepAlive();
    this.timer = setInterval(() => {
      this.renew().then(
        (held) => {
          if (!held && !this.released) {
            this.stopKeepAlive();
            onLost();
          }
        },
        () => undefined, // a failed renewal is retried on the next tick; the TTL covers two misses
      );
    }, intervalMs);
    this.timer.unref();
  }

  private stopKeepAlive(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Gives the device up (no-op when the lease was lost or already released). */
  async release(): Promise<void> {
    this.stopKeepAlive();
    if (this.released) return;
    this.released = true;
    await this.redis.eval(RELEASE, 2, this.keys.lease, this.keys.stats, this.token, String(Math.max(0, Date.now() - this.acquiredAtMs)));
  }
}

export interface DeviceStatus {
  readonly pool: string;
  readonly id: string;
  /** Workers whose registration has not expired. */
  readonly reachableBy: readonly string[];
  /** Token of the current lease holder (`<trialId>@<workerId>`), or null when free. */
  readonly holder: string | null;
  /** Leased time so far (released leases plus the current one), ms. */
  readonly busyMs: number;
  readonly leases: number;
  /** busyMs / time since the device was first registered. */
  readonly utilisation: number;
}

export class DeviceLeases {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = DEFAULT_QUEUE_PREFIX,
  ) {}

  /** Takes the device for `holder` unless another holds it; null when it is taken. */
  async acquire(device: DeviceRef, holder: string, ttlMs: number): Promise<DeviceLease | null> {
    const keys = deviceKeys(this.prefix, deviceKey(device));
    const ok = await this.redis.set(keys.lease, holder, 'PX', ttlMs, 'NX');
    if (ok !== 'OK') return null;
    const now = Date.now();
    await this.redis.multi().hincrby(keys.stats, 'leases', 1).hset(keys.stats, { holder, heldSinceMs: String(now) }).exec();
    return new DeviceLease(this.redis, keys, device, holder, ttlMs, now);
  }

  /** The current holder's token, or null. */
  async holder(device: DeviceRef): Promise<string | null> {
    return this.redis.get(deviceKeys(this.prefix, deviceKey(device)).lease);
  }

  /** Records that `workerId` reaches these devices for the next `ttlMs` (call again before it runs out). */
  async register(workerId: string, devices: readonly DeviceRef[], ttlMs: number): Promise<void> {
    if (devices.length === 0) return;
    const now = Date.now();
    const m = this.redis.multi();
    for (const d of devices) {
      const key = deviceKey(d);
      const keys = deviceKeys(this.prefix, key);
      m.zadd(keys.reach, now + ttlMs, workerId).zremrangebyscore(keys.reach, '-inf', now).sadd(`${this.prefix}:devices`, key).hsetnx(keys.stats, 'firstSeenMs', String(now));
    }
    await m.exec();
  }

  /** Removes `workerId`'s registrations (shutdown). */
  async unregister(workerId: string, devices: readonly DeviceRef[]): Promise<void> {
    if (devices.length === 0) return;
    const m = this.redis.multi();
    for (const d of devices) m.zrem(deviceKeys(this.prefix, deviceKey(d)).reach, workerId);
    await m.exec();
  }

  /** Workers that currently reach `device`. */
  async reachableBy(device: DeviceRef): Promise<string[]> {
    return this.redis.zrangebyscore(deviceKeys(this.prefix, deviceKey(device)).reach, Date.now(), '+inf');
  }

  /** Every registered device with its reachability, holder and utilisation. */
  async list(): Promise<DeviceStatus[]> {
    const all = (await this.redis.smembers(`${this.prefix}:devices`)).sort();
    const now = Date.now();
    const out: DeviceStatus[] = [];
    for (const key of all) {
      const slash = key.indexOf('/');
      const device = { pool: key.slice(0, slash), id: key.slice(slash + 1) };
      const keys = deviceKeys(this.prefix, key);
      const [reach, holder, stats] = await Promise.all([this.redis.zrangebyscore(keys.reach, now, '+inf'), this.redis.get(keys.lease), this.redis.hgetall(keys.stats)]);
      const current = holder !== null && stats.heldSinceMs ? now - Number(stats.heldSinceMs) : 0;
      const busyMs = Number(stats.busyMs ?? 0) + current;
      const since = now - Number(stats.firstSeenMs ?? now);
      out.push({ ...device, reachableBy: reach, holder, busyMs, leases: Number(stats.leases ?? 0), utilisation: since > 0 ? Math.min(1, busyMs / since) : 0 });
    }
    return out;
  }
}

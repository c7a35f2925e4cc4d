/** Device leases and registrations (shared/queue/devices.ts) on the real Redis: exclusive, heartbeat, expiry, utilisation. */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedis, createRedis } from '../shared/clients/redis.ts';
import { DeviceLeases } from '../shared/queue/devices.ts';
import { createEmbeddedStore } from '../shared/store/index.ts';
import { AccessEnv, accessPolicy, listen } from '../shared/http/index.ts';
import { createResultsApp } from '../shared/results-app/app.ts';
import { REDIS_URL, deleteRedisPrefix } from './support/services.ts';

const prefix = `test-devices-${randomUUID().slice(0, 8)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('device leases on Redis', () => {
  let redis: Redis;
  let other: Redis;
  beforeAll(() => {
    redis = createRedis(REDIS_URL, { connectionName: 'test-devices' });
    other = createRedis(REDIS_URL, { connectionName: 'test-devices-2' });
  });
  afterAll(async () => {
    await deleteRedisPrefix(redis, prefix);
    await closeRedis(redis);
    await closeRedis(other);
  });

  it('two trials never hold one device: of 20 concurrent claims from two clients exactly one wins', async () => {
    const device = { pool: 'lab', id: 'race' };
    const a = new DeviceLeases(redis, prefix);
    const b = new DeviceLeases(other, prefix);
    const claims = await Promise.all(Array.from({ length: 20 }, (_, k) => (k % 2 ? a : b).acquire(device, `trial-${k}@w`, 5000)));
    const winners = claims.filter((l) => l !== null);
    expect(winners).toHaveLength(1);
    expect(await a.holder(device)).toBe(winners[0]!.token);
    await winners[0]!.release();
    expect(await a.holder(device)).toBeNull();
    expect(await b.acquire(device, 'next@w', 5000)).not.toBeNull();
  });

  it('the heartbeat keeps a lease past its TTL; a holder that stops beating loses it, and cannot release its successor', async () => {
    const leases = new DeviceLeases(redis, prefix);
    const device = { pool: 'lab', id: 'beat' };
    const kept = (await leases.acquire(device, 'alive@w1', 300))!;
    let lost = false;
    kept.keepAlive(() => (lost = true), 60);
    await sleep(700);
    expect(lost).toBe(false);
    expect(await leases.holder(device)).toBe('alive@w1');
    await kept.release();

    const dead = (await leases.acquire(device, 'dead@w2', 200))!; // never renewed: its worker died
    expect(await leases.acquire(device, 'waiting@w3', 200)).toBeNull();
    await sleep(350);
    const successor = (await leases.acquire(device, 'successor@w3', 5000))!;
    expect(successor).not.toBeNull();
    expect(await dead.renew()).toBe(false);
    await dead.release();
    expect(await leases.holder(device)).toBe('successor@w3');
    await successor.release();
  });

  it('a lease lost while kept alive is reported once', async () => {
    const leases = new DeviceLeases(redis, prefix);
    const device = { pool: 'lab', id: 'stolen' };
    const lease = (await leases.acquire(device, 'mine@w', 5000))!;
    let lost = 0;
    lease.keepAlive(() => lost++, 30);
    await redis.set(`${prefix}:device:lease:lab/stolen`, 'someone-else'); // e.g. expired during a network partition and re-taken
    await sleep(150);
    expect(lost).toBe(1);
    await lease.release();
    expect(await leases.holder(device)).toBe('someone-else');
  });

  it('registrations expire unless renewed; the list reports reachability, holder and utilisation', async () => {
    const leases = new DeviceLeases(redis, prefix);
    const x = { pool: 'pool-a', id: 'x' };
    const y = { pool: 'pool-a', id: 'y' };
    await leases.register('w1', [x, y], 5000);
    await leases.register('w2', [x], 150);
    expect((await leases.reachableBy(x)).sort()).toEqual(['w1', 'w2']);
    await sleep(250);
    expect(await leases.reachableBy(x)).toEqual(['w1']);
    const lease = (await leases.acquire(x, 'trial@w1', 5000))!;
    await sleep(100);
    await lease.release();
    const list = (await leases.list()).filter((d) => d.pool === 'pool-a');
    expect(list.map((d) => d.id)).toEqual(['x', 'y']);
    const [sx, sy] = list as [(typeof list)[0], (typeof list)[0]];
    expect(sx.reachableBy).toEqual(['w1']);
    expect(sx.holder).toBeNull();
    expect(sx.leases).toBe(1);
    expect(sx.busyMs).toBeGreaterThanOrEqual(90);
    expect(sx.utilisation).toBeGreaterThan(0);
    expect(sx.utilisation).toBeLessThanOrEqual(1);
    expect(sy.busyMs).toBe(0);
    await leases.unregister('w1', [y]);
    expect(await leases.reachableBy(y)).toEqual([]);
  });

  it('the results API lists per-device utilisation for the dashboard', async () => {
    const leases = new DeviceLeases(redis, prefix);
    const device = { pool: 'pool-api', id: 'bss2-1' };
    await leases.register('w9', [device], 5000);
    const lease = (await leases.acquire(device, 'trial-x@w9', 5000))!;
    const store = await createEmbeddedStore();
    const http = await listen(createResultsApp(store, { readiness: {}, access: accessPolicy(AccessEnv.parse({}), '127.0.0.1'), devices: () => leases.list() }), 0, '127.0.0.1');
    try {
      const body = (await (await fetch(`http://127.0.0.1:${http.port}/api/devices`)).json()) as { devices: { pool: string; id: string; holder: string | null; reachableBy: string[]; utilisation: number }[] };
      expect(body.devices.find((d) => d.pool === 'pool-api')).toMatchObject({ id: 'bss2-1', holder: 'trial-x@w9', reachableBy: ['w9'] });
    } finally {
      await lease.release();
      await http.close();
      await store.close();
    }
  });
});

/** The platform's Redis state (checkpoints, early-stopping rungs, final markers, sweep states) on the real Redis. */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedis, createRedis } from '../shared/clients/redis.ts';
import { FinalMarkers, RedisCheckpointStore, RedisRungStore, SweepStates } from '../shared/queue/state.ts';
import { EarlyStopper } from '../shared/sweep/early-stopping.ts';
import { REDIS_URL, deleteRedisPrefix } from './support/services.ts';

const prefix = `test-state-${randomUUID().slice(0, 8)}`;

describe('Redis platform state', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = createRedis(REDIS_URL, { connectionName: 'test-state' });
  });
  afterAll(async () => {
    await deleteRedisPrefix(redis, prefix);
    await closeRedis(redis);
  });

  it('checkpoints: save, load, delete, with a TTL', async () => {
    const store = new RedisCheckpointStore(redis, prefix);
    const checkpoint = { trialId: 'a'.repeat(24), epochsDone: 2, epochs: [], elapsedWallTimeMs: 5, state: { w: [1.5, -2] } };
    expect(await store.load(checkpoint.trialId)).toBeNull();
    await store.save(checkpoint);
    expect(await store.load(checkpoint.trialId)).toEqual(checkpoint);
    expect(await redis.ttl(`${prefix}:checkpoint:${checkpoint.trialId}`)).toBeGreaterThan(0);
    await store.delete(checkpoint.trialId);
    expect(await store.load(checkpoint.trialId)).toBeNull();
  });

  it('ASHA across processes: rung values are shared through Redis', async () => {
    const rule = { kind: 'asha', minEpochs: 1, reductionFactor: 2 } as const;
    // Two stores = two worker processes.
    const a = new EarlyStopper(rule, new RedisRungStore(redis, prefix), 'sweep', 'a', 8);
    const b = new EarlyStopper(rule, new RedisRungStore(createRedisShared(), prefix), 'sweep', 'b', 8);
    expect(await a.afterEpoch(1, 0.8)).toBe('continue');
    expect(await b.afterEpoch(1, 0.6)).toBe('prune');
    expect(await new RedisRungStore(redis, prefix).record('sweep', 1, 'c', 0.9)).toEqual(expect.arrayContaining([0.8, 0.6]));
  });

  it('final markers and sweep states', async () => {
    const finals = new FinalMarkers(redis, prefix);
    await finals.mark('t1', 'completed');
    expect(await finals.has('t1')).toBe(true);
    expect(await finals.which(['t0', 't1', 't2'])).toEqual(new Set(['t1']));
    const states = new SweepStates(redis, prefix);
    const state = { sweepId: 's1', name: 'n', status: 'running' as const, planned: 2, createdAt: new Date().toISOString(), priority: 5 };
    expect(await states.create(state, ['t1', 't2'])).toBe(true);
    expect(await states.create({ ...state, name: 'other' }, [])).toBe(false);
    expect(await states.get('s1')).toEqual(state);
    expect(await states.trialIds('s1')).toEqual(['t1', 't2']);
    await states.setStatus('s1', 'cancelled');
    expect(await states.status('s1')).toBe('cancelled');
    expect((await states.list(0, 10)).map((s) => s.sweepId)).toEqual(['s1']);
    expect(await states.get('nope')).toBeNull();
  });

  const extra: Redis[] = [];
  function createRedisShared(): Redis {
    const client = createRedis(REDIS_URL);
    extra.push(client);
    return client;
  }
  afterAll(async () => {
    for (const c of extra) await closeRedis(c);
  });
});

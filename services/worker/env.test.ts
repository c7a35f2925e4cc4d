import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/contracts/index.ts';
import { parseEnv } from './env.ts';

describe('worker env', () => {
  it('fills the defaults: concurrency = cores, 30 s locks', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      REDIS_URL: 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: 'spikesweep',
      WORKER_CONCURRENCY: availableParallelism(),
      WORKER_PORT: 8081,
      LOCK_DURATION_MS: 30_000,
      STALLED_INTERVAL_MS: 30_000,
    });
    expect(env.WORKER_ID).toMatch(/:\d+$/);
    expect(env.TRIAL_ENGINE_MODULE).toBeUndefined();
  });

  it('coerces numbers, treats empty values as unset, ignores unknown variables', () => {
    const env = parseEnv({ WORKER_CONCURRENCY: '3', LOCK_DURATION_MS: '5000', WORKER_PORT: '', PATH: '/bin' });
    expect(env.WORKER_CONCURRENCY).toBe(3);
    expect(env.LOCK_DURATION_MS).toBe(5000);
    expect(env.WORKER_PORT).toBe(8081);
  });

  it('names the variable that is wrong', () => {
    for (const [key, value] of [
      ['WORKER_CONCURRENCY', '0'],
      ['REDIS_URL', 'not a url'],
      ['QUEUE_PREFIX', 'a:b'],
      ['LOCK_DURATION_MS', '10'],
    ] as const) {
      try {
        parseEnv({ [key]: value });
        expect.unreachable(`${key}=${value} should fail`);
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).issues[0]?.path).toBe(key);
      }
    }
  });

  it('parses the devices a worker reaches, with a per-device timeout default, and names a bad entry', () => {
    expect(parseEnv({}).WORKER_DEVICES).toEqual([]);
    const env = parseEnv({ WORKER_DEVICES: JSON.stringify([{ pool: 'lab', id: 'bss2-1', address: 'grpc://10.0.0.5:7070' }, { pool: 'lab', id: 'x', address: 'emulated:?mismatchSeed=2', timeoutMs: 500 }]) });
    expect(env.WORKER_DEVICES).toEqual([
      { pool: 'lab', id: 'bss2-1', address: 'grpc://10.0.0.5:7070', timeoutMs: 30_000 },
      { pool: 'lab', id: 'x', address: 'emulated:?mismatchSeed=2', timeoutMs: 500 },
    ]);
    expect(() => parseEnv({ WORKER_DEVICES: 'lab/x' })).toThrow(/WORKER_DEVICES: must be a JSON array/);
    expect(() => parseEnv({ WORKER_DEVICES: JSON.stringify([{ pool: 'lab', address: 'a' }]) })).toThrow(/WORKER_DEVICES\[0\]\.id: Invalid input/);
  });
});

import { describe, expect, it } from 'vitest';
import { parseEnv } from './env.ts';

describe('results service env', () => {
  it('fills every default', () => {
    expect(parseEnv({})).toEqual({
      REDIS_URL: 'redis://127.0.0.1:6379',
      MONGO_URL: 'mongodb://127.0.0.1:27017',
      MONGO_DB: 'spikesweep',
      QUEUE_PREFIX: 'spikesweep',
      RESULTS_MAX_IN_FLIGHT: 512,
      RESULTS_BATCH_SIZE: 256,
      RESULTS_DRAIN_TIMEOUT_MS: 10_000,
      RESULTS_PORT: 8090,
      RESULTS_HOST: '127.0.0.1',
      DASHBOARD_POLL_MS: 5000,
      SPIKESWEEP_SUBMIT_RATE_LIMIT: 60,
      SPIKESWEEP_SUBMIT_RATE_WINDOW_MS: 60_000,
    });
  });

  it('coerces numbers, treats empty values as unset, and names bad variables', () => {
    expect(parseEnv({ RESULTS_PORT: '0', MONGO_DB: '' })).toMatchObject({ RESULTS_PORT: 0, MONGO_DB: 'spikesweep' });
    let caught: unknown;
    try {
      parseEnv({ RESULTS_PORT: '70000', MONGO_DB: 'a.b' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'spikesweep:invalid-input' });
    expect((caught as { issues: { path: string }[] }).issues.map((i) => i.path).sort()).toEqual(['MONGO_DB', 'RESULTS_PORT']);
  });
});

import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/contracts/index.ts';
import { redactEnv } from '../../shared/process/index.ts';
import { parseEnv } from './env.ts';

describe('scheduler env', () => {
  it('fills the defaults', () => {
    expect(parseEnv({})).toEqual({
      REDIS_URL: 'redis://127.0.0.1:6379',
      MONGO_URL: 'mongodb://127.0.0.1:27017',
      MONGO_DB: 'spikesweep',
      QUEUE_PREFIX: 'spikesweep',
      SCHEDULER_PORT: 8080,
      SCHEDULER_HOST: '127.0.0.1',
      SCHEDULER_BODY_LIMIT_BYTES: 2_000_000,
      SCHEDULER_MAX_TRIALS: 100_000,
      SCHEDULER_SYNC_PLAN_TRIALS: 1000,
      SPIKESWEEP_ALLOWED_HOSTS: undefined,
      SPIKESWEEP_API_TOKEN: undefined,
      SPIKESWEEP_CORS_ORIGINS: undefined,
      SPIKESWEEP_READ_ACCESS: undefined,
      SPIKESWEEP_SUBMIT_RATE_LIMIT: 60,
      SPIKESWEEP_SUBMIT_RATE_WINDOW_MS: 60_000,
    });
  });

  it('names the variable that is wrong', () => {
    expect(() => parseEnv({ SCHEDULER_PORT: '70000' })).toThrow(ValidationError);
    try {
      parseEnv({ MONGO_DB: 'a.b' });
    } catch (error) {
      expect((error as ValidationError).issues[0]?.path).toBe('MONGO_DB');
    }
  });

  it('is logged with secrets removed', () => {
    const env = parseEnv({ MONGO_URL: 'mongodb://user:hunter2@db:27017/x', REDIS_URL: 'redis://:pw@cache:6379' });
    const logged = JSON.stringify(redactEnv({ ...env, API_TOKEN: 'abc' }));
    expect(logged).not.toMatch(/hunter2|:pw@|abc/);
    expect(logged).toContain('mongodb://user:***@db:27017/x');
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
      SPIKESWEEP_SUBMIT_RATE_LIMIT: 60,
      SPIKESWEEP_SUBMIT_RATE_WINDOW_MS: 60_000,
    });
  });

  it('reads REDIS_URL, MONGO_URL and the API token from <KEY>_FILE (secrets), naming an unreadable file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'env-'));
    writeFileSync(join(dir, 'token'), 'a-token-of-at-least-16-chars\n');
    writeFileSync(join(dir, 'redis'), 'redis://:secret@cache:6379');
    const env = parseEnv({ SPIKESWEEP_API_TOKEN_FILE: join(dir, 'token'), REDIS_URL_FILE: join(dir, 'redis') });
    expect(env.SPIKESWEEP_API_TOKEN).toBe('a-token-of-at-least-16-chars');
    expect(env.REDIS_URL).toBe('redis://:secret@cache:6379');
    try {
      parseEnv({ MONGO_URL_FILE: join(dir, 'missing') });
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationError).issues[0]).toEqual({ path: 'MONGO_URL_FILE', message: `cannot read ${join(dir, 'missing')}: ENOENT` });
    }
    rmSync(dir, { recursive: true });
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

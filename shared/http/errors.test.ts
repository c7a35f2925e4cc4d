import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coerceError, NotFoundError, ServiceUnavailableError, TooLargeError, ValidationError } from '../contracts/index.ts';
import { jsonLogger } from '../process/logger.ts';
import { errorHandler, httpStatusOf } from './errors.ts';
import { listen } from './listen.ts';

describe('the one HTTP error handler', () => {
  const lines: string[] = [];
  let base = '';
  let close: () => Promise<void>;

  beforeAll(async () => {
    const app = express();
    app.get('/boom', () => {
      throw new Error('driver failed for mongodb://admin:hunter2@db.internal:27017/x');
    });
    app.get('/down', () => {
      throw new ServiceUnavailableError('MongoDB at mongodb://admin:***@db.internal:27017/ is not reachable');
    });
    app.get('/bad', () => {
      throw new ValidationError('spikesweep:invalid-input', [{ path: 'limit', message: 'too big' }]);
    });
    app.use(errorHandler(jsonLogger('test', (l) => lines.push(l))));
    const http = await listen(app, 0, '127.0.0.1');
    base = `http://127.0.0.1:${http.port}`;
    close = http.close;
  });
  afterAll(() => close?.());

  it('answers 500 with nothing internal, and logs the cause with its stack (password redacted)', async () => {
    const res = await fetch(`${base}/boom`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'spikesweep:internal', message: 'internal error', issues: [] } });
    const logged = JSON.parse(lines.at(-1) as string) as Record<string, string>;
    expect(logged).toMatchObject({ level: 'error', msg: 'request failed', path: '/boom', status: 500 });
    expect(logged.stack).toMatch(/errors\.test\.ts/);
    expect(lines.at(-1)).not.toMatch(/hunter2/);
  });

  it('maps codes to statuses and cuts URLs out of messages', async () => {
    const down = await fetch(`${base}/down`);
    expect(down.status).toBe(503);
    expect(((await down.json()) as { error: { message: string } }).error.message).toBe('MongoDB at mongodb://… is not reachable');
    const bad = await fetch(`${base}/bad`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { code: 'spikesweep:invalid-input', message: 'limit: too big', issues: [{ path: 'limit', message: 'too big' }] } });
    expect(httpStatusOf(new NotFoundError('x'))).toBe(404);
    expect(httpStatusOf(new TooLargeError([]))).toBe(413);
  });

  it('coerceError turns body-parser errors and stack overflows into input errors', () => {
    expect(coerceError(Object.assign(new Error('x'), { type: 'entity.too.large', status: 413 })).code).toBe('spikesweep:too-large');
    expect(coerceError(Object.assign(new Error('x'), { type: 'entity.parse.failed', status: 400 })).code).toBe('spikesweep:invalid-input');
    expect(coerceError(Object.assign(new Error('x'), { type: 'charset.unsupported', status: 415 })).code).toBe('spikesweep:invalid-input');
    expect(coerceError(new RangeError('Maximum call stack size exceeded')).code).toBe('spikesweep:invalid-input');
    const internal = coerceError('weird');
    expect(internal.code).toBe('spikesweep:internal');
    expect(internal.message).toBe('internal error');
    expect(internal.cause).toBe('weird');
  });
});

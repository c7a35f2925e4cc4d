/**
 * The scheduler and results APIs against abuse, with the real Redis and MongoDB-wire server:
 * no token → 401, a foreign Host → 403, security headers, the submission rate limit (counted
 * in Redis), each abusive spec of issue 16 refused with a 4xx JSON body, a large sweep
 * accepted with 202 and planned in the background, and arbitrary bodies (fast-check) never
 * answered with a 5xx.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import type { Queue } from 'bullmq';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedis, createRedis } from '../shared/clients/redis.ts';
import { AccessEnv, accessPolicy, listen } from '../shared/http/index.ts';
import { createResultsQueue, createTrialQueue, ResultsPublisher } from '../shared/queue/queues.ts';
import { createMongoStore, type Store } from '../shared/store/index.ts';
import { SweepScheduler } from '../shared/sweep/scheduler.ts';
import { createSchedulerApp } from '../services/scheduler/app.ts';
import { createResultsApp } from '../shared/results-app/app.ts';
import { MONGO_URL, REDIS_URL, deleteRedisPrefix, dropMongoDatabase } from './support/services.ts';

const prefix = `test-sec-${randomUUID().slice(0, 8)}`;
const dbName = `test_sec_${randomUUID().slice(0, 8)}`;
const token = `t-${randomUUID()}`;
const base = { method: 'surrogate', training: { epochs: 1 }, dataset: { trainSize: 20, validationSize: 10, testSize: 10 } };

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** A request with any headers (fetch may not set Host); the body parsed when it is JSON. */
function call(url: string, method: string, path: string, options: { headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, method, path, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        if (String(res.headers['content-type']).includes('json')) body = JSON.parse(text);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = (body: unknown, auth = true): { headers: Record<string, string>; body: string } => ({
  headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${token}` } : {}) },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

/** The error body every refusal carries. */
function expectErrorBody(reply: Reply, status: number, code: string): { code: string; message: string; issues: { path: string; message: string }[] } {
  expect(reply.status).toBe(status);
  const error = (reply.body as { error: { code: string; message: string; issues: { path: string; message: string }[] } }).error;
  expect(error.code).toBe(code);
  expect(typeof error.message).toBe('string');
  expect(Array.isArray(error.issues)).toBe(true);
  return error;
}

describe('API security and abuse', () => {
  let redis: Redis;
  let store: Store;
  let trials: Queue;
  let results: Queue;
  let scheduler: SweepScheduler;
  /** Plans sweeps over 50 trials in the background. */
  let background: SweepScheduler;
  let api = '';
  let bg = '';
  let limited = '';
  let guarded = '';
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    redis = createRedis(REDIS_URL, { connectionName: 'test-sec' });
    store = await createMongoStore({ url: MONGO_URL, dbName });
    trials = createTrialQueue({ connection: redis, prefix });
    results = createResultsQueue({ connection: redis, prefix });
    scheduler = new SweepScheduler({ redis, trials, results: new ResultsPublisher(results), store, prefix });
    background = new SweepScheduler({ redis, trials, results: new ResultsPublisher(results), store, prefix, syncPlanTrials: 50 });
    const readiness = { redis: async () => (await redis.ping()) === 'PONG' };
    const start = async (env: Record<string, string>, ratePrefix: string, planner = scheduler) => {
      const app = createSchedulerApp(planner, {
        bodyLimitBytes: 2_000_000,
        readiness,
        access: accessPolicy(AccessEnv.parse({ SPIKESWEEP_API_TOKEN: token, ...env }), '127.0.0.1'),
        redis,
        prefix: ratePrefix,
      });
      const http = await listen(app, 0, '127.0.0.1');
      closers.push(http.close);
      return `http://127.0.0.1:${http.port}`;
    };
    api = await start({ SPIKESWEEP_SUBMIT_RATE_LIMIT: '100000' }, prefix);
    limited = await start({ SPIKESWEEP_SUBMIT_RATE_LIMIT: '3' }, `${prefix}-rl`);
    bg = await start({ SPIKESWEEP_SUBMIT_RATE_LIMIT: '100000' }, `${prefix}-bg`, background);
    const resultsApp = createResultsApp(store, { readiness: {}, access: accessPolicy(AccessEnv.parse({ SPIKESWEEP_API_TOKEN: token, SPIKESWEEP_READ_ACCESS: 'token' }), '127.0.0.1') });
    const http = await listen(resultsApp, 0, '127.0.0.1');
    closers.push(http.close);
    guarded = `http://127.0.0.1:${http.port}`;
  });

  afterAll(async () => {
    await scheduler?.close();
    await background?.close();
    for (const close of closers) await close();
    await trials?.obliterate({ force: true });
    await results?.obliterate({ force: true });
    await trials?.close();
    await results?.close();
    if (redis) {
      await deleteRedisPrefix(redis, prefix);
      await deleteRedisPrefix(redis, `${prefix}-rl`);
      await deleteRedisPrefix(redis, `${prefix}-bg`);
      await closeRedis(redis);
    }
    await store?.close();
    await dropMongoDatabase(dbName);
  });

  it('mutations without a valid bearer token get 401 with a JSON body; reads stay open on loopback', async () => {
    const spec = { name: 'auth', base, axes: { seed: [0] } };
    expectErrorBody(await call(api, 'POST', '/api/sweeps', json(spec, false)), 401, 'spikesweep:unauthorized');
    const wrong = { ...json(spec, false), headers: { 'content-type': 'application/json', authorization: `Bearer ${token}x` } };
    expectErrorBody(await call(api, 'POST', '/api/sweeps', wrong), 401, 'spikesweep:unauthorized');
    expectErrorBody(await call(api, 'POST', '/api/sweeps/0123456789abcdef/cancel'), 401, 'spikesweep:unauthorized');
    expectErrorBody(await call(api, 'POST', '/api/sweeps/0123456789abcdef/resume', { headers: { authorization: 'Basic abc' } }), 401, 'spikesweep:unauthorized');
    expect((await call(api, 'GET', '/api/sweeps')).status).toBe(200);
    const accepted = await call(api, 'POST', '/api/sweeps', json(spec));
    expect(accepted.status).toBe(201);
    // Token-only reads (the default off loopback) refuse an anonymous GET.
    expectErrorBody(await call(guarded, 'GET', '/api/sweeps'), 401, 'spikesweep:unauthorized');
    expect((await call(guarded, 'GET', '/api/sweeps', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it('a foreign Host header (DNS rebinding) gets 403; loopback names pass; health stays reachable', async () => {
    const foreign = await call(api, 'GET', '/api/sweeps', { headers: { host: 'attacker.example:8080' } });
    expect(expectErrorBody(foreign, 403, 'spikesweep:forbidden').message).toMatch(/attacker\.example/);
    expectErrorBody(await call(guarded, 'GET', '/', { headers: { host: 'rebind.example' } }), 403, 'spikesweep:forbidden');
    expect((await call(api, 'GET', '/api/sweeps', { headers: { host: 'localhost:1234' } })).status).toBe(200);
    expect((await call(api, 'GET', '/healthz', { headers: { host: '10.0.0.7:8080' } })).status).toBe(200);
  });

  it('answers with security headers and no CORS headers', async () => {
    for (const url of [api, guarded]) {
      const reply = await call(url, 'GET', '/api/sweeps', { headers: { origin: 'https://elsewhere.example', authorization: `Bearer ${token}` } });
      expect(reply.headers['content-security-policy']).toMatch(/default-src 'self'/);
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
      expect(reply.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(reply.headers['strict-transport-security']).toBeDefined();
      expect(reply.headers['access-control-allow-origin']).toBeUndefined();
      expect(reply.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('the submission rate limit answers 429 with a JSON body once exceeded (counted in Redis)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(limited, 'POST', '/api/sweeps', json({ name: '' }))).status);
    expect(statuses).toEqual([400, 400, 400]);
    expectErrorBody(await call(limited, 'POST', '/api/sweeps', json({ name: '' })), 429, 'spikesweep:rate-limited');
    expect((await redis.keys(`${prefix}-rl:rate:submit:*`)).length).toBeGreaterThan(0);
  });

  it('refuses each abusive spec of the issue with a 4xx JSON body', async () => {
    // 85 bytes that used to hang the planner: a 10⁹-value range.
    const range = expectErrorBody(await call(api, 'POST', '/api/sweeps', json({ name: 'r', base, axes: { seed: { range: [0, 1_000_000_000] } } })), 400, 'spikesweep:invalid-spec');
    expect(range.issues).toEqual([{ path: 'limits.maxTrials', message: 'the plan has 1000000000 trials, more than limits.maxTrials = 10000' }]);
    // 10⁷ trials under a raised limit, and 10⁸ points.
    const grid7 = { name: 'g7', base, limits: { maxTrials: 100_000 }, axes: { seed: { range: [0, 10_000] }, 'chip.mismatchSeed': { range: [0, 1000] } } };
    expect(expectErrorBody(await call(api, 'POST', '/api/sweeps', json(grid7)), 400, 'spikesweep:invalid-spec').message).toMatch(/10000000 trials/);
    const grid8 = { ...grid7, name: 'g8', axes: { ...grid7.axes, 'training.learningRate': Array.from({ length: 10 }, (_, i) => 10 ** -(i + 1)) } };
    expect(expectErrorBody(await call(api, 'POST', '/api/sweeps', json(grid8)), 400, 'spikesweep:invalid-spec').message).toMatch(/100000000 trials/);
    // No upper bound on limits.maxTrials before: now capped.
    const cap = expectErrorBody(await call(api, 'POST', '/api/sweeps', json({ name: 'cap', base, limits: { maxTrials: 10_000_000 } })), 400, 'spikesweep:invalid-spec');
    expect(cap.issues[0]?.path).toBe('limits.maxTrials');
    // An axis value nested 50,000 levels (JSON and YAML): 413, not a 500 with nothing logged.
    const deep = `{"name": "deep", "base": {"method": "surrogate"}, "axes": {"training.x": [${'['.repeat(50_000)}0${']'.repeat(50_000)}]}}`;
    expect(expectErrorBody(await call(api, 'POST', '/api/sweeps', json(deep)), 413, 'spikesweep:too-large').message).toMatch(/nested deeper than 32/);
    const yaml = { headers: { 'content-type': 'application/yaml', authorization: `Bearer ${token}` }, body: deep };
    expectErrorBody(await call(api, 'POST', '/api/sweeps', yaml), 413, 'spikesweep:too-large');
    // Over the body limit, long strings and long lists.
    expectErrorBody(await call(api, 'POST', '/api/sweeps', json({ name: 'big', base, description: 'x'.repeat(2_100_000) })), 413, 'spikesweep:too-large');
    expectErrorBody(await call(api, 'POST', '/api/sweeps', json({ name: 'long', base, description: 'x'.repeat(20_000) })), 413, 'spikesweep:too-large');
    expectErrorBody(await call(api, 'POST', '/api/sweeps', json({ name: 'list', base, axes: { seed: Array.from({ length: 20_000 }, (_, i) => i) } })), 413, 'spikesweep:too-large');
    // Neither stack text nor connection strings in any answer.
    const bad = await call(api, 'POST', '/api/sweeps', json('{"name": '));
    expect(JSON.stringify(bad.body)).not.toMatch(/redis:\/\/|mongodb:\/\/|at .*\.ts:\d+/);
  });

  it('arbitrary bodies never get a 5xx: every refusal is a 4xx JSON error (fast-check)', async () => {
    const axis = fc.oneof(
      fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 4 }),
      fc.record({ range: fc.tuple(fc.integer({ min: -3, max: 6 }), fc.integer({ min: -3, max: 6 })) }),
      fc.record({ uniform: fc.tuple(fc.double(), fc.double()) }),
      fc.record({ loguniform: fc.array(fc.double(), { maxLength: 3 }) }),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const spec = fc.record(
      {
        name: fc.oneof(fc.string({ maxLength: 20 }), fc.constant('prop'), fc.integer()),
        base: fc.oneof(fc.constant(base), fc.jsonValue({ maxDepth: 3 })),
        axes: fc.dictionary(fc.oneof(fc.constantFrom('seed', 'training.learningRate', 'method', 'mode', 'chip.mismatchSeed'), fc.string({ maxLength: 12 })), axis, {
          maxKeys: 3,
        }),
        strategy: fc.oneof(fc.constant('grid'), fc.record({ kind: fc.constantFrom('random', 'grid', 'other'), count: fc.integer({ min: -2, max: 4 }) })),
        repeats: fc.integer({ min: -1, max: 3 }),
        limits: fc.record({ maxTrials: fc.oneof(fc.integer({ min: -5, max: 50 }), fc.double()) }),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      spec.map((s) => ({ type: 'application/json', text: JSON.stringify(s) })),
      fc.jsonValue().map((v) => ({ type: 'application/json', text: JSON.stringify(v) })),
      fc.string({ maxLength: 200 }).map((text) => ({ type: 'application/yaml', text })),
      fc.string({ maxLength: 200 }).map((text) => ({ type: 'application/json', text })),
    );
    await fc.assert(
      fc.asyncProperty(body, async ({ type, text }) => {
        const reply = await call(api, 'POST', '/api/sweeps', { headers: { 'content-type': type, authorization: `Bearer ${token}` }, body: text });
        expect(reply.status).toBeLessThan(500);
        if (reply.status >= 400) {
          const error = (reply.body as { error?: { code?: unknown; message?: unknown } }).error;
          expect(typeof error?.code).toBe('string');
          expect(typeof error?.message).toBe('string');
        }
      }),
      { numRuns: 150, seed: 16 },
    );
    // And a read API with arbitrary query strings.
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom('offset', 'limit', 'status', 'sort', 'fields', 'x'), fc.string({ maxLength: 10 }), { maxKeys: 3 }), async (q) => {
        const reply = await call(guarded, 'GET', `/api/sweeps/none/trials?${new URLSearchParams(q)}`, { headers: { authorization: `Bearer ${token}` } });
        expect(reply.status).toBeGreaterThanOrEqual(200);
        expect(reply.status).toBeLessThan(500);
      }),
      { numRuns: 60, seed: 16 },
    );
  });

  it('a large sweep answers 202 at once with its id and status planning, then plans in the background', async () => {
    const spec = { name: 'large', base, axes: { seed: { range: [0, 80] } } };
    const reply = await call(bg, 'POST', '/api/sweeps', json(spec));
    expect(reply.status).toBe(202);
    const body = reply.body as { sweepId: string; status: string; planning: boolean; planned: number };
    expect(body).toMatchObject({ status: 'planning', planning: true, planned: 80, created: true });
    expect(reply.headers.location).toBe(`/api/sweeps/${body.sweepId}`);
    await background.idle();
    const after = (await call(bg, 'GET', `/api/sweeps/${body.sweepId}`)).body as { status: string; planned: number };
    expect(after).toMatchObject({ status: 'running', planned: 80 });
    expect(await trials.getJobCountByTypes('waiting', 'prioritized')).toBeGreaterThanOrEqual(80);
    // An invalid trial found while planning in the background: status failed, with the reason.
    const invalid = await call(bg, 'POST', '/api/sweeps', json({ name: 'invalid-large', base, axes: { seed: { range: [-1, 79] } } }));
    expect(invalid.status).toBe(202);
    await background.idle();
    const failed = (await call(bg, 'GET', `/api/sweeps/${(invalid.body as { sweepId: string }).sweepId}`)).body as { status: string; error: string };
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/^axes\["seed"\]: /);
    // The issue's 10⁵ trials: accepted at once; the API answers while it plans.
    const huge = await call(bg, 'POST', '/api/sweeps', json({ name: 'huge', base, limits: { maxTrials: 100_000 }, axes: { seed: { range: [0, 100_000] } } }));
    expect(huge.status).toBe(202);
    const hugeId = (huge.body as { sweepId: string }).sweepId;
    expect(((await call(bg, 'GET', `/api/sweeps/${hugeId}`)).body as { status: string }).status).toBe('planning');
    expect((await call(bg, 'POST', `/api/sweeps/${hugeId}/cancel`, json({}))).status).toBe(200);
    await background.close();
    expect(((await call(bg, 'GET', `/api/sweeps/${hugeId}`)).body as { status: string }).status).toBe('cancelled');
  });
});

/**
 * The scheduler's HTTP API against the real Redis and MongoDB-wire server (started by
 * `spikesweep services up`); each run uses its own queue prefix and database.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedis, createRedis } from '../shared/clients/redis.ts';
import { createDeadLetterQueue, createResultsQueue, createTrialQueue, ResultsPublisher } from '../shared/queue/queues.ts';
import { createMongoStore, type Store } from '../shared/store/index.ts';
import { AccessEnv, accessPolicy, listen } from '../shared/http/index.ts';
import { SweepScheduler } from '../shared/sweep/scheduler.ts';
import { createSchedulerApp } from '../services/scheduler/app.ts';
import type { Queue } from 'bullmq';
import { MONGO_URL, REDIS_URL, deleteRedisPrefix, dropMongoDatabase } from './support/services.ts';

const prefix = `test-api-${randomUUID().slice(0, 8)}`;
const token = randomUUID();
const dbName = `test_api_${randomUUID().slice(0, 8)}`;

const spec = {
  name: 'api-test',
  base: { method: 'surrogate', training: { epochs: 2 }, dataset: { trainSize: 50, validationSize: 20, testSize: 20 } },
  axes: { seed: { range: [0, 3] }, 'chip.mismatchSeed': [0, 1] },
};

describe('scheduler API', () => {
  let redis: Redis;
  let store: Store;
  let trials: Queue;
  let results: Queue;
  let base = '';
  let close: () => Promise<void>;

  beforeAll(async () => {
    redis = createRedis(REDIS_URL, { connectionName: 'test-api' });
    store = await createMongoStore({ url: MONGO_URL, dbName });
    trials = createTrialQueue({ connection: redis, prefix });
    results = createResultsQueue({ connection: redis, prefix });
    const scheduler = new SweepScheduler({ redis, trials, results: new ResultsPublisher(results), store, prefix });
    const app = createSchedulerApp(scheduler, {
      bodyLimitBytes: 100_000,
      readiness: { redis: async () => (await redis.ping()) === 'PONG', mongo: () => store.ping() },
      access: accessPolicy(AccessEnv.parse({ SPIKESWEEP_API_TOKEN: token }), '127.0.0.1'),
      redis,
      prefix,
    });
    const http = await listen(app, 0, '127.0.0.1');
    base = `http://127.0.0.1:${http.port}`;
    close = http.close;
  });

  afterAll(async () => {
    await close?.();
    await trials?.obliterate({ force: true });
    await results?.obliterate({ force: true });
    await trials?.close();
    await results?.close();
    await deleteRedisPrefix(redis, prefix);
    if (redis) await closeRedis(redis);
    await store?.close();
    await dropMongoDatabase(dbName);
  });

  const post = (path: string, body?: unknown, contentType = 'application/json') =>
    fetch(base + path, { method: 'POST', headers: { 'content-type': contentType, authorization: `Bearer ${token}` }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  it('health and readiness', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { redis: true, mongo: true } });
  });

  it('POST /api/sweeps: 201 and the id; the trials are on the queue with the trial ids as job ids', async () => {
    const res = await post('/api/sweeps', spec);
    expect(res.status).toBe(201);
    const body = (await res.json()) as { sweepId: string; planned: number; enqueued: number; created: boolean };
    expect(body).toMatchObject({ planned: 6, enqueued: 6, created: true, alreadyDone: 0 });
    expect(res.headers.get('location')).toBe(`/api/sweeps/${body.sweepId}`);
    const jobs = await trials.getJobs(['waiting', 'prioritized']);
    expect(jobs).toHaveLength(6);
    expect(jobs.every((j) => j.id === (j.data as { trialId: string }).trialId)).toBe(true);
    expect(jobs[0]?.opts.attempts).toBe(3);
    expect(jobs[0]?.opts.priority).toBe(1000);
    // The sweep was registered through the results queue (the results service writes it).
    const registered = await results.getJobs(['waiting']);
    expect(registered.map((j) => j.name)).toContain('sweep-registered');
  });

  it('resubmitting the same spec adds nothing', async () => {
    const res = await post('/api/sweeps', { ...spec, axes: { 'chip.mismatchSeed': [0, 1], seed: { range: [0, 3] } } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ created: false, enqueued: 0, planned: 6 });
    expect(await trials.getJobCounts('waiting', 'prioritized')).toMatchObject({ prioritized: 6 });
  });

  it('accepts YAML', async () => {
    const res = await post('/api/sweeps', 'name: yaml-test\nbase: {method: surrogate, training: {epochs: 1}}\naxes:\n  seed: [7]\n', 'application/yaml');
    expect(res.status).toBe(201);
  });

  it('400 bodies name the spec path and the reason', async () => {
    const bad = await post('/api/sweeps', {
      ...spec,
      strategy: { kind: 'random', count: 2 },
      axes: { 'training.learningRate': { loguniform: [0, 0.1] } },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: {
        code: 'spikesweep:invalid-spec',
        message: 'axes["training.learningRate"].loguniform[0]: must be > 0',
        issues: [{ path: 'axes["training.learningRate"].loguniform[0]', message: 'must be > 0' }],
      },
    });
    const badValue = (await (await post('/api/sweeps', { ...spec, axes: { seed: [0, -2] } })).json()) as { error: { issues: { path: string }[] } };
    expect(badValue.error.issues[0]?.path).toBe('axes["seed"][1]');
    const badBase = (await (await post('/api/sweeps', { ...spec, base: { method: 'surrogate', training: { batchSize: 0 } } })).json()) as {
      error: { issues: { path: string }[] };
    };
    expect(badBase.error.issues[0]?.path).toBe('base.training.batchSize');
    const notJson = await post('/api/sweeps', '{"name": ');
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { code: string } }).error.code).toBe('spikesweep:invalid-input');
    const missing = (await (await post('/api/sweeps', { base: {} })).json()) as { error: { issues: { path: string }[] } };
    expect(missing.error.issues.map((i) => i.path)).toContain('name');
  });

  it('GET /api/sweeps lists and GET /api/sweeps/:id shows counts, progress and ETA; 404 for unknown ids', async () => {
    const list = (await (await fetch(`${base}/api/sweeps`)).json()) as { sweeps: { name: string; sweepId: string }[] };
    const sweep = list.sweeps.find((s) => s.name === 'api-test');
    expect(sweep).toBeDefined();
    const res = await fetch(`${base}/api/sweeps/${sweep?.sweepId}`);
    expect(res.status).toBe(200);
    const progress = (await res.json()) as Record<string, unknown>;
    expect(progress).toMatchObject({ planned: 6, finished: 0, progress: 0, etaMs: null, status: 'running', queue: { waiting: 6, active: 0 } });
    expect(progress.counts).toBeDefined();
    expect(await (await fetch(`${base}/api/queue`)).json()).toEqual({ waiting: 7, active: 0, delayed: 0, depth: 7 }); // 6 + the YAML sweep
    const unknown = await fetch(`${base}/api/sweeps/ffffffffffffffff`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('spikesweep:not-found');
  });

  it('cancel removes waiting trials; resume puts them back', async () => {
    const list = (await (await fetch(`${base}/api/sweeps`)).json()) as { sweeps: { name: string; sweepId: string }[] };
    const id = list.sweeps.find((s) => s.name === 'api-test')?.sweepId as string;
    const cancelled = await post(`/api/sweeps/${id}/cancel`);
    expect(await cancelled.json()).toEqual({ sweepId: id, status: 'cancelled', removedFromQueue: 6 });
    expect(((await (await fetch(`${base}/api/sweeps/${id}`)).json()) as { status: string }).status).toBe('cancelled');
    const again = await post('/api/sweeps', spec);
    expect(await again.json()).toMatchObject({ enqueued: 0, status: 'cancelled' });
    const resumed = await post(`/api/sweeps/${id}/resume`);
    expect(await resumed.json()).toMatchObject({ sweepId: id, status: 'running', enqueued: 6 });
    expect((await post('/api/sweeps/ffffffffffffffff/resume')).status).toBe(404);
  });

  it('a payload that fails validation on dequeue is dead-lettered with its reason', async () => {
    const { Worker } = await import('bullmq');
    const { parseTrialJob } = await import('../shared/queue/payloads.ts');
    const { deadLetter } = await import('../shared/queue/queues.ts');
    // Tamper with a queued payload the way a bad producer would, then let a consumer validate it.
    const queue = createTrialQueue({ connection: redis, prefix: `${prefix}-dl` });
    const dead = createDeadLetterQueue({ connection: redis, prefix: `${prefix}-dl` });
    await queue.add('trial', { schemaVersion: 1, sweepId: 's', trialId: 'not-an-id', config: {} });
    const worker = new Worker(
      'trials',
      async (job) => {
        try {
          parseTrialJob(job.data);
        } catch (error) {
          await deadLetter(dead, { queue: 'trials', jobId: job.id ?? null, reason: (error as Error).message, data: job.data }, error);
        }
      },
      { connection: redis, prefix: `${prefix}-dl` },
    );
    for (let i = 0; i < 50 && (await dead.getJobCountByTypes('waiting')) === 0; i++) await new Promise((r) => setTimeout(r, 100));
    await worker.close();
    const [letter] = await dead.getJobs(['waiting']);
    expect(letter?.data.issues.map((i: { path: string }) => i.path)).toEqual(expect.arrayContaining(['trialId', 'checkpointEveryEpochs']));
    await queue.obliterate({ force: true });
    await dead.obliterate({ force: true });
    await queue.close();
    await dead.close();
  });
});

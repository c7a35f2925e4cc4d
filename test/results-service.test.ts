/**
 * The results service against real Redis and the MongoDB-wire server: messages published on
 * the `results` queue end up in the store (duplicates change nothing), a bad message is
 * dead-lettered with its reason, the REST API answers (400 bodies name the bad parameter),
 * exports list every trial, and health routes report the dependencies.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { Queue } from 'bullmq';
import { closeRedis, createRedis } from '../shared/clients/redis.ts';
import { createResultsQueue, ResultsPublisher, parseDeadLetter } from '../shared/queue/queues.ts';
import { QueueNames, type SweepRecord } from '../shared/contracts/index.ts';
import type { SweepSummary, TrialPage } from '../shared/store/index.ts';
import { syntheticSweep } from '../shared/store/synthetic.ts';
import { differences, referenceSummary, summaryAsReference } from '../shared/store/testing/reference.ts';
import { Env } from '../services/results/env.ts';
import { consumeResults } from '../shared/queue/results-consumer.ts';
import { Store as StoreClass } from '../shared/store/index.ts';
import { connectMongoDatabase } from '../shared/store/mongo-database.ts';
import { ServiceUnavailableError } from '../shared/contracts/index.ts';
import type { Database } from '../shared/store/collection.ts';
import { startResultsService, type ResultsService } from '../services/results/service.ts';
import { REDIS_URL, MONGO_URL } from './support/services.ts';

const prefix = `test-results-${randomUUID().slice(0, 8)}`;
const dbName = `spikesweep_test_results_${process.pid}`;
const at = '2026-01-01T00:00:00.000Z';
const data = syntheticSweep({ sweepId: 'sw-service', seed: 21, methods: ['surrogate', 'eventprop'], modes: ['in-the-loop', 'transfer'], learningRates: [0.002], betas: [50, 100], trainingSeeds: 2, chips: 2, epochs: 4 });

let service: ResultsService;
let redis: ReturnType<typeof createRedis>;
let queue: Queue;

beforeAll(async () => {
  service = await startResultsService(
    Env.parse({ REDIS_URL, MONGO_URL, MONGO_DB: dbName, QUEUE_PREFIX: prefix, RESULTS_PORT: 0 }),
    { log: { info: () => undefined, warn: () => undefined, error: () => undefined } },
  );
  redis = createRedis(REDIS_URL);
  queue = createResultsQueue({ connection: redis, prefix });
});

afterAll(async () => {
  await service?.close();
  await service?.close(); // safe twice
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  const dead = new Queue(QueueNames.deadLetter, { connection: redis, prefix });
  await dead.obliterate({ force: true }).catch(() => undefined);
  await dead.close();
  if (redis) await closeRedis(redis);
  const client = new MongoClient(MONGO_URL);
  await client.db(dbName).dropDatabase();
  await client.close();
});

async function get<T>(path: string, status = 200): Promise<T> {
  const res = await fetch(`${service.url}${path}`);
  expect(res.status, path).toBe(status);
  return (await res.json()) as T;
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 240_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('results service', () => {
  it('applies queued messages once, even when they are published twice', async () => {
    const publisher = new ResultsPublisher(queue);
    await publisher.publish({ kind: 'sweep-registered', sweep: data.sweep });
    for (const result of data.results) await publisher.publish({ kind: 'trial-finished', result, at });
    for (const result of data.results.slice(0, 4)) await publisher.publish({ kind: 'trial-finished', result, at });
    await until('every message applied', () => queue.getJobCounts('waiting', 'active', 'delayed'), (c) => (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) === 0);
    const summary = await get<SweepSummary>('/api/sweeps/sw-service/summary');
    const finished = summary.byStatus.completed + summary.byStatus.failed + summary.byStatus.diverged;
    expect(finished).toBe(data.results.length);
    expect(differences(summaryAsReference(summary), referenceSummary(data.sweep, data.results))).toEqual([]);
  });

  it('dead-letters a message that fails validation, with the reason', async () => {
    await queue.add('trial-finished', { kind: 'trial-finished', result: { trialId: 'x' }, at });
    const dead = new Queue(QueueNames.deadLetter, { connection: redis, prefix });
    const jobs = await until('a dead letter', () => dead.getJobs(['waiting', 'completed', 'failed', 'active', 'delayed']), (j) => j.length > 0, 30_000);
    const letter = parseDeadLetter(jobs[0]!.data);
    expect(letter.queue).toBe(QueueNames.results);
    expect(letter.issues.map((i) => i.path)).toContain('result.schemaVersion');
    await dead.close();
  });

  it('serves sweeps, paged sorted trials, curves and exports; 400 names the bad parameter', async () => {
    const { sweeps } = await get<{ sweeps: SweepRecord[] }>('/api/sweeps');
    expect(sweeps.map((s) => s.sweepId)).toEqual(['sw-service']);
    const page = await get<TrialPage>('/api/sweeps/sw-service/trials?status=completed&sort=testAccuracy:desc&limit=5&offset=1');
    const completed = data.results.filter((r) => r.status === 'completed').sort((a, b) => b.testAccuracy! - a.testAccuracy!);
    expect(page.total).toBe(completed.length);
    expect(page.trials.map((t) => t.trialId)).toEqual(completed.slice(1, 6).map((r) => r.trialId));
    const { curves } = await get<{ curves: { trialId: string; epochs: unknown[] }[] }>(`/api/sweeps/sw-service/curves?trialIds=${completed[0]!.trialId}`);
    expect(curves[0]!.epochs).toEqual(completed[0]!.epochs);

    const bad = await get<{ error: { code: string; issues: { path: string }[] } }>('/api/sweeps/sw-service/trials?limit=0&sort=accuracy:up&colour=red', 400);
    expect(bad.error.code).toBe('spikesweep:invalid-input');
    expect(bad.error.issues.map((i) => i.path).sort()).toEqual(['query', 'query.limit', 'query.sort']);
    await get('/api/sweeps/nope/summary', 404);

    const csv = await (await fetch(`${service.url}/api/sweeps/sw-service/export.csv`)).text();
    const lines = csv.trim().split('\n');
    expect(lines[0]).toMatch(/^trialId,method,mode,training\.learningRate,surrogate\.beta,seed,chip\.mismatchSeed,status,testAccuracy/);
    expect(lines).toHaveLength(data.results.length + 1);
    const json = (await (await fetch(`${service.url}/api/sweeps/sw-service/export.json`)).json()) as unknown[];
    expect(json).toHaveLength(data.results.length);
  });

  it('a message whose write fails because the database is unavailable is held until the write succeeds, not lost or failed', async () => {
    const retryPrefix = `${prefix}-retry`;
    const inner = await connectMongoDatabase({ url: MONGO_URL, dbName: `${dbName}_retry` });
    // the database is "down" (writes throw, ping says no) until ping was asked three times
    let down = true;
    let pings = 0;
    let failedWrites = 0;
    const flaky: Database = {
      ping: async () => {
        if (++pings >= 3) down = false;
        return pings > 3 && (await inner.ping());
      },
      close: () => inner.close(),
      collection: (name) => {
        const c = inner.collection(name);
        return Object.assign(Object.create(c) as typeof c, {
          bulkUpdate: async (ops: Parameters<typeof c.bulkUpdate>[0]) => {
            if (down) {
              failedWrites++;
              throw new ServiceUnavailableError('simulated outage');
            }
            return c.bulkUpdate(ops);
          },
        });
      },
    };
    const store = new StoreClass(flaky);
    const retryQueue = createResultsQueue({ connection: redis, prefix: retryPrefix });
    const consumer = consumeResults({ connection: redis, prefix: retryPrefix, available: () => store.ping(), retryDelayMs: 50 }, (ms) => store.applyMany(ms));
    try {
      await new ResultsPublisher(retryQueue).publish({ kind: 'sweep-registered', sweep: data.sweep });
      const job = (await retryQueue.getJobs(['waiting', 'active', 'delayed', 'completed']))[0]!;
      await until('the job to complete', () => retryQueue.getJobState(job.id!), (state) => state === 'completed', 60_000);
      expect(failedWrites).toBe(3);
      // held active through the outage: one attempt, never failed
      const done = await retryQueue.getJob(job.id!);
      expect(done?.attemptsStarted).toBe(1);
      expect(done?.failedReason).toBeFalsy();
      expect((await store.getSweep('sw-service'))?.trials).toHaveLength(data.sweep.trials.length);
    } finally {
      await consumer.close();
      await retryQueue.obliterate({ force: true }).catch(() => undefined);
      await retryQueue.close();
      const client = new MongoClient(MONGO_URL);
      await client.db(`${dbName}_retry`).dropDatabase();
      await client.close();
      await store.close();
    }
  });

  it('reports health and readiness', async () => {
    expect(await get('/healthz')).toEqual({ status: 'ok' });
    expect(await get('/readyz')).toEqual({ status: 'ready', checks: { mongo: true, redis: true } });
  });
});

/**
 * Graceful shutdown and cancel/resume of running trials, with worker processes on the real
 * Redis and MongoDB-wire server. The engine is the no-op engine with slow epochs
 * (shared/sweep/noop-engine.ts), so only the platform is under test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedis, createRedis } from '../shared/clients/redis.ts';
import { createResultsQueue, createTrialQueue, ResultsPublisher } from '../shared/queue/queues.ts';
import { consumeResults } from '../shared/queue/results-consumer.ts';
import { RedisCheckpointStore } from '../shared/queue/state.ts';
import { createMongoStore, type Store } from '../shared/store/index.ts';
import { planSweep } from '../shared/sweep/plan.ts';
import { SweepScheduler } from '../shared/sweep/scheduler.ts';
import type { Queue } from 'bullmq';
import { MONGO_URL, REDIS_URL, deleteRedisPrefix, dropMongoDatabase } from './support/services.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const prefix = `test-shutdown-${randomUUID().slice(0, 8)}`;
const dbName = `test_shutdown_${randomUUID().slice(0, 8)}`;

type Line = { msg: string; [k: string]: unknown };

function startWorker(id: string): { child: ChildProcess; lines: Line[]; exited: Promise<number | null>; waitFor(p: (l: Line) => boolean): Promise<Line> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/worker/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      WORKER_ID: id,
      WORKER_CONCURRENCY: '1',
      WORKER_PORT: '0',
      TRIAL_ENGINE_MODULE: fileURLToPath(new URL('../shared/sweep/noop-engine.ts', import.meta.url)),
      NOOP_ENGINE_EPOCH_MS: '250',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Line[] = [];
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buffer.slice(0, nl)) as Line);
      buffer = buffer.slice(nl + 1);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (p: (l: Line) => boolean) => {
    for (let i = 0; i < 1200; i++) {
      const found = lines.find(p);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${id}: timed out`);
  };
  return { child, lines, exited, waitFor };
}

const spec = (name: string, trials: number, epochs: number) => ({
  name,
  base: { method: 'surrogate', training: { epochs } },
  axes: { seed: { range: [0, trials] } },
});

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('running trials under shutdown and cancel', () => {
  let redis: Redis;
  let store: Store;
  let trials: Queue;
  let results: Queue;
  let scheduler: SweepScheduler;
  let consumer: { close(): Promise<void> };
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    redis = createRedis(REDIS_URL, { connectionName: 'test-shutdown' });
    store = await createMongoStore({ url: MONGO_URL, dbName });
    consumer = consumeResults({ connection: redis, prefix, available: () => store.ping() }, (ms) => store.applyMany(ms));
    trials = createTrialQueue({ connection: redis, prefix });
    results = createResultsQueue({ connection: redis, prefix });
    scheduler = new SweepScheduler({ redis, trials, results: new ResultsPublisher(results), store, prefix });
  });

  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    await consumer?.close();
    await trials?.obliterate({ force: true });
    await results?.obliterate({ force: true });
    await trials?.close();
    await results?.close();
    await deleteRedisPrefix(redis, prefix);
    await store?.close();
    if (redis) await closeRedis(redis);
    await dropMongoDatabase(dbName);
  });

  it('SIGTERM: the running trial checkpoints and goes back to the queue; another worker resumes it', async () => {
    const first = startWorker('w1');
    workers.push(first.child);
    await first.waitFor((l) => l.msg === 'ready');
    const s = spec('shutdown', 2, 12);
    const { sweepId } = await scheduler.submit(s);
    const epoch3 = await first.waitFor((l) => l.msg === 'epoch' && l.epoch === 3);
    const trialId = epoch3.trialId as string;
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const released = first.lines.find((l) => l.msg === 'trial released');
    expect(released).toMatchObject({ trialId, reason: 'shutdown' });
    const releasedAt = released?.epochsDone as number;
    expect(releasedAt).toBeGreaterThanOrEqual(3);
    expect((await new RedisCheckpointStore(redis, prefix).load(trialId))?.epochsDone).toBe(releasedAt);
    const job = await trials.getJob(trialId);
    expect(['delayed', 'waiting', 'prioritized']).toContain(await job?.getState());
    expect(job?.attemptsMade).toBe(0); // a release spends no retry attempt

    const second = startWorker('w2');
    workers.push(second.child);
    const resumed = await second.waitFor((l) => l.msg === 'trial started' && l.trialId === trialId);
    expect(resumed.resumedFrom).toBe(releasedAt);
    const progress = await until(() => scheduler.progress(sweepId), (p) => p.finished === 2);
    expect(progress.counts.completed).toBe(2);
    const [result] = await store.getResults([trialId]);
    expect(result?.epochs.map((e) => e.epoch)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const epochsRunBySecond = second.lines.filter((l) => l.msg === 'epoch' && l.trialId === trialId).map((l) => l.epoch);
    expect(epochsRunBySecond[0]).toBe(releasedAt + 1);
    second.child.kill('SIGTERM'); // idle: exits at once
    expect(await second.exited).toBe(0);
  });

  it('cancel stops a running trial after its epoch; resume continues it from the checkpoint', async () => {
    const worker = startWorker('w3');
    workers.push(worker.child);
    await worker.waitFor((l) => l.msg === 'ready');
    const s = spec('cancel', 1, 30);
    const { sweepId } = await scheduler.submit(s);
    const [trial] = planSweep(s).trials;
    await worker.waitFor((l) => l.msg === 'epoch' && l.trialId === trial?.trialId && l.epoch === 2);
    expect(await scheduler.cancel(sweepId)).toMatchObject({ status: 'cancelled', removedFromQueue: 0 });
    const released = await worker.waitFor((l) => l.msg === 'trial released' && l.trialId === trial?.trialId);
    expect(released.reason).toBe('cancelled');
    expect((await scheduler.progress(sweepId)).status).toBe('cancelled');

    const resumed = await scheduler.resume(sweepId);
    expect(resumed).toMatchObject({ status: 'running', enqueued: 1 });
    const restart = await worker.waitFor((l) => l.msg === 'trial started' && l.trialId === trial?.trialId && (l.resumedFrom as number) > 0);
    expect(restart.resumedFrom).toBe(released.epochsDone);
    const done = await until(() => scheduler.progress(sweepId), (p) => p.finished === 1);
    expect(done).toMatchObject({ status: 'completed', finished: 1 });
    const [result] = await store.getResults([trial?.trialId as string]);
    expect(result?.epochs).toHaveLength(30);
  });
});

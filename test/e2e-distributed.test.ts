/**
 * End to end against the real Redis and MongoDB-wire server (`spikesweep services up`):
 * scheduler and worker PROCESSES, the results consumer writing to MongoDB. A 24-trial sweep;
 * one worker is SIGKILLed mid-trial. Every trial must finish exactly once, the killed trial
 * must resume from its checkpoint on another worker, every metric (wall times aside) must
 * equal the same sweep run in embedded mode, and resubmitting the spec must add nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrialResult } from '../shared/contracts/index.ts';
import { closeRedis, createRedis } from '../shared/clients/redis.ts';
import { consumeResults } from '../shared/queue/results-consumer.ts';
import { createDeadLetterQueue, createTrialQueue } from '../shared/queue/queues.ts';
import { createEmbeddedStore, createMongoStore, type Store } from '../shared/store/index.ts';
import { runSweepEmbedded } from '../shared/sweep/embedded.ts';
import { planSweep } from '../shared/sweep/plan.ts';
import { MONGO_URL, REDIS_URL, deleteRedisPrefix, dropMongoDatabase } from './support/services.ts';

/** The scheduler refuses mutations without a bearer token. */
const API_TOKEN = 'e2e-distributed-test-token';

const root = fileURLToPath(new URL('..', import.meta.url));
const prefix = `test-e2e-${randomUUID().slice(0, 8)}`;
const dbName = `test_e2e_${randomUUID().slice(0, 8)}`;
const EPOCHS = 4;

/** 6 seeds × 2 chips × 2 modes = 24 tiny trials (small splits, few epochs). */
const spec = {
  name: 'e2e-kill',
  base: {
    method: 'surrogate',
    training: { epochs: EPOCHS, batchSize: 25 },
    dataset: { trainSize: 100, validationSize: 50, testSize: 50 },
  },
  axes: { seed: { range: [0, 6] }, 'chip.mismatchSeed': [3, 4], mode: ['simulation', 'in-the-loop'] },
  checkpointEveryEpochs: 1,
};

interface LogLine {
  msg: string;
  [key: string]: unknown;
}

class Service {
  readonly lines: LogLine[] = [];
  readonly child: ChildProcess;
  exited: Promise<number | null>;
  constructor(
    readonly name: string,
    entry: string,
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let buffer = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          /* not a log line */
        }
      }
    });
    this.child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[${name}] ${chunk.toString()}`));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }
  async waitFor(predicate: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`${this.name}: timed out; log: ${JSON.stringify(this.lines.slice(-5))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const workerEnv = (id: string) => ({
  REDIS_URL,
  QUEUE_PREFIX: prefix,
  WORKER_ID: id,
  WORKER_CONCURRENCY: '1',
  WORKER_PORT: '0',
  LOCK_DURATION_MS: '3000',
  STALLED_INTERVAL_MS: '1000',
  HEARTBEAT_INTERVAL_MS: '1000',
});

/** A result without wall-clock times: what must be identical across runs and modes. */
function deterministicPart(result: TrialResult): unknown {
  const { wallTimeMs: _w, ...rest } = result;
  return { ...rest, epochs: result.epochs.map(({ wallTimeMs: _e, ...epoch }) => epoch) };
}

describe('distributed sweep with a worker killed mid-trial', () => {
  let redis: Redis;
  let store: Store;
  let consumer: { close(): Promise<void> };
  const services: Service[] = [];
  let scheduler: Service;
  let base = '';
  let sweepId = '';
  let killedTrial = '';
  let killedAtEpoch = 0;

  beforeAll(async () => {
    redis = createRedis(REDIS_URL, { connectionName: 'test-e2e' });
    store = await createMongoStore({ url: MONGO_URL, dbName });
    consumer = consumeResults({ connection: redis, prefix, available: () => store.ping() }, (ms) => store.applyMany(ms));
    scheduler = new Service('scheduler', 'services/scheduler/main.ts', {
      REDIS_URL,
      MONGO_URL,
      MONGO_DB: dbName,
      QUEUE_PREFIX: prefix,
      SCHEDULER_PORT: '0',
      SPIKESWEEP_API_TOKEN: API_TOKEN,
    });
    services.push(scheduler);
    const ready = await scheduler.waitFor((l) => l.msg === 'ready', 60_000);
    base = `http://127.0.0.1:${String(ready.port)}`;
  });

  afterAll(async () => {
    for (const s of services) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
    await Promise.all(services.map((s) => Promise.race([s.exited, new Promise((r) => setTimeout(r, 15_000))])));
    for (const s of services) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    await consumer?.close();
    for (const name of ['trials', 'results', 'dead-letter']) {
      const { Queue } = await import('bullmq');
      const q = new Queue(name, { connection: redis, prefix });
      await q.obliterate({ force: true }).catch(() => undefined);
      await q.close();
    }
    await deleteRedisPrefix(redis, prefix);
    await store?.close();
    if (redis) await closeRedis(redis);
    await dropMongoDatabase(dbName);
  });

  it('runs all 24 trials exactly once, resuming the killed one from its checkpoint', async () => {
    const a = new Service('worker-a', 'services/worker/main.ts', workerEnv('worker-a'));
    const b = new Service('worker-b', 'services/worker/main.ts', workerEnv('worker-b'));
    services.push(a, b);
    await Promise.all([a.waitFor((l) => l.msg === 'ready', 60_000), b.waitFor((l) => l.msg === 'ready', 60_000)]);

    const submitted = await fetch(`${base}/api/sweeps`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}` }, body: JSON.stringify(spec) });
    expect(submitted.status).toBe(201);
    const body = (await submitted.json()) as { sweepId: string; planned: number; enqueued: number };
    expect(body).toMatchObject({ planned: 24, enqueued: 24 });
    sweepId = body.sweepId;

    // Kill worker A right after it checkpointed an epoch of a trial it has not finished.
    // (The first checkpointed epoch leaves the trial EPOCHS − 1 epochs to go, so it is surely mid-trial.)
    const line = await a.waitFor((l) => l.msg === 'epoch' && l.checkpointed === true && l.epoch === 1, 120_000);
    a.child.kill('SIGKILL');
    killedTrial = line.trialId as string;
    killedAtEpoch = line.epoch as number;
    await a.exited;
    const c = new Service('worker-c', 'services/worker/main.ts', workerEnv('worker-c')); // the replacement pod
    services.push(c);

    const deadline = Date.now() + 300_000;
    type Progress = { finished: number; planned: number; status: string; counts: Record<string, number> };
    let progress: Progress = { finished: 0, planned: 0, status: '', counts: {} };
    while (Date.now() < deadline) {
      const res = await fetch(`${base}/api/sweeps/${sweepId}`);
      progress = (await res.json()) as Progress;
      expect(res.status).toBe(200);
      if (progress.finished >= 24) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(progress).toMatchObject({ finished: 24, planned: 24, counts: { completed: 24 } });

    const survivors = [b, c];
    const finishedLines = survivors.flatMap((s) => s.lines.filter((l) => l.msg === 'trial finished'));
    const perTrial = new Map<string, number>();
    for (const l of finishedLines) perTrial.set(l.trialId as string, (perTrial.get(l.trialId as string) ?? 0) + 1);
    const killedFinishedByA = a.lines.some((l) => l.msg === 'trial finished' && l.trialId === killedTrial);
    expect(killedFinishedByA).toBe(false);
    const aFinished = a.lines.filter((l) => l.msg === 'trial finished').map((l) => l.trialId as string);
    for (const id of aFinished) perTrial.set(id, (perTrial.get(id) ?? 0) + 1);
    expect(perTrial.size).toBe(24);
    expect([...perTrial.values()].every((n) => n === 1)).toBe(true);

    // The killed trial was picked up again and continued after the checkpointed epoch.
    const resumed = survivors.flatMap((s) => s.lines.filter((l) => l.msg === 'trial started' && l.trialId === killedTrial));
    expect(resumed).toHaveLength(1);
    // It resumed from A's last checkpoint: at least the one seen, at most one A saved but had no time to log.
    const resumedFrom = resumed[0]?.resumedFrom as number;
    const lastLoggedByA = Math.max(...a.lines.filter((l) => l.msg === 'epoch' && l.trialId === killedTrial && l.checkpointed).map((l) => l.epoch as number));
    expect(resumedFrom).toBeGreaterThanOrEqual(killedAtEpoch);
    expect(resumedFrom).toBeLessThanOrEqual(lastLoggedByA + 1);
    expect(resumedFrom).toBeLessThan(EPOCHS);
    const epochsAfter = survivors.flatMap((s) => s.lines.filter((l) => l.msg === 'epoch' && l.trialId === killedTrial)).map((l) => l.epoch);
    expect(epochsAfter).toEqual(Array.from({ length: EPOCHS - resumedFrom }, (_, i) => resumedFrom + 1 + i));
  });

  it('gives the same metrics as the embedded mode', async () => {
    const plan = planSweep(spec);
    const distributed = await store.getResults(plan.trials.map((t) => t.trialId));
    expect(distributed).toHaveLength(24);
    const embeddedStore = await createEmbeddedStore();
    const embedded = await runSweepEmbedded({ spec, store: embeddedStore, workers: 2, checkpointDir: null });
    await embeddedStore.close();
    expect(embedded.executed).toBe(24);
    const byId = new Map(distributed.map((r) => [r.trialId, r]));
    for (const result of embedded.results) {
      const other = byId.get(result.trialId);
      expect(other).toBeDefined();
      expect(deterministicPart(other as TrialResult)).toEqual(deterministicPart(result));
    }
    const killed = byId.get(killedTrial);
    expect(killed?.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
  });

  it('resubmitting the spec adds no trial', async () => {
    const again = await fetch(`${base}/api/sweeps`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}` }, body: JSON.stringify(spec) });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ sweepId, created: false, enqueued: 0, alreadyDone: 24 });
    const trials: Queue = createTrialQueue({ connection: redis, prefix });
    expect(await trials.getJobCounts('waiting', 'prioritized', 'active', 'delayed')).toEqual({ waiting: 0, prioritized: 0, active: 0, delayed: 0 });
    await trials.close();
  });

  it('a worker dead-letters a payload that fails validation and keeps working', async () => {
    const trials = createTrialQueue({ connection: redis, prefix });
    const dead = createDeadLetterQueue({ connection: redis, prefix });
    const config = planSweep(spec).trials[0]?.config;
    await trials.add('trial', { schemaVersion: 1, sweepId, trialId: '0'.repeat(24), config, checkpointEveryEpochs: 1, earlyStopping: { kind: 'none' }, enqueuedAt: 'x' });
    let letters: { data: { reason: string; issues: { path: string }[] } }[] = [];
    for (let i = 0; i < 100 && letters.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      letters = (await dead.getJobs(['waiting'])) as typeof letters;
    }
    expect(letters).toHaveLength(1);
    expect(letters[0]?.data.issues[0]?.path).toBe('trialId');
    expect(letters[0]?.data.reason).toMatch(/hashes to/);
    const ready = await fetch(`http://127.0.0.1:${String(services.find((s) => s.name === 'worker-b')?.lines.find((l) => l.msg === 'ready')?.port)}/readyz`);
    expect(ready.status).toBe(200);
    await trials.close();
    await dead.close();
  });
});

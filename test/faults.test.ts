/**
 * Faults an operator meets, against `spikesweep serve` on PRIVATE Redis and FerretDB instances
 * (own ports and data dirs; the shared services are never touched):
 * - a worker and the scheduler SIGKILLed: serve restarts them, the others keep running, the
 *   sweep completes, every trial once;
 * - Redis restarted mid-sweep, FerretDB stopped and restarted mid-sweep: every result in the
 *   database, none duplicated;
 * - the database lost after a sweep finished: a resubmit completes what it is missing;
 * - divergence (lr 1e300) for each method: `diverged` in one attempt, the sweep continues.
 * Trials are no-op (shared/sweep/noop-engine.ts, 150 ms epochs) except in the divergence case
 * (the real engine on tiny data), so each case takes seconds.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMongoStore, type Store } from '../shared/store/index.ts';
import { freePort, privateFerretDb, privateRedis, type PrivateServer } from './support/private-services.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = `test-token-${randomUUID()}`;
const DB = 'faults';

let dataDir: string;
let redis: PrivateServer;
let ferret: PrivateServer;
let store: Store;

interface Serve {
  child: ChildProcess;
  port: number;
  log: string[];
  stop(): Promise<number | null>;
}

async function startServe(engine: 'noop' | 'real'): Promise<Serve> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['bin/spikesweep.js', 'serve', '--workers', '2', '--port', String(port), '--mongo-db', DB, '--queue-prefix', 'faults', '--stop-timeout', '5'],
    {
      cwd: root,
      env: {
        ...process.env,
        REDIS_URL: `redis://127.0.0.1:${redis.port}`,
        MONGO_URL: `mongodb://127.0.0.1:${ferret.port}`,
        SPIKESWEEP_API_TOKEN: TOKEN,
        RESULTS_PORT: '0',
        // a killed worker's trial goes back to the queue after seconds, not the default 30 s
        LOCK_DURATION_MS: '5000',
        STALLED_INTERVAL_MS: '2000',
        ...(engine === 'noop' ? { TRIAL_ENGINE_MODULE: path.join(root, 'shared/sweep/noop-engine.ts'), NOOP_ENGINE_EPOCH_MS: '150' } : { TRIAL_ENGINE_MODULE: '' }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log: string[] = [];
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk: Buffer) => log.push(...chunk.toString().split('\n').filter(Boolean)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await until('the scheduler API', async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200, 60_000);
  return {
    child,
    port,
    log,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

async function until(what: string, ok: () => Promise<boolean>, timeoutMs = 120_000, log?: string[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${log ? `; serve said:\n${log.slice(-60).join('\n')}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function submit(serve: Serve, spec: unknown): Promise<{ sweepId: string; planned: number; enqueued: number; alreadyDone: number }> {
  const res = await fetch(`http://127.0.0.1:${serve.port}/api/sweeps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(spec),
  });
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return (await res.json()) as { sweepId: string; planned: number; enqueued: number; alreadyDone: number };
}

/** Each case its own seeds: trial ids are hashes of configs, so sweeps with equal configs share trials. */
const noopSpec = (name: string, trials: number, firstSeed: number) => ({
  name,
  base: { method: 'surrogate', training: { epochs: 5 } },
  axes: { seed: { range: [firstSeed, firstSeed + trials] } },
});

async function finished(sweepId: string): Promise<number> {
  const s = await store.getSummary(sweepId).catch(() => null);
  return s ? s.byStatus.completed + s.byStatus.failed + s.byStatus.diverged + s.byStatus.pruned : 0;
}

/** Every planned trial is in the database exactly once, final, and counted once in the summary. */
async function expectEveryResultOnce(sweepId: string, planned: number, status = 'completed'): Promise<void> {
  const client = new MongoClient(`mongodb://127.0.0.1:${ferret.port}`);
  try {
    const trials = await client.db(DB).collection('trials').find({ sweepIds: sweepId }, { projection: { status: 1 } }).toArray();
    expect(trials).toHaveLength(planned);
    expect(new Set(trials.map((t) => String(t._id))).size).toBe(planned);
    expect(trials.every((t) => t.status === status)).toBe(true);
  } finally {
    await client.close();
  }
  const summary = await store.getSummary(sweepId);
  expect(summary.byStatus[status as 'completed']).toBe(planned);
  expect(summary.byStatus.running + summary.byStatus.pending).toBe(0);
  expect(summary.groups.reduce((n, g) => n + g.finished, 0)).toBe(planned);
}

/** Pids of serve's children running `file`. */
function childPids(serve: Serve, file: string): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(serve.child.pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(file))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

beforeAll(async () => {
  mkdirSync(path.join(root, '.data'), { recursive: true });
  dataDir = mkdtempSync(path.join(root, '.data', 'faults-'));
  redis = await privateRedis(path.join(dataDir, 'redis'));
  ferret = await privateFerretDb(path.join(dataDir, 'ferretdb'));
  await redis.start();
  await ferret.start();
  store = await createMongoStore({ url: `mongodb://127.0.0.1:${ferret.port}`, dbName: DB });
});

afterAll(async () => {
  await store?.close();
  await ferret?.stop();
  await redis?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('faults under spikesweep serve (private Redis and FerretDB)', () => {
  let serve: Serve;
  beforeAll(async () => {
    serve = await startServe('noop');
  });
  afterAll(async () => {
    const code = await serve?.stop();
    expect(code, serve?.log.slice(-60).join('\n')).toBe(0);
  });

  it('a SIGKILLed worker and scheduler are restarted, the others keep running, the sweep completes once', async () => {
    const { sweepId, planned } = await submit(serve, noopSpec('kill-children', 16, 0));
    await until('a few results', async () => (await finished(sweepId)) >= 3, 120_000, serve.log);
    const [worker, otherWorker] = childPids(serve, 'services/worker/main.');
    const [scheduler] = childPids(serve, 'services/scheduler/main.');
    const [results] = childPids(serve, 'services/results/main.');
    expect(worker && otherWorker && scheduler && results).toBeTruthy();
    process.kill(worker!, 'SIGKILL');
    process.kill(scheduler!, 'SIGKILL');
    await until('every result', async () => (await finished(sweepId)) === planned);
    await expectEveryResultOnce(sweepId, planned);
    // the survivors are the same processes; the killed ones were replaced
    expect(childPids(serve, 'services/worker/main.')).toContain(otherWorker);
    expect(childPids(serve, 'services/results/main.')).toEqual([results]);
    expect(serve.log.some((l) => /worker-\d +exited \(SIGKILL\)|worker-\d exited \(SIGKILL\)/.test(l))).toBe(true);
    expect(serve.log.some((l) => /scheduler exited \(SIGKILL\)/.test(l))).toBe(true);
    await until('the scheduler back', async () => (await fetch(`http://127.0.0.1:${serve.port}/readyz`)).status === 200, 60_000);
  });

  it('Redis restarted mid-sweep: every result in the database, none duplicated', async () => {
    const { sweepId, planned } = await submit(serve, noopSpec('redis-restart', 16, 100));
    await until('a few results', async () => (await finished(sweepId)) >= 3);
    await redis.stop('SIGTERM');
    await new Promise((r) => setTimeout(r, 2_000));
    await redis.start();
    await until('every result', async () => (await finished(sweepId)) === planned, 180_000);
    await expectEveryResultOnce(sweepId, planned);
  });

  it('FerretDB stopped and restarted mid-sweep: every result in the database, none duplicated', async () => {
    const { sweepId, planned } = await submit(serve, noopSpec('ferretdb-restart', 16, 200));
    await until('a few results', async () => (await finished(sweepId)) >= 3);
    await ferret.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 8_000)); // trials keep finishing into the queue meanwhile
    await ferret.start();
    await until('every result', async () => (await finished(sweepId)) === planned, 180_000);
    await expectEveryResultOnce(sweepId, planned);
  });

  it('a resubmit after the database was lost completes what it is missing', async () => {
    const spec = noopSpec('database-loss', 8, 300);
    const first = await submit(serve, spec);
    await until('every result', async () => (await finished(first.sweepId)) === first.planned);
    // the database is lost (Redis keeps its "finished" markers and completed jobs)
    const client = new MongoClient(`mongodb://127.0.0.1:${ferret.port}`);
    await client.db(DB).collection('trials').deleteMany({ sweepIds: first.sweepId });
    await client.db(DB).collection('summaries').deleteMany({ sweepId: first.sweepId });
    await client.db(DB).collection('curveSummaries').deleteMany({ sweepId: first.sweepId });
    await client.db(DB).collection('sweeps').deleteMany({ _id: first.sweepId as never });
    await client.close();
    const again = await submit(serve, spec);
    expect(again.sweepId).toBe(first.sweepId);
    expect(again.alreadyDone).toBe(0);
    expect(again.enqueued).toBe(first.planned);
    await until('every result again', async () => (await finished(first.sweepId)) === first.planned);
    await expectEveryResultOnce(first.sweepId, first.planned);
  });
});

describe('divergence under spikesweep serve (real engine, tiny data)', () => {
  let serve: Serve;
  beforeAll(async () => {
    serve = await startServe('real');
  });
  afterAll(async () => {
    await serve?.stop();
  });

  it('lr 1e300 ends each method as diverged in one attempt, with the epoch and the reason; the sweep completes', async () => {
    const spec = {
      name: 'divergence',
      base: { method: 'surrogate', dataset: { trainSize: 40, validationSize: 20, testSize: 20 }, training: { epochs: 2, batchSize: 20 } },
      axes: { method: ['surrogate', 'spike-time', 'eventprop'], 'training.learningRate': [1e300, 0.005] },
    };
    const { sweepId, planned } = await submit(serve, spec);
    expect(planned).toBe(6);
    await until('every result', async () => (await finished(sweepId)) === planned, 180_000);
    const page = await store.listTrials(sweepId, { limit: 100 });
    const byLr = (lr: number) => page.trials.filter((t) => (t.config as { training: { learningRate: number } }).training.learningRate === lr);
    expect(byLr(1e300).map((t) => t.status)).toEqual(['diverged', 'diverged', 'diverged']);
    for (const t of byLr(1e300)) {
      expect(t.attempt).toBe(1);
      expect(t.result?.error).toMatch(/^diverged at epoch 1, minibatch 1: /);
    }
    expect(byLr(0.005).every((t) => t.status === 'completed')).toBe(true);
    const summary = await store.getSummary(sweepId);
    expect(summary.byStatus.diverged).toBe(3);
    expect(summary.byStatus.completed).toBe(3);
  });
});

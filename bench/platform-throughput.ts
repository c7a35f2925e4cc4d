/**
 * Platform benchmarks (real Redis from `spikesweep services up`; no MongoDB needed):
 *   1. scheduling overhead per trial: enqueue → a worker starts it (idle workers, one at a time);
 *   2. no-op trial throughput with 1 and 2 worker processes (the engine replaced by
 *      shared/sweep/noop-engine.ts, so only the platform is measured);
 *   3. real-trial throughput with 1 and 2 worker processes (the engine, small surrogate trials),
 *      and the same in embedded mode (1 and 2 threads); the ratio 2 : 1 is the scaling.
 *
 *   nice -n 10 node --import tsx bench/platform-throughput.ts [--noop 200] [--real 8] [--skip-real]
 *
 * Prints numbers; asserts nothing. On a shared machine the scaling ratio depends on what else runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { QueueEvents, type Queue } from 'bullmq';
import { closeRedis, createRedis } from '../shared/clients/redis.ts';
import { createTrialQueue, enqueueTrials } from '../shared/queue/queues.ts';
import { createEmbeddedStore } from '../shared/store/index.ts';
import { runSweepEmbedded } from '../shared/sweep/embedded.ts';
import { planSweep, type SweepPlan } from '../shared/sweep/plan.ts';

const { values: args } = parseArgs({
  options: {
    noop: { type: 'string', default: '200' },
    real: { type: 'string', default: '8' },
    'skip-real': { type: 'boolean', default: false },
  },
});
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const root = fileURLToPath(new URL('..', import.meta.url));
const noopEngine = fileURLToPath(new URL('../shared/sweep/noop-engine.ts', import.meta.url));
const redis = createRedis(REDIS_URL, { connectionName: 'bench-platform' });

function startWorkers(prefix: string, count: number, engine: string | null): Promise<ChildProcess[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'services/worker/main.ts'], {
        cwd: root,
        env: {
          ...process.env,
          REDIS_URL,
          QUEUE_PREFIX: prefix,
          WORKER_CONCURRENCY: '1',
          WORKER_PORT: '0',
          WORKER_ID: `bench-${i}`,
          ...(engine ? { TRIAL_ENGINE_MODULE: engine } : {}),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      return new Promise<ChildProcess>((resolve, reject) => {
        let buffer = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          if (buffer.includes('"msg":"ready"')) resolve(child);
        });
        child.on('exit', (code) => reject(new Error(`worker exited ${code}`)));
      });
    }),
  );
}

async function stopWorkers(workers: ChildProcess[]): Promise<void> {
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve) => {
          w.removeAllListeners('exit');
          w.once('exit', () => resolve());
          w.kill('SIGTERM');
        }),
    ),
  );
}

async function cleanup(prefix: string, queue: Queue): Promise<void> {
  await queue.obliterate({ force: true });
  await queue.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
}

const noopPlan = (n: number, tag: string) =>
  planSweep({ name: `bench-${tag}`, base: { method: 'surrogate', training: { epochs: 1 } }, axes: { seed: { range: [0, n] } } });

function realPlan(n: number): SweepPlan {
  return planSweep({
    name: 'bench-real',
    base: { method: 'surrogate', training: { epochs: 5 }, dataset: { trainSize: 1000, validationSize: 200, testSize: 200 } },
    axes: { seed: { range: [0, n] } },
  });
}

/** Runs a plan's trials on `workers` worker processes; returns seconds from enqueue to the last completion. */
async function runDistributed(plan: SweepPlan, workers: number, engine: string | null): Promise<number> {
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const queue = createTrialQueue({ connection: redis, prefix });
  const eventsConnection = createRedis(REDIS_URL);
  const events = new QueueEvents('trials', { connection: eventsConnection, prefix });
  await events.waitUntilReady();
  const procs = await startWorkers(prefix, workers, engine);
  let done = 0;
  const all = new Promise<void>((resolve) =>
    events.on('completed', () => {
      if (++done === plan.trials.length) resolve();
    }),
  );
  const t0 = performance.now();
  await enqueueTrials(queue, plan.sweepId, plan.spec, plan.trials, { fresh: true });
  await all;
  const seconds = (performance.now() - t0) / 1000;
  await stopWorkers(procs);
  await events.close();
  await closeRedis(eventsConnection);
  await cleanup(prefix, queue);
  return seconds;
}

/** Enqueue → start latency, one trial at a time on idle workers. */
async function schedulingOverhead(samples: number): Promise<number[]> {
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const queue = createTrialQueue({ connection: redis, prefix });
  const eventsConnection = createRedis(REDIS_URL);
  const events = new QueueEvents('trials', { connection: eventsConnection, prefix });
  await events.waitUntilReady();
  const procs = await startWorkers(prefix, 2, noopEngine);
  const plan = noopPlan(samples, 'latency');
  const latencies: number[] = [];
  for (const trial of plan.trials) {
    const completed = new Promise<void>((resolve) => {
      const on = ({ jobId }: { jobId: string }) => {
        if (jobId === trial.trialId) {
          events.off('completed', on);
          resolve();
        }
      };
      events.on('completed', on);
    });
    await enqueueTrials(queue, plan.sweepId, plan.spec, [trial]);
    await completed;
    const job = await queue.getJob(trial.trialId);
    if (job?.processedOn) latencies.push(job.processedOn - job.timestamp);
  }
  await stopWorkers(procs);
  await events.close();
  await closeRedis(eventsConnection);
  await cleanup(prefix, queue);
  return latencies;
}

/** Wall seconds and CPU seconds (all threads of this process) of an embedded run. */
async function runEmbedded(plan: SweepPlan, workers: number): Promise<{ seconds: number; cpuSeconds: number }> {
  const store = await createEmbeddedStore();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await runSweepEmbedded({ spec: plan.spec, store, workers, checkpointDir: null });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await store.close();
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;
const line = (label: string, value: string) => console.log(`${label.padEnd(58)} ${value}`);

const latencies = await schedulingOverhead(50);
line('scheduling overhead enqueue → start (50 trials), median', `${quantile(latencies, 0.5).toFixed(1)} ms`);
line('scheduling overhead enqueue → start, p95', `${quantile(latencies, 0.95).toFixed(1)} ms`);

const noop = Number(args.noop);
const noop1 = await runDistributed(noopPlan(noop, 'noop1'), 1, noopEngine);
const noop2 = await runDistributed(noopPlan(noop, 'noop2'), 2, noopEngine);
line(`no-op trials, 1 worker process (${noop} trials)`, `${(noop / noop1).toFixed(1)} trials/s`);
line(`no-op trials, 2 worker processes (${noop} trials)`, `${(noop / noop2).toFixed(1)} trials/s  (×${(noop1 / noop2).toFixed(2)})`);

if (!args['skip-real']) {
  const real = Number(args.real);
  const plan = realPlan(real);
  const r1 = await runDistributed(plan, 1, null);
  const r2 = await runDistributed(plan, 2, null);
  line(`real trials, 1 worker process (${real} surrogate trials)`, `${((real / r1) * 60).toFixed(1)} trials/min`);
  line(`real trials, 2 worker processes`, `${((real / r2) * 60).toFixed(1)} trials/min  (scaling ×${(r1 / r2).toFixed(2)})`);
  const e1 = await runEmbedded(plan, 1);
  const e2 = await runEmbedded(plan, 2);
  line(`real trials, embedded, 1 thread`, `${((real / e1.seconds) * 60).toFixed(1)} trials/min, ${(e1.cpuSeconds / real).toFixed(2)} CPU-s/trial`);
  line(
    `real trials, embedded, 2 threads`,
    `${((real / e2.seconds) * 60).toFixed(1)} trials/min, ${(e2.cpuSeconds / real).toFixed(2)} CPU-s/trial  (scaling ×${(e1.seconds / e2.seconds).toFixed(2)})`,
  );
  // Independent of other load: the cores the run kept busy. 2.0 would be perfect use of 2 threads.
  line(`  cores kept busy, embedded 1 → 2 threads`, `${(e1.cpuSeconds / e1.seconds).toFixed(2)} → ${(e2.cpuSeconds / e2.seconds).toFixed(2)}`);
}
await closeRedis(redis);

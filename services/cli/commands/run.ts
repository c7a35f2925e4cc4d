import { readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { COMMANDS } from '../commands.ts';
import { DEFAULT_QUEUE_PREFIX, SPEC_MAX_BYTES, ServiceUnavailableError, TooLargeError, ValidationError, type TrialResult } from '../../../shared/contracts/index.ts';
import { DEFAULT_TOKEN_FILE } from '../token.ts';
import { positiveWorkers } from '../options.ts';
import { closeRedis, createRedis, assertNoEviction } from '../../../shared/clients/redis.ts';
import { createResultsQueue, createTrialQueue, ResultsPublisher } from '../../../shared/queue/queues.ts';
import { createEmbeddedStore, createMongoStore, type ResultStore } from '../../../shared/store/index.ts';
import { readAnalyzedSummary, type AnalyzedSummary } from '../../../shared/results-app/analyzed-summary.ts';
import { estimateSweepCost, formatBytes, formatDurationMs, formatPercent, MISSING, spreadsOf, type CostEstimate, type NamedSpread } from '../../../shared/analysis/index.ts';
import { runSweepEmbedded, type EmbeddedProgress } from '../../../shared/sweep/embedded.ts';
import { parseSpecText, planSweep, type SweepPlan } from '../../../shared/sweep/plan.ts';
import { SweepScheduler } from '../../../shared/sweep/scheduler.ts';

interface RunOptions {
  workers?: number;
  store: string;
  json?: boolean;
  redis?: string;
  mongo?: string;
  mongoDb: string;
  queuePrefix: string;
  follow: boolean;
  dryRun?: boolean;
  server?: string;
  tokenFile: string;
}

/** Reads a spec file (YAML or JSON; `-` = stdin), refusing one over the spec size limits. */
export async function readSpec(path: string): Promise<unknown> {
  if (path !== '-' && (await stat(path)).size > SPEC_MAX_BYTES) {
    throw new TooLargeError([{ path: '', message: `${path} is larger than ${SPEC_MAX_BYTES} bytes` }]);
  }
  const text = path === '-' ? await readStdin() : await readFile(path, 'utf8');
  return parseSpecText(text, path === '-' ? 'stdin' : path);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    if (bytes > SPEC_MAX_BYTES) throw new TooLargeError([{ path: '', message: `stdin is larger than ${SPEC_MAX_BYTES} bytes` }]);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `spikesweep run spec.yaml`: embedded by default (everything in this process, results in
 * `--store DIR`); with `--redis` and `--mongo` (or REDIS_URL and MONGO_URL) it submits to the
 * distributed system and follows the sweep. Re-running resumes; finished trials are skipped.
 */
export function register(program: Command): void {
  program
    .command('run')
    .description(COMMANDS.run.summary)
    .argument('<spec>', 'sweep spec, YAML or JSON (- reads stdin)')
    .option('--workers <n>', 'trials run at once, embedded mode (default: one per core)', positiveWorkers)
    .option('--store <dir>', 'embedded store directory (results and checkpoints)', '.data/store')
    .option('--json', 'print {sweepId, trials, summary, executed} as JSON instead of the table')
    .option('--redis <url>', 'Redis of the distributed system (env REDIS_URL)')
    .option('--mongo <url>', 'MongoDB of the distributed system (env MONGO_URL)')
    .option('--mongo-db <name>', 'MongoDB database (env MONGO_DB)', process.env.MONGO_DB ?? 'spikesweep')
    .option('--queue-prefix <prefix>', 'BullMQ key prefix (env QUEUE_PREFIX)', process.env.QUEUE_PREFIX ?? DEFAULT_QUEUE_PREFIX)
    .option('--server <url>', 'submit to a scheduler API (e.g. http://127.0.0.1:8080) with the bearer token (env SPIKESWEEP_SERVER)')
    .option('--token-file <path>', 'file holding the API token when SPIKESWEEP_API_TOKEN is unset (written by `spikesweep serve`)', DEFAULT_TOKEN_FILE)
    .option('--no-follow', 'distributed mode: submit and return without waiting')
    .option('--dry-run', 'plan only: print the trial count and the estimated CPU time and chip time, run nothing')
    .action(async (specPath: string, options: RunOptions) => {
      const spec = await readSpec(specPath);
      if (options.dryRun) {
        const plan = planSweep(spec);
        const estimate = estimateSweepCost(plan.trials);
        const workers = options.workers ?? availableParallelism();
        process.stdout.write(options.json ? `${JSON.stringify({ sweepId: plan.sweepId, name: plan.spec.name, estimate })}\n` : `${dryRunTable(plan, estimate, workers)}\n`);
        return;
      }
      const server = options.server ?? process.env.SPIKESWEEP_SERVER;
      if (server) {
        await runAgainstServer(spec, server, await readToken(options.tokenFile), options);
        return;
      }
      const redisUrl = options.redis ?? process.env.REDIS_URL;
      const mongoUrl = options.mongo ?? process.env.MONGO_URL;
      if (redisUrl || mongoUrl) {
        if (!redisUrl || !mongoUrl) {
          throw new ValidationError('spikesweep:invalid-input', [
            { path: redisUrl ? '--mongo' : '--redis', message: 'the distributed mode needs both Redis and MongoDB (--redis and --mongo, or REDIS_URL and MONGO_URL)' },
          ]);
        }
        await runDistributed(spec, { ...options, redis: redisUrl, mongo: mongoUrl });
      } else {
        await runEmbedded(spec, options);
      }
    });
}

/** The API token: SPIKESWEEP_API_TOKEN, else the token file; null when neither exists. */
async function readToken(file: string): Promise<string | null> {
  if (process.env.SPIKESWEEP_API_TOKEN) return process.env.SPIKESWEEP_API_TOKEN;
  try {
    return (await readFile(file, 'utf8')).trim() || null;
  } catch {
    return null;
  }
}

/**
 * `spikesweep run spec.yaml --server URL`: POSTs the spec to the scheduler API with
 * `Authorization: Bearer <token>` and follows GET /api/sweeps/:id until it finishes. An API
 * error becomes the CLI's one-line error (exit 2 for a refused spec or token, 1 otherwise).
 */
async function runAgainstServer(spec: unknown, server: string, token: string | null, options: RunOptions): Promise<void> {
  const base = server.replace(/\/+$/, '');
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { ...init, headers });
    } catch (error) {
      throw new ServiceUnavailableError(`the scheduler at ${base} is not reachable: ${(error as Error).message}`);
    }
    const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
    if (res.ok) return body as T;
    const message = `${base} answered ${res.status}: ${body.error?.message ?? res.statusText}`;
    if (res.status >= 500) throw new ServiceUnavailableError(message);
    throw new ValidationError('spikesweep:invalid-input', [{ path: res.status === 401 ? 'SPIKESWEEP_API_TOKEN' : 'spec', message }]);
  };
  const submitted = await api<{ sweepId: string; name: string; planned: number; enqueued: number; alreadyDone: number; planning: boolean }>('/api/sweeps', {
    method: 'POST',
    body: JSON.stringify(spec),
  });
  process.stderr.write(
    `spikesweep: sweep ${submitted.sweepId} (${submitted.name}) on ${base}: ${submitted.planned} trials${submitted.planning ? ', planning' : `, ${submitted.alreadyDone} already done, ${submitted.enqueued} enqueued`}\n`,
  );
  if (!options.follow) {
    if (options.json) process.stdout.write(`${JSON.stringify(submitted)}\n`);
    return;
  }
  let last = '';
  for (;;) {
    const progress = await api<{ status: string; planned: number; finished: number; counts: Record<string, number>; error?: string }>(`/api/sweeps/${submitted.sweepId}`);
    const line = `${progress.finished}/${progress.planned} trials finished (${progress.status})`;
    if (line !== last && !options.json) process.stderr.write(`spikesweep: ${line}\n`);
    last = line;
    if (progress.status === 'failed') throw new ValidationError('spikesweep:invalid-spec', [{ path: 'spec', message: progress.error ?? 'planning failed' }]);
    if ((progress.status !== 'planning' && progress.finished >= progress.planned) || progress.status === 'cancelled') {
      if (options.json) process.stdout.write(`${JSON.stringify({ sweepId: submitted.sweepId, ...progress })}\n`);
      else process.stdout.write(`sweep ${submitted.sweepId}: ${line}; ${Object.entries(progress.counts).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
      return;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function runEmbedded(spec: unknown, options: RunOptions): Promise<void> {
  planSweep(spec); // fail on a bad spec before opening the store
  const dir = resolve(options.store);
  const store = await createEmbeddedStore({ dir });
  const bar = progressBar(!options.json);
  let stops = 0;
  const onSignal = () => {
    if (++stops > 1) process.exit(130);
    process.stderr.write('\nspikesweep: stopping after the running epochs (checkpointed); run the same command to resume. Ctrl-C again to quit now.\n');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const run = await runSweepEmbedded({
      spec,
      store,
      workers: options.workers ?? availableParallelism(),
      checkpointDir: join(dir, 'checkpoints'),
      onProgress: (p) => bar.update(p),
      shouldStop: () => stops > 0,
    });
    bar.stop();
    await report(run.plan, run.results, run.executed, store, options.json ?? false);
    if (run.unfinished > 0) process.stderr.write(`spikesweep: ${run.unfinished} trials left; run the same command to resume\n`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    bar.stop();
    await store.close();
  }
}

async function runDistributed(spec: unknown, options: RunOptions & { redis: string; mongo: string }): Promise<void> {
  const redis = createRedis(options.redis, { connectionName: 'spikesweep-cli' });
  const store = await createMongoStore({ url: options.mongo, dbName: options.mongoDb });
  const settings = { connection: redis, prefix: options.queuePrefix };
  const trials = createTrialQueue(settings);
  const resultsQueue = createResultsQueue(settings);
  try {
    await assertNoEviction(redis);
    const scheduler = new SweepScheduler({ redis, trials, results: new ResultsPublisher(resultsQueue), store, prefix: options.queuePrefix });
    const plan = planSweep(spec);
    const submitted = await scheduler.submit(spec);
    process.stderr.write(
      `spikesweep: sweep ${submitted.sweepId} (${submitted.name}): ${submitted.planned} trials, ${submitted.alreadyDone} already done, ${submitted.enqueued} enqueued\n`,
    );
    if (!options.follow) {
      if (options.json) process.stdout.write(`${JSON.stringify(submitted)}\n`);
      return;
    }
    const bar = progressBar(!options.json);
    let finished = 0;
    for (;;) {
      const progress = await scheduler.progress(submitted.sweepId);
      finished = progress.finished;
      bar.update({
        plan,
        done: progress.finished,
        executed: progress.finished - submitted.alreadyDone,
        running: progress.counts.running,
        epochsRun: progress.finished,
        epochsLeft: progress.planned - progress.finished,
      });
      if (progress.finished >= progress.planned || progress.status === 'cancelled') break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    bar.stop();
    const results = await store.getResults(plan.trials.map((t) => t.trialId));
    await report(plan, results, Math.max(0, finished - submitted.alreadyDone), store, options.json ?? false);
  } finally {
    await trials.close();
    await resultsQueue.close();
    await store.close();
    await closeRedis(redis);
  }
}

interface Bar {
  update(progress: EmbeddedProgress): void;
  stop(): void;
}

/** A bar with an ETA on stderr when it is a terminal; otherwise a line per finished trial. */
function progressBar(enabled: boolean): Bar {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  if (!process.stderr.isTTY) {
    let last = -1;
    return {
      update: (p) => {
        if (p.done === last) return;
        last = p.done;
        process.stderr.write(`spikesweep: ${p.done}/${p.plan.trials.length} trials done (${p.executed} by this run)\n`);
      },
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{bar} {percentage}% | trials {done}/{trials} | running {running} | ETA {eta_formatted}',
      etaBuffer: 50,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let stopped = false;
  return {
    update: (p) => {
      // Progress counts epochs, so the ETA follows the work, not the number of trials.
      const total = Math.max(1, p.epochsRun + p.epochsLeft);
      const payload = { done: p.done, trials: p.plan.trials.length, running: p.running };
      if (!started) {
        started = true;
        bar.start(total, p.epochsRun, payload);
      } else {
        bar.setTotal(total);
        bar.update(p.epochsRun, payload);
      }
    },
    stop: () => {
      if (started && !stopped) bar.stop();
      stopped = true;
    },
  };
}

async function report(plan: SweepPlan, results: readonly TrialResult[], executed: number, store: ResultStore, json: boolean): Promise<void> {
  const summary = await readAnalyzedSummary(store, plan.sweepId);
  if (json) {
    const byId = new Map(results.map((r) => [r.trialId, r]));
    const trials = plan.trials.map(({ trialId, config }) => {
      const r = byId.get(trialId);
      if (!r) return { trialId, status: 'pending', config, testAccuracy: null };
      const { epochs, ...rest } = r;
      return { ...rest, trialId, status: r.status, config: r.config, testAccuracy: r.testAccuracy, epochsRun: epochs.length, epochs };
    });
    process.stdout.write(`${JSON.stringify({ sweepId: plan.sweepId, name: plan.spec.name, trials, summary, executed })}\n`);
    return;
  }
  process.stdout.write(`${summaryTable(plan, summary, executed)}\n`);
}

/** Warnings first, then method × mode with the three named spreads, then the recommendation with its confidence. */
export function summaryTable(plan: SweepPlan, summary: AnalyzedSummary, executed: number): string {
  const sd = (spread: NamedSpread | undefined) => (spread?.sdPp === null || spread === undefined ? MISSING : `${spread.sdPp.toFixed(1)} (${spread.n})`);
  const table = new Table({
    head: ['method', 'mode', 'trials', 'test acc. %', 'sd over trials, pp (n)', 'sd over chip means, pp (chips)', 'sd over seed means, pp (seeds)', 'worst chip %', 'failed', 'wall/trial', 'chip time/trial', 'read-out/sample'],
    style: { head: [], border: [] },
  });
  for (const g of summary.groups) {
    const worst = g.devices.worst;
    const spreads = new Map(spreadsOf(g).map((x) => [x.name, x]));
    table.push([
      g.method,
      g.mode,
      `${g.completed}/${g.finished}`,
      formatPercent(g.accuracy.mean),
      sd(spreads.get('sdOverTrials')),
      sd(spreads.get('sdOverChipMeans')),
      sd(spreads.get('sdOverSeedMeans')),
      worst ? `${formatPercent(worst.meanAccuracy)} (chip ${worst.mismatchSeed})` : MISSING,
      String(g.failed + g.diverged),
      formatDurationMs(g.cost.wallTimeMs.mean),
      formatDurationMs(g.cost.hardwareTimeMs.mean),
      g.mode === 'simulation' ? MISSING : formatBytes(g.cost.readoutBytesPerSample.mean),
    ]);
  }
  const lines = [
    ...summary.analysis.warnings.map((w) => `${w.severity === 'critical' ? '!!' : '!'} ${w.message}`),
    `sweep ${plan.sweepId} "${plan.spec.name}": ${plan.trials.length} trials, ${executed} run now`,
    table.toString(),
  ];
  if (summary.recommendation) lines.push(summary.recommendation.sentence);
  return lines.join('\n');
}

/** `run --dry-run`: the plan's trial count and the cost model's CPU and chip time, per method × mode. */
export function dryRunTable(plan: SweepPlan, estimate: CostEstimate, workers: number): string {
  const table = new Table({ head: ['method', 'mode', 'trials', 'CPU time (est.)', 'chip time (est.)'], style: { head: [], border: [] } });
  for (const row of estimate.byMethod) table.push([row.method, row.mode, String(row.trials), formatDurationMs(row.cpuMs), formatDurationMs(row.hardwareTimeMs)]);
  return [
    `sweep ${plan.sweepId} "${plan.spec.name}": ${estimate.trials} trials (dry run: nothing was run)`,
    table.toString(),
    `estimated CPU time ${formatDurationMs(estimate.cpuMs)} (about ${formatDurationMs(estimate.cpuMs / Math.max(1, workers))} on ${workers} worker${workers === 1 ? '' : 's'} with a core each), chip time ${formatDurationMs(estimate.hardwareTimeMs)} (${estimate.chipRuns} chip presentations); early stopping can only shorten it`,
  ].join('\n');
}

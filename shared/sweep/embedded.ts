import { hostname } from 'node:os';
import type { ResultsMessage, TrialResult } from '../contracts/index.ts';
import type { ResultStore } from '../store/types.ts';
import { DirectoryCheckpointStore, MemoryCheckpointStore, type CheckpointStore } from './checkpoints.ts';
import { MemoryRungStore } from './early-stopping.ts';
import { planSweep, type PlannedTrial, type SweepPlan } from './plan.ts';
import { TrialPool } from './pool.ts';
import { isDone, runTrialAttempt } from './run-trial.ts';

/**
 * The embedded mode: scheduler, worker pool and store in one process. Plans the spec,
 * registers the sweep in the store, skips trials that already have a final result (resume),
 * runs the rest on worker threads and applies every message to the store in process.
 */
export interface EmbeddedRunOptions {
  /** The spec as parsed from YAML/JSON; validated here. */
  spec: unknown;
  store: ResultStore;
  /** Trials run at once (threads). */
  workers: number;
  /** Directory for checkpoints (so an interrupted run resumes mid-trial); null = memory. */
  checkpointDir: string | null;
  engineModule?: string;
  onProgress?(event: EmbeddedProgress): void;
  /** Polled after every epoch: stop now (checkpoint running trials and return)? */
  shouldStop?(): boolean;
}

export interface EmbeddedProgress {
  plan: SweepPlan;
  /** Trials with a final result (from earlier runs included). */
  done: number;
  /** Trials finished by this run. */
  executed: number;
  running: number;
  /** Epochs completed by this run, and epochs left in unfinished trials (for the ETA). */
  epochsRun: number;
  epochsLeft: number;
}

export interface EmbeddedRunResult {
  plan: SweepPlan;
  executed: number;
  /** Trials still without a final result (the run was stopped). */
  unfinished: number;
  /** Final results in plan order (earlier runs included). */
  results: TrialResult[];
}

export async function runSweepEmbedded(options: EmbeddedRunOptions): Promise<EmbeddedRunResult> {
  const plan = planSweep(options.spec);
  const { store } = options;
  const ids = plan.trials.map((t) => t.trialId);
  await store.apply({
    kind: 'sweep-registered',
    sweep: {
      sweepId: plan.sweepId,
      name: plan.spec.name,
      spec: plan.spec as unknown as Record<string, unknown>,
      createdAt: new Date().toISOString(),
      trials: plan.trials.map((t) => ({ trialId: t.trialId, config: t.config as unknown as Record<string, unknown> })),
      axes: [...plan.axes],
      status: 'running',
    },
  });

  const previous = (await store.getResults(ids)).filter(isDone);
  const doneIds = new Set(previous.map((r) => r.trialId));
  const todo = plan.trials.filter((t) => !doneIds.has(t.trialId));
  const rungs = new MemoryRungStore();
  for (const result of previous) {
    for (const e of result.epochs) await rungs.record(plan.sweepId, e.epoch, result.trialId, e.validationAccuracy);
  }
  const checkpoints: CheckpointStore = options.checkpointDir ? new DirectoryCheckpointStore(options.checkpointDir) : new MemoryCheckpointStore();
  const publish = async (message: ResultsMessage) => store.apply(message);

  const progress: EmbeddedProgress = {
    plan,
    done: doneIds.size,
    executed: 0,
    running: 0,
    epochsRun: 0,
    epochsLeft: todo.reduce((sum, t) => sum + t.config.training.epochs, 0),
  };
  const report = () => options.onProgress?.({ ...progress });
  report();

  let stopped = false;
  const stopRequested = () => (stopped ||= options.shouldStop?.() ?? false);
  const pool = new TrialPool({ size: Math.max(1, Math.min(options.workers, todo.length || 1)), engineModule: options.engineModule });
  const workerId = `embedded@${hostname()}:${process.pid}`;
  if (todo.length > 0) await pool.start();
  try {
    const runOne = async (trial: PlannedTrial) => {
      if (stopRequested()) return;
      progress.running++;
      report();
      let seen = 0;
      try {
        for (let attempt = 1; attempt <= plan.spec.maxAttempts; attempt++) {
          try {
            const { outcome } = await runTrialAttempt(pool, trial, {
              sweepId: plan.sweepId,
              workerId,
              attempt,
              lastAttempt: attempt === plan.spec.maxAttempts,
              checkpointEveryEpochs: plan.spec.checkpointEveryEpochs,
              earlyStopping: plan.spec.earlyStopping,
              publish,
              checkpoints,
              rungs,
              releaseRequested: stopRequested,
              onEpoch: (_metrics, { resumedFrom }) => {
                if (seen === 0) progress.epochsLeft -= resumedFrom;
                seen++;
                progress.epochsRun++;
                progress.epochsLeft--;
                report();
              },
            });
            if (outcome.kind === 'finished') {
              progress.done++;
              progress.executed++;
              progress.epochsLeft -= Math.max(0, trial.config.training.epochs - outcome.result.epochs.length);
            }
            return;
          } catch (error) {
            if (attempt === plan.spec.maxAttempts) throw error;
          }
        }
      } finally {
        progress.running--;
        report();
      }
    };
    await Promise.all(todo.map(runOne));
  } finally {
    await pool.close();
  }

  const results = await store.getResults(ids);
  const byId = new Map(results.map((r) => [r.trialId, r]));
  const ordered = ids.map((id) => byId.get(id)).filter((r): r is TrialResult => r !== undefined);
  const unfinished = ids.length - ordered.filter(isDone).length;
  if (unfinished === 0) await store.apply({ kind: 'sweep-status', sweepId: plan.sweepId, status: 'completed', at: new Date().toISOString() });
  return { plan, executed: progress.executed, unfinished, results: ordered };
}

import type { EarlyStopping, EpochMetrics, ResultsMessage, TrialResult } from '../contracts/index.ts';
import type { CheckpointStore } from './checkpoints.ts';
import { EarlyStopper, type RungStore } from './early-stopping.ts';
import type { PlannedTrial } from './plan.ts';
import type { TrialRunContext } from './engine.ts';
import { TrialRunError, type TrialOutcome, type TrialPool } from './pool.ts';
import { platformMetrics, recordTrialFinished } from '../telemetry/metrics.ts';

/**
 * Runs one attempt of one trial on the pool and reports it: `trial-started`, a `trial-epoch`
 * per epoch, a checkpoint every N epochs, early-stopping decisions, and `trial-finished`.
 * Used alike by the embedded runner and the worker service; only `publish`, the checkpoint
 * store and the rung store differ (in process vs. Redis and the results queue).
 */
export interface TrialAttempt {
  sweepId: string;
  workerId: string;
  /** 1-based. */
  attempt: number;
  /** When this attempt fails retryably, is there no further attempt? Then a `failed` result is published. */
  lastAttempt: boolean;
  checkpointEveryEpochs: number;
  earlyStopping: EarlyStopping;
  publish(message: ResultsMessage): Promise<void>;
  checkpoints: CheckpointStore;
  rungs: RungStore;
  /** Where the trial reaches its device (`config.device`), when it names one. */
  context?: TrialRunContext;
  /** Asked after each epoch: checkpoint and give the trial back (graceful shutdown)? */
  releaseRequested(): boolean;
  /** Called once the checkpoint (if any) is loaded, before the trial starts. */
  onStart?(resumedFrom: number): Promise<void> | void;
  /** Progress hook (e.g. BullMQ job.updateProgress), after the epoch's checkpoint (if any) is saved. */
  onEpoch?(metrics: EpochMetrics, info: { resumedFrom: number; checkpointed: boolean }): Promise<void> | void;
}

export interface AttemptOutcome {
  outcome: TrialOutcome;
  /** Epochs already done when this attempt started (from a checkpoint). */
  resumedFrom: number;
}

export async function runTrialAttempt(pool: TrialPool, trial: PlannedTrial, attempt: TrialAttempt): Promise<AttemptOutcome> {
  const { trialId, config } = trial;
  const now = () => new Date().toISOString();
  const checkpoint = await attempt.checkpoints.load(trialId);
  const resumedFrom = checkpoint?.epochsDone ?? 0;
  const epochs: EpochMetrics[] = checkpoint ? [...checkpoint.epochs] : [];
  const stopper = new EarlyStopper(attempt.earlyStopping, attempt.rungs, attempt.sweepId, trialId, config.training.epochs);
  stopper.replay(epochs.map((e) => e.validationAccuracy));

  const labels = { method: config.method, mode: config.mode };
  await attempt.onStart?.(resumedFrom);
  await attempt.publish({ kind: 'trial-started', trialId, workerId: attempt.workerId, attempt: attempt.attempt, at: now() });
  let outcome: TrialOutcome;
  try {
    outcome = await pool.run(config, { checkpoint, checkpointEveryEpochs: attempt.checkpointEveryEpochs, context: attempt.context }, async (report) => {
      epochs.push(report.metrics);
      platformMetrics().samples.add(config.dataset.trainSize, labels);
      await attempt.publish({ kind: 'trial-epoch', trialId, metrics: report.metrics, at: now() });
      if (report.checkpoint) await attempt.checkpoints.save(report.checkpoint);
      await attempt.onEpoch?.(report.metrics, { resumedFrom, checkpointed: report.checkpoint !== null });
      if (report.finished) return 'continue';
      if ((await stopper.afterEpoch(report.metrics.epoch, report.metrics.validationAccuracy)) === 'prune') return 'prune';
      return attempt.releaseRequested() ? 'release' : 'continue';
    });
  } catch (error) {
    const retryable = error instanceof TrialRunError ? error.retryable : false;
    // a device that went away: the trial waits for it and resumes from its checkpoint (no attempt spent)
    if (attempt.context?.device && error instanceof TrialRunError && error.code === 'spikesweep:device-unavailable') throw error;
    if (retryable && !attempt.lastAttempt) throw error;
    const result = failedResult(trial, error, epochs);
    await attempt.publish({ kind: 'trial-finished', result, at: now() });
    recordTrialFinished({ ...labels, status: result.status, wallTimeMs: result.wallTimeMs });
    await attempt.checkpoints.delete(trialId);
    return { outcome: { kind: 'finished', result }, resumedFrom };
  }
  if (outcome.kind === 'finished') {
    await attempt.publish({ kind: 'trial-finished', result: outcome.result, at: now() });
    recordTrialFinished({ ...labels, status: outcome.result.status, wallTimeMs: outcome.result.wallTimeMs });
    await attempt.checkpoints.delete(trialId);
  } else {
    await attempt.checkpoints.save(outcome.checkpoint);
  }
  return { outcome, resumedFrom };
}

/** The result of a trial the engine could not run: status `failed` with the reason. */
export function failedResult(trial: PlannedTrial, error: unknown, epochs: readonly EpochMetrics[]): TrialResult {
  const message = error instanceof Error ? error.message : String(error);
  return {
    schemaVersion: 1,
    trialId: trial.trialId,
    config: trial.config as unknown as Record<string, unknown>,
    status: 'failed',
    error: message,
    testAccuracy: null,
    validationAccuracy: null,
    trainAccuracy: null,
    bestEpoch: 0,
    epochs: [...epochs],
    wallTimeMs: epochs.reduce((sum, e) => sum + e.wallTimeMs, 0),
    hardwareTimeMs: 0,
    energyJ: 0,
    chipRuns: 0,
    readoutBytesPerSample: 0,
    chipEvaluations: [],
    engineVersion: 'unknown',
  };
}

/** A final result that resume keeps; `failed` trials run again on resume. */
export function isDone(result: Pick<TrialResult, 'status'>): boolean {
  return result.status !== 'failed';
}

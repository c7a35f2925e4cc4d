import type { EpochMetrics, TrialCheckpoint, TrialConfig, TrialResult } from '../contracts/index.ts';

/**
 * What the platform needs from the engine (shared/engine/trial.ts): a trial that runs one
 * epoch at a time, so the platform can report progress, checkpoint, and stop it early
 * between epochs. The engine is pure and deterministic; resuming from a checkpoint gives the
 * same metrics as never stopping.
 */
export interface TrialSession {
  /** Runs the next epoch and returns its metrics. */
  runEpoch(): EpochMetrics | Promise<EpochMetrics>;
  /** The full state after the last completed epoch (JSON-serialisable). */
  checkpoint(): TrialCheckpoint;
  /** The final result; `'pruned'` when the platform stopped it early. */
  finish(stop?: 'pruned'): TrialResult | Promise<TrialResult>;
  /** True once the epoch budget is spent or the engine stopped by itself (patience, divergence). */
  readonly finished: boolean;
  readonly epochsDone: number;
}

/** Where a run of a trial reaches outside things: the address of the physical device `config.device` names. */
export interface TrialRunContext {
  readonly device?: { readonly address: string; readonly timeoutMs?: number };
}

export interface TrialEngineModule {
  startTrial(config: TrialConfig, resumeFrom?: TrialCheckpoint, context?: TrialRunContext): TrialSession | Promise<TrialSession>;
}

/** The real engine. A benchmark may point the pool at another module with the same API. */
export const DEFAULT_ENGINE_MODULE = new URL(import.meta.url.endsWith('.ts') ? '../engine/trial.ts' : '../engine/trial.js', import.meta.url).href;

/** Messages from the pool to a trial thread. */
export type ToThread =
  | { type: 'start'; config: TrialConfig; checkpoint: TrialCheckpoint | null; checkpointEveryEpochs: number; context?: TrialRunContext }
  /** The answer to an `epoch` message. `release`: send a checkpoint and stop (shutdown). */
  | { type: 'decision'; decision: 'continue' | 'prune' | 'release' };

/** Messages from a trial thread to the pool. */
export type FromThread =
  | { type: 'ready' }
  /** After each epoch; `checkpoint` every N epochs and whenever the trial is not finished and asked to release. */
  | { type: 'epoch'; metrics: EpochMetrics; checkpoint: TrialCheckpoint | null; finished: boolean }
  | { type: 'finished'; result: TrialResult }
  | { type: 'released'; checkpoint: TrialCheckpoint }
  | { type: 'error'; message: string; code: string | null; retryable: boolean; stack: string | null };

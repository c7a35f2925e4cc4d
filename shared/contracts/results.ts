import { z } from 'zod';
import { EpochMetrics, TrialResult } from './trial.ts';

/**
 * Messages on the results queue (BullMQ queue `spikesweep-results` in distributed mode, an
 * in-process call in embedded mode). Producers: the scheduler (sweeps) and the workers
 * (trial progress and results). The only consumer is the results service, the single writer
 * to MongoDB. Every message is idempotent: applying it twice changes nothing.
 */

/** A sweep as registered by the scheduler: its identity, its spec and its planned trials. */
export const SweepRecord = z.object({
  sweepId: z.string(),
  name: z.string(),
  /** The validated spec as submitted (JSON). */
  spec: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  /** The planned trials, in plan order. */
  trials: z.array(z.object({ trialId: z.string(), config: z.record(z.string(), z.unknown()) })),
  /** Axis paths the spec varies, e.g. `training.learningRate`, `chip.mismatchSeed`. */
  axes: z.array(z.string()),
  status: z.enum(['running', 'cancelled', 'completed']),
});
export type SweepRecord = z.infer<typeof SweepRecord>;

export const ResultsMessage = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sweep-registered'), sweep: SweepRecord }),
  z.object({ kind: z.literal('sweep-status'), sweepId: z.string(), status: SweepRecord.shape.status, at: z.string() }),
  z.object({
    kind: z.literal('trial-started'),
    trialId: z.string(),
    workerId: z.string(),
    attempt: z.number().int().min(1),
    at: z.string(),
  }),
  z.object({ kind: z.literal('trial-epoch'), trialId: z.string(), metrics: EpochMetrics, at: z.string() }),
  z.object({ kind: z.literal('trial-heartbeat'), trialId: z.string(), workerId: z.string(), at: z.string() }),
  z.object({ kind: z.literal('trial-finished'), result: TrialResult, at: z.string() }),
]);
export type ResultsMessage = z.infer<typeof ResultsMessage>;

/**
 * Queue names. BullMQ keys are `<prefix>:<queue>:…`; the prefix (env QUEUE_PREFIX, default
 * `spikesweep`) lets tests and tenants share one Redis without seeing each other's jobs.
 */
export const QueueNames = {
  trials: 'trials',
  results: 'results',
  deadLetter: 'dead-letter',
} as const;
export const DEFAULT_QUEUE_PREFIX = 'spikesweep';

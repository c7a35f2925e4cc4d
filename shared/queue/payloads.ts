import { z } from 'zod';
import { EarlyStopping, parseTrialConfig, trialIdOf, ValidationError, type TrialConfig } from '../contracts/index.ts';
import { parseOrThrow } from '../contracts/validate.ts';

/**
 * The payload of a job on the `trials` queue, validated when enqueued and again when a worker
 * takes it (a bad payload is dead-lettered with its reason, never crashes a worker). The job
 * id is the trial id; the worker checks that the config hashes to it.
 */
export const TrialJobPayload = z
  .object({
    schemaVersion: z.literal(1),
    sweepId: z.string().min(1),
    trialId: z.string().regex(/^[0-9a-f]{24}$/, 'a trial id is 24 hex digits'),
    config: z.record(z.string(), z.unknown()),
    checkpointEveryEpochs: z.number().int().min(1),
    earlyStopping: EarlyStopping,
    enqueuedAt: z.string(),
    /** W3C trace context of the enqueueing span (`traceparent`, `tracestate`). */
    trace: z.record(z.string(), z.string()).default({}),
  })
  .strict();
export type TrialJobPayload = z.infer<typeof TrialJobPayload>;

/** Validates a trial job payload and its config; the config must hash to `trialId`. */
export function parseTrialJob(data: unknown): { payload: TrialJobPayload; config: TrialConfig } {
  const payload = parseOrThrow(TrialJobPayload, data, 'spikesweep:invalid-input');
  const config = parseTrialConfig(payload.config, 'config');
  const id = trialIdOf(config);
  if (id !== payload.trialId) {
    throw new ValidationError('spikesweep:invalid-input', [{ path: 'trialId', message: `the config hashes to ${id}, not ${payload.trialId}` }]);
  }
  return { payload, config };
}

/** What the dead-letter queue keeps about a payload that failed validation. */
export const DeadLetter = z.object({
  queue: z.string(),
  jobId: z.string().nullable(),
  reason: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })),
  data: z.unknown(),
  at: z.string(),
});
export type DeadLetter = z.infer<typeof DeadLetter>;

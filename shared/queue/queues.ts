import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import {
  DEFAULT_QUEUE_PREFIX,
  QueueNames,
  ResultsMessage,
  SpikeSweepError,
  ValidationError,
  type SweepSpec,
} from '../contracts/index.ts';
import { parseOrThrow } from '../contracts/validate.ts';
import type { PlannedTrial } from '../sweep/plan.ts';
import { injectTraceContext } from '../telemetry/index.ts';
import { DeadLetter, TrialJobPayload, parseTrialJob } from './payloads.ts';

/**
 * The BullMQ queues: `trials` (scheduler → workers), `results` (scheduler and workers → the
 * results service) and `dead-letter` (payloads that failed validation, with the reason).
 * BullMQ keys are `<prefix>:<queue>:…`; every option with a unit says it.
 */

export interface QueueSettings {
  connection: ConnectionOptions;
  /** Key prefix (env QUEUE_PREFIX); tests use their own. */
  prefix?: string;
}

const KEEP_COMPLETED = { ageSeconds: 24 * 3600, count: 10_000 };
const KEEP_FAILED = { ageSeconds: 7 * 24 * 3600, count: 50_000 };
/** Cap of each queue's events stream (BullMQ default 10 000; stated so it is not forgotten). */
export const EVENTS_MAX_LEN = 10_000;
/** First retry after this delay, doubling per attempt. */
export const TRIAL_BACKOFF_MS = 2_000;

function queueOptions(settings: QueueSettings) {
  return {
    connection: settings.connection,
    prefix: settings.prefix ?? DEFAULT_QUEUE_PREFIX,
    streams: { events: { maxLen: EVENTS_MAX_LEN } },
  };
}

export function createTrialQueue(settings: QueueSettings): Queue {
  return new Queue(QueueNames.trials, queueOptions(settings));
}
export function createResultsQueue(settings: QueueSettings): Queue {
  return new Queue(QueueNames.results, queueOptions(settings));
}
export function createDeadLetterQueue(settings: QueueSettings): Queue {
  return new Queue(QueueNames.deadLetter, queueOptions(settings));
}

/** Job options of a trial: id = trial id (idempotent enqueue), retries with exponential backoff, bounded history. */
export function trialJobOptions(trialId: string, spec: Pick<SweepSpec, 'maxAttempts' | 'priority'>): JobsOptions {
  return {
    jobId: trialId,
    attempts: spec.maxAttempts,
    backoff: { type: 'exponential', delay: TRIAL_BACKOFF_MS },
    priority: spec.priority,
    removeOnComplete: { age: KEEP_COMPLETED.ageSeconds, count: KEEP_COMPLETED.count },
    removeOnFail: { age: KEEP_FAILED.ageSeconds, count: KEEP_FAILED.count },
  };
}

/** Builds and validates the payload of a planned trial, with the active trace context. */
export function trialPayload(sweepId: string, spec: SweepSpec, trial: PlannedTrial): TrialJobPayload {
  const trace = injectTraceContext();
  const payload = {
    schemaVersion: 1 as const,
    sweepId,
    trialId: trial.trialId,
    config: trial.config as unknown as Record<string, unknown>,
    checkpointEveryEpochs: spec.checkpointEveryEpochs,
    earlyStopping: spec.earlyStopping,
    enqueuedAt: new Date().toISOString(),
    trace,
  };
  parseTrialJob(payload); // validate on enqueue, as the worker will on dequeue
  return payload;
}

/**
 * Adds trials to the `trials` queue. A job that already exists waiting, delayed or active is
 * left alone (the id makes this idempotent); a finished job of a trial that is to run again
 * (resume after cancel or failure) is removed first. With `fresh` (a sweep submitted for the
 * first time) trials are added in bulk, 500 per round trip; BullMQ still skips existing ids.
 * Returns the ids actually added.
 */
export async function enqueueTrials(
  queue: Queue,
  sweepId: string,
  spec: SweepSpec,
  trials: readonly PlannedTrial[],
  options: { fresh?: boolean } = {},
): Promise<string[]> {
  const added: string[] = [];
  if (options.fresh) {
    for (let start = 0; start < trials.length; start += 500) {
      const chunk = trials.slice(start, start + 500);
      const existing = new Set((await Promise.all(chunk.map((t) => queue.getJob(t.trialId)))).filter((j) => j).map((j) => j?.id));
      const jobs = await queue.addBulk(
        chunk.filter((t) => !existing.has(t.trialId)).map((t) => ({ name: 'trial', data: trialPayload(sweepId, spec, t), opts: trialJobOptions(t.trialId, spec) })),
      );
      added.push(...jobs.map((j) => j.id as string));
    }
    return added;
  }
  for (const trial of trials) {
    const existing = await queue.getJob(trial.trialId);
    if (existing) {
      const state = await existing.getState();
      if (state === 'completed' || state === 'failed') await existing.remove();
      else if (state !== 'unknown') continue;
    }
    const job = await queue.add('trial', trialPayload(sweepId, spec, trial), trialJobOptions(trial.trialId, spec));
    if (job.id === trial.trialId) added.push(trial.trialId);
  }
  return added;
}

/** Removes a sweep's trials that wait in the queue (not the active ones). Returns how many. */
export async function removeWaitingTrials(queue: Queue, trialIds: readonly string[]): Promise<number> {
  let removed = 0;
  for (const id of trialIds) {
    const job = await queue.getJob(id);
    if (!job) continue;
    const state = await job.getState();
    if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
      await job.remove();
      removed++;
    }
  }
  return removed;
}

/** Backoff type of results jobs, computed by the consumer's `resultsBackoffMs` (capped, unlike BullMQ's exponential). */
export const RESULTS_BACKOFF_TYPE = 'results-capped';
/** Longest wait between two attempts of a results job. */
export const RESULTS_MAX_BACKOFF_MS = 30_000;

/** Delay before attempt k + 1 of a results job: min(30 s, 1 s · 2^(k−1)). */
export function resultsBackoffMs(attemptsMade: number): number {
  return Math.min(RESULTS_MAX_BACKOFF_MS, 1_000 * 2 ** Math.max(0, Math.min(attemptsMade - 1, 20)));
}

/** Publishes results messages, validated before they go (the consumer validates again). */
export class ResultsPublisher {
  constructor(private readonly queue: Queue) {}
  async publish(message: ResultsMessage): Promise<void> {
    const valid = parseOrThrow(ResultsMessage, message, 'spikesweep:invalid-input');
    await this.queue.add(valid.kind, valid, {
      // A database outage does not fail a results job (the consumer holds it until the write is
      // acknowledged); attempts are for messages that fail while the database answers. Kept a week.
      attempts: 20,
      backoff: { type: RESULTS_BACKOFF_TYPE },
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: { age: KEEP_FAILED.ageSeconds },
    });
  }
}

/** Puts a payload that failed validation on the dead-letter queue with its reason. */
export async function deadLetter(queue: Queue, entry: Omit<DeadLetter, 'at' | 'issues'>, error: unknown): Promise<void> {
  const issues = error instanceof ValidationError ? [...error.issues] : [];
  const letter = DeadLetter.parse({ ...entry, issues, at: new Date().toISOString() });
  await queue.add(`dead:${entry.queue}`, letter, { removeOnComplete: true, removeOnFail: { age: KEEP_FAILED.ageSeconds } });
}

/** Reads a dead-letter job's data (for tooling and tests). */
export function parseDeadLetter(data: unknown): DeadLetter {
  const parsed = DeadLetter.safeParse(data);
  if (!parsed.success) throw new SpikeSweepError('spikesweep:invalid-input', 'not a dead letter');
  return parsed.data;
}

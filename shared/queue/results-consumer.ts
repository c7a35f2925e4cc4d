import { Worker, type ConnectionOptions } from 'bullmq';
import { DEFAULT_QUEUE_PREFIX, QueueNames, ResultsMessage } from '../contracts/index.ts';
import { parseOrThrow } from '../contracts/validate.ts';
import { createDeadLetterQueue, deadLetter, RESULTS_BACKOFF_TYPE, resultsBackoffMs } from './queues.ts';

/**
 * Consumes the `results` queue for the results service, in batches, never losing a message:
 *
 * - Up to `maxInFlight` messages are taken off the queue at once (BullMQ concurrency): the
 *   bound on memory, and the back pressure — while a batch waits for the database, no further
 *   messages are taken and the rest stay in Redis.
 * - Taken messages are validated (an invalid one is dead-lettered) and written by one writer,
 *   `batchSize` at a time (or whatever arrived within `lingerMs`), through `applyMany`
 *   (e.g. ResultStore.applyMany: idempotent bulk writes).
 * - A message's job completes only after its write was acknowledged. While the database does
 *   not answer (`available()` false) the batch is retried with a capped backoff and its jobs
 *   stay active in Redis, their locks renewed; if this process dies meanwhile, BullMQ hands
 *   them to the next consumer (stalled jobs) and the idempotent writes make the repeat harmless.
 * - A batch that fails while the database answers is split: each message is retried alone, and
 *   a message that still fails fails its job, which BullMQ retries with a capped backoff.
 */
export interface ResultsConsumerSettings {
  connection: ConnectionOptions;
  prefix?: string;
  /** Messages taken off the queue and not yet written, at most. */
  maxInFlight?: number;
  /** Messages per database write, at most. */
  batchSize?: number;
  /** How long the writer waits for more messages before writing a partial batch. */
  lingerMs?: number;
  /** Whether the database answers (e.g. store.ping); asked after a failed write. */
  available?: () => Promise<boolean>;
  /** Retry delay while the database is away: min(maxRetryDelayMs, retryDelayMs · 2^k). */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Called after every acknowledged batch write (metrics). */
  onWritten?: (batch: { messages: readonly ResultsMessage[]; durationMs: number }) => void;
  /** Called when a write failed and will be retried. */
  onRetry?: (info: { error: unknown; size: number; attempt: number; delayMs: number }) => void;
}

export interface ResultsConsumer {
  readonly worker: Worker;
  /** Messages taken off the queue and not yet acknowledged. */
  inFlight(): number;
  /**
   * Stops taking messages and waits up to `timeoutMs` (default 10 s) for the ones in flight to
   * be written; then stops regardless (what is unwritten stays in Redis for the next consumer).
   * Safe to call twice.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

interface Pending {
  message: ResultsMessage;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export const RESULTS_MAX_IN_FLIGHT = 512;
export const RESULTS_BATCH_SIZE = 256;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());

export function consumeResults(
  settings: ResultsConsumerSettings,
  applyMany: (messages: readonly ResultsMessage[]) => Promise<void>,
): ResultsConsumer {
  const prefix = settings.prefix ?? DEFAULT_QUEUE_PREFIX;
  const batchSize = settings.batchSize ?? RESULTS_BATCH_SIZE;
  const lingerMs = settings.lingerMs ?? 20;
  const retryDelayMs = settings.retryDelayMs ?? 250;
  const maxRetryDelayMs = settings.maxRetryDelayMs ?? 5_000;
  const available = settings.available ?? (async () => true);
  const dead = createDeadLetterQueue(settings);
  const queue: Pending[] = [];
  let writing = false;
  let stopped = false;
  let lingering: NodeJS.Timeout | null = null;

  /** Writes one batch; resolves its messages once acknowledged. Never throws. */
  const writeBatch = async (batch: Pending[]): Promise<void> => {
    for (let attempt = 0; !stopped; attempt++) {
      const started = performance.now();
      try {
        await applyMany(batch.map((p) => p.message));
        settings.onWritten?.({ messages: batch.map((p) => p.message), durationMs: performance.now() - started });
        for (const p of batch) p.resolve();
        return;
      } catch (error) {
        if (await available().catch(() => false)) {
          if (batch.length === 1) {
            batch[0]!.reject(error);
            return;
          }
          // the database answers: isolate the message that fails
          for (const p of batch) await writeBatch([p]);
          return;
        }
        const delayMs = Math.min(maxRetryDelayMs, retryDelayMs * 2 ** Math.min(attempt, 20));
        settings.onRetry?.({ error, size: batch.length, attempt: attempt + 1, delayMs });
        await sleep(delayMs);
      }
    }
    // stopped while the database was away: the jobs stay active until their locks lapse, then
    // BullMQ gives them to the next consumer.
  };

  const drain = async (): Promise<void> => {
    if (writing) return;
    writing = true;
    try {
      while (queue.length > 0 && !stopped) await writeBatch(queue.splice(0, batchSize));
    } finally {
      writing = false;
    }
  };

  const schedule = () => {
    if (writing) return; // the writer takes it with the next batch
    if (queue.length >= batchSize) {
      if (lingering) clearTimeout(lingering);
      lingering = null;
      void drain();
    } else if (!lingering) {
      lingering = setTimeout(() => {
        lingering = null;
        void drain();
      }, lingerMs);
    }
  };

  const worker = new Worker(
    QueueNames.results,
    async (job) => {
      let message: ResultsMessage;
      try {
        message = parseOrThrow(ResultsMessage, job.data, 'spikesweep:invalid-input');
      } catch (error) {
        await deadLetter(dead, { queue: QueueNames.results, jobId: job.id ?? null, reason: String((error as Error).message), data: job.data }, error);
        return { deadLettered: true };
      }
      await new Promise<void>((resolve, reject) => {
        queue.push({ message, resolve, reject });
        schedule();
      });
      return { applied: message.kind };
    },
    {
      connection: settings.connection,
      prefix,
      concurrency: settings.maxInFlight ?? RESULTS_MAX_IN_FLIGHT,
      settings: { backoffStrategy: (attemptsMade: number, type?: string) => (type === RESULTS_BACKOFF_TYPE ? resultsBackoffMs(attemptsMade) : 1_000) },
    },
  );
  // after a write the writer may find the queue refilled while it wrote
  const kick = setInterval(() => {
    if (queue.length > 0) schedule();
  }, 200);
  kick.unref();

  let closing: Promise<void> | null = null;
  return {
    worker,
    inFlight: () => queue.length,
    close: (options = {}) =>
      (closing ??= (async () => {
        const timeoutMs = options.timeoutMs ?? 10_000;
        const graceful = worker.close();
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          graceful.then(() => false),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(true), timeoutMs);
          }),
        ]);
        clearTimeout(timer);
        stopped = true;
        clearInterval(kick);
        if (lingering) clearTimeout(lingering);
        if (timedOut) await worker.close(true);
        await dead.close();
      })()),
  };
}

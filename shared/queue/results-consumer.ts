import { Worker, type ConnectionOptions } from 'bullmq';
import { DEFAULT_QUEUE_PREFIX, QueueNames, ResultsMessage } from '../contracts/index.ts';
import { parseOrThrow } from '../contracts/validate.ts';
import { createDeadLetterQueue, deadLetter } from './queues.ts';

/**
 * Consumes the `results` queue for the results service: each message is validated (an
 * invalid one is dead-lettered) and handed to `apply` (e.g. ResultStore.apply). A throwing
 * `apply` (MongoDB down) fails the job, which BullMQ retries with backoff, so nothing is lost.
 */
export function consumeResults(
  settings: { connection: ConnectionOptions; prefix?: string; concurrency?: number },
  apply: (message: ResultsMessage) => Promise<void>,
): { worker: Worker; close(): Promise<void> } {
  const prefix = settings.prefix ?? DEFAULT_QUEUE_PREFIX;
  const dead = createDeadLetterQueue(settings);
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
      await apply(message);
      return { applied: message.kind };
    },
    { connection: settings.connection, prefix, concurrency: settings.concurrency ?? 1 },
  );
  let closing: Promise<void> | null = null;
  return {
    worker,
    close: () => (closing ??= worker.close().then(() => dead.close())),
  };
}

/**
 * The results service, startable in process (tests, `spikesweep serve`): the MongoDB store
 * (single writer), the consumer of the `results` queue (batched writes; see
 * shared/queue/results-consumer.ts), and the HTTP API with the dashboard. `close()` stops them
 * in reverse start order within a bounded time (RESULTS_DRAIN_TIMEOUT_MS for the messages in
 * flight; what is unwritten stays queued) and is safe to call twice.
 */
import { closeRedis, createRedis } from '../../shared/clients/redis.ts';
import { DeviceLeases } from '../../shared/queue/devices.ts';
import { consumeResults } from '../../shared/queue/results-consumer.ts';
import { accessPolicy, listen } from '../../shared/http/index.ts';
import { jsonLogger, Lifecycle, type Logger } from '../../shared/process/index.ts';
import { createResultsQueue } from '../../shared/queue/queues.ts';
import { observeResultsBacklog, platformMetrics } from '../../shared/telemetry/metrics.ts';
import { createMongoStore, type Store } from '../../shared/store/index.ts';
import { createResultsApp } from '../../shared/results-app/app.ts';
import type { Env } from './env.ts';

export interface ResultsService {
  readonly port: number;
  readonly url: string;
  readonly store: Store;
  close(): Promise<void>;
}

export async function startResultsService(env: Env, options: { log?: Logger } = {}): Promise<ResultsService> {
  const log = options.log ?? jsonLogger('results');
  const lifecycle = new Lifecycle(log);
  try {
    const store = await createMongoStore({ url: env.MONGO_URL, dbName: env.MONGO_DB });
    lifecycle.add('store', () => store.close());
    // Completes summary contributions a crash interrupted (idempotent, cheap when none are).
    await store.repair();

    const redis = createRedis(env.REDIS_URL, { connectionName: 'spikesweep-results' });
    lifecycle.add('redis', () => closeRedis(redis));
    const metrics = platformMetrics();
    let lastRetryLogAt = 0;
    const consumer = consumeResults(
      {
        connection: redis,
        prefix: env.QUEUE_PREFIX,
        maxInFlight: env.RESULTS_MAX_IN_FLIGHT,
        batchSize: env.RESULTS_BATCH_SIZE,
        available: () => store.ping(),
        onWritten: ({ messages, durationMs }) => {
          metrics.resultWriteDuration.record(durationMs / 1000);
          const byKind = new Map<string, number>();
          for (const m of messages) byKind.set(m.kind, (byKind.get(m.kind) ?? 0) + 1);
          for (const [kind, n] of byKind) metrics.resultsWritten.add(n, { kind });
        },
        onRetry: ({ error, size, attempt, delayMs }) => {
          // once per 10 s: an outage of minutes would otherwise log every retry
          if (Date.now() - lastRetryLogAt < 10_000) return;
          lastRetryLogAt = Date.now();
          log.warn('database unavailable; holding results in the queue and retrying', { size, attempt, delayMs, error: String(error) });
        },
      },
      (messages) => store.applyMany(messages),
    );
    consumer.worker.on('failed', (job, error) => {
      log.warn('results message failed; BullMQ retries it', { jobId: job?.id, attemptsMade: job?.attemptsMade, error: String(error) });
    });
    consumer.worker.on('error', (error) => log.error('results consumer error', { error: String(error) }));
    lifecycle.add('results consumer', () => consumer.close({ timeoutMs: env.RESULTS_DRAIN_TIMEOUT_MS }));
    const resultsQueue = createResultsQueue({ connection: redis, prefix: env.QUEUE_PREFIX });
    lifecycle.add('results queue', () => resultsQueue.close());
    const stopObserving = observeResultsBacklog(async () => {
      const c = await resultsQueue.getJobCounts('wait', 'prioritized', 'delayed', 'active');
      return (c.wait ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0) + (c.active ?? 0);
    });
    lifecycle.add('backlog gauge', stopObserving);

    const app = createResultsApp(store, {
      readiness: { mongo: () => store.ping(), redis: async () => (await redis.ping()) === 'PONG' },
      access: accessPolicy(env, env.RESULTS_HOST),
      pollMs: env.DASHBOARD_POLL_MS,
      log,
      devices: () => new DeviceLeases(redis, env.QUEUE_PREFIX).list(),
    });
    const http = await listen(app, env.RESULTS_PORT, env.RESULTS_HOST);
    lifecycle.add('http', () => http.close());
    const url = `http://${env.RESULTS_HOST}:${http.port}`;
    log.info('ready', { url });
    return { port: http.port, url, store, close: () => lifecycle.close() };
  } catch (error) {
    await lifecycle.close();
    throw error;
  }
}

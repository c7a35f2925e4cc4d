/**
 * Worker service entry: parses the env, connects to Redis (checking `noeviction`), starts the
 * trial worker and the health routes; closes in reverse order on SIGTERM/SIGINT.
 */
import express from 'express';
import { assertNoEviction, closeRedis, createRedis } from '../../shared/clients/redis.ts';
import { waitForRedis } from '../../shared/queue/connection.ts';
import { healthRoutes, listen } from '../../shared/http/index.ts';
import { jsonLogger, Lifecycle, redactEnv } from '../../shared/process/index.ts';
import { startTelemetry } from '../../shared/telemetry/index.ts';
import { parseEnv } from './env.ts';
import { startTrialWorker } from './worker.ts';

const log = jsonLogger('worker');
const lifecycle = new Lifecycle(log);
lifecycle.handleSignals();
lifecycle.add('telemetry', startTelemetry('spikesweep-worker'));
try {
  const env = parseEnv();
  log.info('starting', { env: redactEnv(env) });
  const redis = createRedis(env.REDIS_URL, { connectionName: `spikesweep-worker:${env.WORKER_ID}` });
  lifecycle.add('redis', () => closeRedis(redis));
  await waitForRedis(redis);
  await assertNoEviction(redis);

  const trials = await startTrialWorker(env, redis, log);
  lifecycle.add('trial worker', () => trials.close());

  const app = express();
  healthRoutes(app, {
    redis: async () => (await redis.ping()) === 'PONG',
    worker: async () => trials.worker.isRunning(),
  });
  const http = await listen(app, env.WORKER_PORT, env.WORKER_HOST);
  lifecycle.add('http', () => http.close());
  log.info('ready', { port: http.port, concurrency: trials.pool.size, workerId: env.WORKER_ID });
} catch (error) {
  log.error('start-up failed', { error: String(error) });
  await lifecycle.close();
  process.exit(1);
}

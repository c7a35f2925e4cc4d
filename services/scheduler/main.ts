/**
 * Scheduler service entry: parses the env, connects to Redis (checking `noeviction`) and to
 * MongoDB (reads only; the results service writes), serves the API; closes in reverse order.
 */
import { assertNoEviction, closeRedis, createRedis } from '../../shared/clients/redis.ts';
import { waitForRedis } from '../../shared/queue/connection.ts';
import { createResultsQueue, createTrialQueue, ResultsPublisher } from '../../shared/queue/queues.ts';
import { createMongoStore } from '../../shared/store/index.ts';
import { accessPolicy, listen } from '../../shared/http/index.ts';
import { jsonLogger, Lifecycle, redactEnv } from '../../shared/process/index.ts';
import { startTelemetry } from '../../shared/telemetry/index.ts';
import { observeQueues } from '../../shared/telemetry/metrics.ts';
import { SweepScheduler } from '../../shared/sweep/scheduler.ts';
import { createSchedulerApp } from './app.ts';
import { parseEnv } from './env.ts';

const log = jsonLogger('scheduler');
const lifecycle = new Lifecycle(log);
lifecycle.handleSignals();
lifecycle.add('telemetry', startTelemetry('spikesweep-scheduler'));
try {
  const env = parseEnv();
  log.info('starting', { env: redactEnv(env) });
  const redis = createRedis(env.REDIS_URL, { connectionName: 'spikesweep-scheduler' });
  lifecycle.add('redis', () => closeRedis(redis));
  await waitForRedis(redis);
  await assertNoEviction(redis);
  const store = await createMongoStore({ url: env.MONGO_URL, dbName: env.MONGO_DB });
  lifecycle.add('store', () => store.close());
  const settings = { connection: redis, prefix: env.QUEUE_PREFIX };
  const trials = createTrialQueue(settings);
  lifecycle.add('trials queue', () => trials.close());
  const resultsQueue = createResultsQueue(settings);
  lifecycle.add('results queue', () => resultsQueue.close());
  lifecycle.add('queue gauges', observeQueues([trials, resultsQueue]));
  const scheduler = new SweepScheduler({
    redis,
    trials,
    results: new ResultsPublisher(resultsQueue),
    store,
    prefix: env.QUEUE_PREFIX,
    maxTrials: env.SCHEDULER_MAX_TRIALS,
    syncPlanTrials: env.SCHEDULER_SYNC_PLAN_TRIALS,
    log,
  });
  lifecycle.add('background planning', () => scheduler.close());
  const access = accessPolicy(env, env.SCHEDULER_HOST);
  if (!access.token) log.warn('SPIKESWEEP_API_TOKEN is not set: every submit, cancel and resume is refused (401)');
  const app = createSchedulerApp(scheduler, {
    bodyLimitBytes: env.SCHEDULER_BODY_LIMIT_BYTES,
    readiness: { redis: async () => (await redis.ping()) === 'PONG', mongo: () => store.ping() },
    access,
    redis,
    prefix: env.QUEUE_PREFIX,
    log,
  });
  const http = await listen(app, env.SCHEDULER_PORT, env.SCHEDULER_HOST);
  lifecycle.add('http', () => http.close());
  log.info('ready', { port: http.port });
} catch (error) {
  log.error('start-up failed', { error: String(error) });
  await lifecycle.close();
  process.exit(1);
}

import { pathToFileURL } from 'node:url';
import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { deviceKey, QueueNames } from '../../shared/contracts/index.ts';
import { DeviceLeases, type DeviceLease } from '../../shared/queue/devices.ts';
import type { TrialRunContext } from '../../shared/sweep/engine.ts';
import { extractTraceContext, SpanKind, withSpan } from '../../shared/telemetry/index.ts';
import { parseTrialJob } from '../../shared/queue/payloads.ts';
import { createDeadLetterQueue, createResultsQueue, deadLetter, ResultsPublisher } from '../../shared/queue/queues.ts';
import { FinalMarkers, RedisCheckpointStore, RedisRungStore, SweepStates } from '../../shared/queue/state.ts';
import type { Logger } from '../../shared/process/index.ts';
import { TrialPool, TrialRunError } from '../../shared/sweep/pool.ts';
import { isDone, runTrialAttempt } from '../../shared/sweep/run-trial.ts';
import type { Env } from './env.ts';

/**
 * The worker: takes trials off the `trials` queue and runs them on worker threads (so the
 * main thread keeps renewing BullMQ locks), one per thread. Per epoch: job progress, a
 * `trial-epoch` message, a checkpoint in Redis every N epochs, the early-stopping decision.
 * A retried or stalled trial resumes from its checkpoint. On shutdown, running trials
 * checkpoint after their epoch and go back to the queue.
 *
 * Devices: the worker registers the physical devices it reaches (`WORKER_DEVICES`) in Redis and
 * renews the registration with every heartbeat. A trial naming `device: {pool, id}` runs only
 * on a worker that reaches that device and only while it holds the device's lease (one trial
 * per device; the lease is renewed every third of `DEVICE_LEASE_MS`). Otherwise, or when the
 * device stops answering, the job goes back to the queue for `DEVICE_WAIT_MS` without spending
 * an attempt (waiting for the device) and resumes from its checkpoint on that device.
 */
export interface TrialWorker {
  readonly worker: Worker;
  readonly pool: TrialPool;
  /** Stops taking trials, releases running ones after their epoch, closes everything. Safe twice. */
  close(): Promise<void>;
}

export async function startTrialWorker(env: Env, redis: Redis, log: Logger): Promise<TrialWorker> {
  const settings = { connection: redis, prefix: env.QUEUE_PREFIX };
  const engineModule = env.TRIAL_ENGINE_MODULE
    ? /^[a-z]+:/.test(env.TRIAL_ENGINE_MODULE)
      ? env.TRIAL_ENGINE_MODULE
      : pathToFileURL(env.TRIAL_ENGINE_MODULE).href
    : undefined;
  const pool = new TrialPool({
    size: env.WORKER_CONCURRENCY,
    engineModule,
    // A worker that cannot run trials any more stops (its trials go back to the queue) so that
    // its supervisor (serve, Kubernetes) starts a fresh process.
    onBroken: (error) => {
      log.error('trial pool broken; shutting down', { code: error.code, error: error.message });
      globalThis.process.kill(globalThis.process.pid, 'SIGTERM');
    },
  });
  await pool.start();
  const resultsQueue = createResultsQueue(settings);
  const results = new ResultsPublisher(resultsQueue);
  const dead = createDeadLetterQueue(settings);
  const checkpoints = new RedisCheckpointStore(redis, env.QUEUE_PREFIX);
  const rungs = new RedisRungStore(redis, env.QUEUE_PREFIX);
  const finals = new FinalMarkers(redis, env.QUEUE_PREFIX);
  const sweeps = new SweepStates(redis, env.QUEUE_PREFIX);
  const leases = new DeviceLeases(redis, env.QUEUE_PREFIX);
  const reachable = new Map(env.WORKER_DEVICES.map((d) => [deviceKey(d), d]));
  const registrationTtlMs = 3 * env.HEARTBEAT_INTERVAL_MS;
  await leases.register(env.WORKER_ID, env.WORKER_DEVICES, registrationTtlMs);
  const registration = setInterval(() => void leases.register(env.WORKER_ID, env.WORKER_DEVICES, registrationTtlMs).catch(() => undefined), env.HEARTBEAT_INTERVAL_MS);
  registration.unref();
  let shuttingDown = false;

  const process = async (job: Job, token?: string) => {
    let parsed: ReturnType<typeof parseTrialJob>;
    try {
      parsed = parseTrialJob(job.data);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      await deadLetter(dead, { queue: QueueNames.trials, jobId: job.id ?? null, reason, data: job.data }, error);
      log.warn('dead-lettered an invalid trial payload', { jobId: job.id, reason });
      return { deadLettered: true };
    }
    const { payload, config } = parsed;
    const { trialId, sweepId } = payload;
    if (await finals.has(trialId)) return { skipped: 'already finished' };
    if ((await sweeps.status(sweepId)) === 'cancelled') return { skipped: 'sweep cancelled' };

    // A trial on a physical device: only here if this worker reaches it, only with its lease.
    let lease: DeviceLease | null = null;
    let leaseLost = false;
    let context: TrialRunContext | undefined;
    const waitForDevice = async (reason: string): Promise<never> => {
      log.info('trial waiting for device', { trialId, device: config.device ? deviceKey(config.device) : null, reason });
      await job.updateProgress({ status: 'waiting-for-device', device: config.device ? deviceKey(config.device) : null, reason });
      await job.moveToDelayed(Date.now() + env.DEVICE_WAIT_MS, token);
      throw new DelayedError();
    };
    if (config.device) {
      const mine = reachable.get(deviceKey(config.device));
      if (!mine) return waitForDevice(`not reachable from worker ${env.WORKER_ID}`);
      lease = await leases.acquire(config.device, `${trialId}@${env.WORKER_ID}`, env.DEVICE_LEASE_MS);
      if (!lease) return waitForDevice(`held by ${(await leases.holder(config.device)) ?? 'another trial'}`);
      lease.keepAlive(() => {
        leaseLost = true;
        log.warn('device lease lost; the trial is released after its epoch', { trialId, device: deviceKey(config.device!) });
      });
      context = { device: { address: mine.address, timeoutMs: mine.timeoutMs } };
    }

    return withSpan(
      'trial.run',
      { 'spikesweep.trial.id': trialId, 'spikesweep.sweep.id': sweepId, 'spikesweep.trial.attempt': job.attemptsStarted },
      async () => {
        let cancelled = false;
        const heartbeat = setInterval(() => {
          void results.publish({ kind: 'trial-heartbeat', trialId, workerId: env.WORKER_ID, at: new Date().toISOString() }).catch(() => undefined);
        }, env.HEARTBEAT_INTERVAL_MS);
        try {
          const { outcome } = await runTrialAttempt(pool, { trialId, config }, {
            sweepId,
            workerId: env.WORKER_ID,
            attempt: Math.max(1, job.attemptsStarted),
            lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
            ...(context ? { context } : {}),
            checkpointEveryEpochs: payload.checkpointEveryEpochs,
            earlyStopping: payload.earlyStopping,
            publish: (m) => results.publish(m),
            checkpoints,
            rungs,
            releaseRequested: () => shuttingDown || cancelled || leaseLost,
            onStart: (resumedFrom) => log.info('trial started', { trialId, sweepId, attempt: job.attemptsStarted, resumedFrom }),
            onEpoch: async (metrics, { checkpointed }) => {
              await job.updateProgress({ epoch: metrics.epoch, epochs: config.training.epochs, validationAccuracy: metrics.validationAccuracy });
              cancelled = (await sweeps.status(sweepId)) === 'cancelled';
              log.info('epoch', { trialId, epoch: metrics.epoch, checkpointed });
            },
          });
          if (outcome.kind === 'finished') {
            if (isDone(outcome.result)) await finals.mark(trialId, outcome.result.status);
            log.info('trial finished', { trialId, status: outcome.result.status, testAccuracy: outcome.result.testAccuracy });
            return { status: outcome.result.status };
          }
          log.info('trial released', { trialId, epochsDone: outcome.checkpoint.epochsDone, reason: cancelled ? 'cancelled' : leaseLost ? 'device lease lost' : 'shutdown' });
          if (cancelled) return { released: 'sweep cancelled' };
          // Back to the queue without spending an attempt; another worker resumes from the checkpoint.
          await job.moveToDelayed(Date.now(), token);
          throw new DelayedError();
        } catch (error) {
          if (context && error instanceof TrialRunError && error.code === 'spikesweep:device-unavailable') {
            await lease?.release();
            lease = null;
            return waitForDevice(error.message);
          }
          if (!(error instanceof DelayedError)) log.error('trial attempt failed', { trialId, attempt: job.attemptsStarted, error: String(error) });
          throw error;
        } finally {
          clearInterval(heartbeat);
          await lease?.release();
        }
      },
      { kind: SpanKind.CONSUMER, parent: extractTraceContext(payload.trace) },
    );
  };

  const worker = new Worker(QueueNames.trials, (job, token) => process(job, token), {
    connection: redis,
    prefix: env.QUEUE_PREFIX,
    concurrency: pool.size,
    lockDuration: env.LOCK_DURATION_MS,
    stalledInterval: env.STALLED_INTERVAL_MS,
    maxStalledCount: env.MAX_STALLED_COUNT,
  });
  worker.on('error', (error) => log.error('worker error', { error: String(error) }));

  let closing: Promise<void> | null = null;
  return {
    worker,
    pool,
    close: () =>
      (closing ??= (async () => {
        shuttingDown = true;
        clearInterval(registration);
        await worker.close();
        await leases.unregister(env.WORKER_ID, env.WORKER_DEVICES).catch(() => undefined);
        await pool.close();
        await resultsQueue.close();
        await dead.close();
      })()),
  };
}

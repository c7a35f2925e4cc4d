import { availableParallelism, hostname } from 'node:os';
import { z } from 'zod';
import { DEFAULT_QUEUE_PREFIX, DeviceRef } from '../../shared/contracts/index.ts';
import { parseOrThrow } from '../../shared/contracts/validate.ts';
import { withFileSecrets } from '../../shared/process/secrets.ts';

/** One device a worker reaches. */
export const WorkerDevice = DeviceRef.extend({
  address: z.string().min(1),
  timeoutMs: z.number().int().min(1).default(30_000),
}).strict();
export type WorkerDevice = z.infer<typeof WorkerDevice>;

/** The worker's environment, parsed once at start-up. Every default lives here. */
export const Env = z.object({
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/).default(DEFAULT_QUEUE_PREFIX),
  /** Trials run at once (threads); default one per core. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).default(() => availableParallelism()),
  /** Port of /healthz and /readyz; 0 picks a free port (several workers on one machine). */
  WORKER_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  WORKER_HOST: z.string().default('127.0.0.1'),
  WORKER_ID: z.string().min(1).default(() => `${hostname()}:${process.pid}`),
  /** BullMQ job lock; a worker that dies loses its trial to another after about this long. */
  LOCK_DURATION_MS: z.coerce.number().int().min(1000).default(30_000),
  /** How often workers look for stalled jobs (lock expired). */
  STALLED_INTERVAL_MS: z.coerce.number().int().min(500).default(30_000),
  /** Times a trial may stall (its worker died) before it fails; separate from retry attempts. */
  MAX_STALLED_COUNT: z.coerce.number().int().min(0).default(3),
  HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).default(15_000),
  /** Module with `startTrial` (URL or path); default the engine. Benchmarks point it elsewhere. */
  TRIAL_ENGINE_MODULE: z.string().optional(),
  /**
   * The physical devices this worker reaches, as JSON: [{"pool", "id", "address", "timeoutMs"?}]
   * (address: a device URL, e.g. `emulated:?mismatchSeed=3`; timeoutMs bounds each device call).
   */
  WORKER_DEVICES: z
    .string()
    .default('[]')
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON array of {pool, id, address, timeoutMs?}' });
        return z.NEVER;
      }
    })
    .pipe(z.array(WorkerDevice)),
  /** A device lease expires this long after its last heartbeat (renewed every third of it). */
  DEVICE_LEASE_MS: z.coerce.number().int().min(200).default(30_000),
  /** How long a trial waiting for its device stays in the queue before it is tried again. */
  DEVICE_WAIT_MS: z.coerce.number().int().min(50).default(5_000),
});
export type Env = z.infer<typeof Env>;

/** Parses the env; REDIS_URL, MONGO_URL and SPIKESWEEP_API_TOKEN may come from `<KEY>_FILE`. */
export function parseEnv(input: NodeJS.ProcessEnv = process.env): Env {
  const env = withFileSecrets(input);
  const known = Object.fromEntries(Object.keys(Env.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  return parseOrThrow(Env, known, 'spikesweep:invalid-input');
}

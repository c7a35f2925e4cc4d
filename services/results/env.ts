import { z } from 'zod';
import { DEFAULT_QUEUE_PREFIX } from '../../shared/contracts/index.ts';
import { parseOrThrow } from '../../shared/contracts/validate.ts';
import { withFileSecrets } from '../../shared/process/secrets.ts';
import { AccessEnv } from '../../shared/http/security.ts';

/** The results service's environment, parsed once at start-up. Every default lives here. */
export const Env = z.object({
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  MONGO_URL: z.string().url().default('mongodb://127.0.0.1:27017'),
  MONGO_DB: z.string().regex(/^[A-Za-z0-9_-]+$/).default('spikesweep'),
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/).default(DEFAULT_QUEUE_PREFIX),
  /** Results messages taken off the queue and not yet written, at most (memory bound, back pressure). */
  RESULTS_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(10_000).default(512),
  /** Results messages per database write (one bulk write per collection), at most. */
  RESULTS_BATCH_SIZE: z.coerce.number().int().min(1).max(5_000).default(256),
  /** On shutdown, wait this long for messages in flight to be written; the rest stay queued. */
  RESULTS_DRAIN_TIMEOUT_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
  /** Port of the REST API, the dashboard and /healthz, /readyz; 0 picks a free port. */
  RESULTS_PORT: z.coerce.number().int().min(0).max(65535).default(8090),
  RESULTS_HOST: z.string().default('127.0.0.1'),
  /** How often the dashboard re-reads a running sweep. */
  DASHBOARD_POLL_MS: z.coerce.number().int().min(500).default(5000),
  ...AccessEnv.shape,
});
export type Env = z.infer<typeof Env>;

/** Parses the env; REDIS_URL, MONGO_URL and SPIKESWEEP_API_TOKEN may come from `<KEY>_FILE`. */
export function parseEnv(input: NodeJS.ProcessEnv = process.env): Env {
  const env = withFileSecrets(input);
  const known = Object.fromEntries(Object.keys(Env.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  return parseOrThrow(Env, known, 'spikesweep:invalid-input');
}

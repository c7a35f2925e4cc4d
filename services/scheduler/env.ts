import { z } from 'zod';
import { DEFAULT_QUEUE_PREFIX, MAX_TRIALS_CAP } from '../../shared/contracts/index.ts';
import { AccessEnv } from '../../shared/http/security.ts';
import { parseOrThrow } from '../../shared/contracts/validate.ts';
import { withFileSecrets } from '../../shared/process/secrets.ts';

/** The scheduler's environment, parsed once at start-up. Every default lives here. */
export const Env = z.object({
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  MONGO_URL: z.string().url().default('mongodb://127.0.0.1:27017'),
  MONGO_DB: z.string().regex(/^[A-Za-z0-9_-]+$/).default('spikesweep'),
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/).default(DEFAULT_QUEUE_PREFIX),
  SCHEDULER_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Loopback by default; containers set 0.0.0.0. */
  SCHEDULER_HOST: z.string().default('127.0.0.1'),
  /** Largest accepted request body (a spec), bytes. */
  SCHEDULER_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(2_000_000),
  /** The most trials one sweep may plan here, whatever its limits.maxTrials says. */
  SCHEDULER_MAX_TRIALS: z.coerce.number().int().min(1).max(MAX_TRIALS_CAP).default(MAX_TRIALS_CAP),
  /** Sweeps up to this many trials plan before the answer (201); larger ones answer 202 and plan in the background. */
  SCHEDULER_SYNC_PLAN_TRIALS: z.coerce.number().int().min(1).default(1000),
  ...AccessEnv.shape,
});
export type Env = z.infer<typeof Env>;

/** Parses the env; REDIS_URL, MONGO_URL and SPIKESWEEP_API_TOKEN may come from `<KEY>_FILE`. */
export function parseEnv(input: NodeJS.ProcessEnv = process.env): Env {
  const env = withFileSecrets(input);
  const known = Object.fromEntries(Object.keys(Env.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  return parseOrThrow(Env, known, 'spikesweep:invalid-input');
}

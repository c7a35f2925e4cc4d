import { createHash } from 'node:crypto';
import { z } from 'zod';
import { NotImplementedError } from './errors.ts';
import { parseOrThrow } from './validate.ts';
import { MethodName } from './trial-common.ts';
import { OperationResult } from './operation.ts';
import { SurrogateTrialConfig } from './methods/surrogate.ts';
import { SpikeTimeTrialConfig } from './methods/spike-time.ts';
import { EventPropTrialConfig } from './methods/eventprop.ts';

export * from './trial-common.ts';
export * from './operation.ts';

const int = () => z.number().int();
const nonNegative = () => z.number().nonnegative().finite();

/**
 * A trial: one training run of one method, in one mode, from one TrialConfig to one
 * TrialResult. Configs are plain JSON; every default lives in these schemas.
 *
 * Times are in milliseconds of *model* (biological) time unless a name says otherwise;
 * emulated hardware runs 1000x faster (see ChipConfig).
 */

/**
 * Method-specific schemas register here (engine issues add `spike-time` and `eventprop`).
 * Each is a z.object with `method: z.literal(name)` spread with `trialCommonShape`.
 */
export { SurrogateTrialConfig };

export const TrialConfig = z.discriminatedUnion('method', [SurrogateTrialConfig, SpikeTimeTrialConfig, EventPropTrialConfig]);
export type TrialConfig = z.infer<typeof TrialConfig>;
/** What a user may write: every field with a default may be left out. */
export type TrialConfigInput = z.input<typeof TrialConfig>;


const builtMethods = new Set<string>(TrialConfig.options.map((o) => o.shape.method.value));

/**
 * Validates a user's trial config and fills in every default. Throws ValidationError naming
 * the field path, or NotImplementedError for a method the engine does not run yet.
 */
export function parseTrialConfig(input: unknown, prefix = ''): TrialConfig {
  if (input && typeof input === 'object' && 'method' in input) {
    const method = (input as { method: unknown }).method;
    if (typeof method === 'string' && MethodName.safeParse(method).success && !builtMethods.has(method)) {
      throw new NotImplementedError(`${prefix ? prefix + '.' : ''}method: '${method}' is not built yet`);
    }
  }
  return parseOrThrow(TrialConfig, input, 'spikesweep:invalid-config', prefix);
}

/** JSON with object keys sorted at every level: the canonical form a trial id hashes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v as Record<string, unknown>).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

/** Trial id: the first 24 hex digits of the SHA-256 of the canonical, defaults-filled config. */
export function trialIdOf(config: TrialConfig): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex').slice(0, 24);
}

export const TrialStatus = z.enum(['completed', 'failed', 'diverged', 'pruned']);
export type TrialStatus = z.infer<typeof TrialStatus>;

const fraction = () => z.number().min(0).max(1);

export const EpochMetrics = z.object({
  epoch: int().min(1),
  trainLoss: z.number(),
  trainAccuracy: fraction(),
  validationAccuracy: fraction(),
  learningRate: z.number(),
  wallTimeMs: nonNegative(),
});
export type EpochMetrics = z.infer<typeof EpochMetrics>;

export const ChipEvaluation = z.object({
  mismatchSeed: int().nonnegative(),
  testAccuracy: fraction(),
});
export type ChipEvaluation = z.infer<typeof ChipEvaluation>;

export const TrialResult = z.object({
  schemaVersion: z.literal(1),
  trialId: z.string(),
  config: z.record(z.string(), z.unknown()),
  status: TrialStatus,
  /** Why a trial failed or diverged; null otherwise. */
  error: z.string().nullable(),
  testAccuracy: fraction().nullable(),
  validationAccuracy: fraction().nullable(),
  trainAccuracy: fraction().nullable(),
  /** Epoch whose parameters were kept (best validation accuracy). */
  bestEpoch: int().nonnegative(),
  epochs: z.array(EpochMetrics),
  /** Wall-clock time of the whole trial on the worker. Not part of determinism checks. */
  wallTimeMs: nonNegative(),
  /** Emulated chip time spent (all presentations on any chip: training and evaluation); 0 when no chip is used. */
  hardwareTimeMs: nonNegative(),
  /** Estimated energy spent on chips, joules; 0 when no chip is used. */
  energyJ: nonNegative(),
  /** Number of sample presentations run on a chip (training + evaluation). */
  chipRuns: int().nonnegative(),
  /** Bytes the lab must read off the device per sample (spike events + membrane samples). */
  readoutBytesPerSample: nonNegative(),
  chipEvaluations: z.array(ChipEvaluation),
  /** Accuracy per operating condition and maintenance policy (`config.operation`); absent when no schedule was set. */
  operation: OperationResult.optional(),
  engineVersion: z.string(),
});
export type TrialResult = z.infer<typeof TrialResult>;

/**
 * Everything needed to continue a trial after its last completed epoch, bit-exactly as if it
 * had never stopped. `state` is the engine's own JSON (parameters, optimizer moments,
 * generator states, best-so-far parameters).
 */
export const TrialCheckpoint = z.object({
  trialId: z.string(),
  epochsDone: int().nonnegative(),
  epochs: z.array(EpochMetrics),
  elapsedWallTimeMs: nonNegative(),
  state: z.unknown(),
});
export type TrialCheckpoint = z.infer<typeof TrialCheckpoint>;

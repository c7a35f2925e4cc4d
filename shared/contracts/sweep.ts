import { z } from 'zod';

/**
 * A sweep spec: what a user submits (YAML or JSON). It names a base TrialConfig and the axes
 * to vary; planning (shared/sweep/plan.ts) expands it into trials, validating every one.
 *
 * Axes are keyed by a config path (`training.learningRate`, `chip.mismatchSeed`, `seed`,
 * `method`, `mode`, …) and take one of:
 * - a list of values                       grid axis: every value
 * - `{range: [a, b]}`   integers a ≤ v < b  grid axis: every integer (like Python's range)
 * - `{uniform: [a, b]}` real a ≤ v < b       sampled axis (strategy `random` only)
 * - `{loguniform: [a, b]}` log-uniform, 0 < a < b  sampled axis
 * - `{int: [a, b]}`     integers a ≤ v ≤ b   sampled axis
 *
 * Strategy `grid` takes the cross product of the grid axes. Strategy `random` draws `count`
 * points of the sampled axes (seeded, so the same spec plans the same trials) and crosses each
 * with the grid axes, so seeds and chips stay a full grid under random hyperparameters.
 * `repeats` runs every planned config with `repeats` consecutive training seeds.
 */

/** The largest `limits.maxTrials` any spec may ask for; a server may cap lower. */
export const MAX_TRIALS_CAP = 100_000;

const finite = () => z.number().finite();
const int = () => z.number().int();

const ListAxis = z.array(z.unknown()).min(1, 'a list axis needs at least one value');
const RangeAxis = z
  .object({ range: z.tuple([int(), int()]) })
  .strict()
  .refine(({ range: [a, b] }) => b > a, { message: 'range [a, b] needs b > a (b is excluded)', path: ['range'] });
const UniformAxis = z
  .object({ uniform: z.tuple([finite(), finite()]) })
  .strict()
  .refine(({ uniform: [a, b] }) => b > a, { message: 'uniform [a, b] needs b > a', path: ['uniform'] });
const LogUniformAxis = z
  .object({ loguniform: z.tuple([finite().gt(0, 'must be > 0'), finite().gt(0, 'must be > 0')]) })
  .strict()
  .refine(({ loguniform: [a, b] }) => b > a, { message: 'loguniform [a, b] needs b > a', path: ['loguniform'] });
const IntAxis = z
  .object({ int: z.tuple([int(), int()]) })
  .strict()
  .refine(({ int: [a, b] }) => b >= a, { message: 'int [a, b] needs b >= a (both included)', path: ['int'] });

const axisKinds = { range: RangeAxis, uniform: UniformAxis, loguniform: LogUniformAxis, int: IntAxis } as const;
type AxisKind = keyof typeof axisKinds;

/**
 * One axis. The shape is chosen by the value (an array, or the object's one key), so an error
 * names the exact field (`loguniform[0]: must be > 0`) instead of "no union member matched".
 */
export const AxisSpec = z.unknown().transform(
  (
    value,
    ctx,
  ):
    | unknown[]
    | z.output<typeof RangeAxis>
    | z.output<typeof UniformAxis>
    | z.output<typeof LogUniformAxis>
    | z.output<typeof IntAxis> => {
    let schema: z.ZodType;
    if (Array.isArray(value)) schema = ListAxis;
    else {
      const keys = value && typeof value === 'object' ? Object.keys(value).filter((k) => k in axisKinds) : [];
      if (keys.length !== 1) {
        ctx.addIssue({
          code: 'custom',
          message: 'an axis is a list of values or one of {range|uniform|loguniform|int: [a, b]}',
        });
        return z.NEVER;
      }
      schema = axisKinds[keys[0] as AxisKind];
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
      return z.NEVER;
    }
    return parsed.data as unknown[];
  },
);
export type AxisSpec = z.infer<typeof AxisSpec>;

export const SweepStrategy = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('grid') }).strict(),
  z
    .object({
      kind: z.literal('random'),
      /** Points drawn from the sampled axes; each is crossed with the grid axes. */
      count: int().min(1).max(100_000),
      /** Seed of the draws: the same spec always plans the same trials. */
      seed: int().nonnegative().default(0),
    })
    .strict(),
]);
export type SweepStrategy = z.infer<typeof SweepStrategy>;

/**
 * Early stopping, decided between epochs from other trials' validation accuracy at the same
 * epoch. Asynchronous by nature: which trials are pruned depends on the order trials reach an
 * epoch, so a sweep with early stopping is reproducible only in its unpruned trials.
 */
export const EarlyStopping = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }).strict(),
  z
    .object({
      /**
       * Median stopping rule (Golovin et al. 2017, Google Vizier): after `warmupEpochs`, stop a
       * trial whose best validation accuracy so far is below the median of the other trials'
       * validation accuracy at the same epoch, once at least `minTrials` others reported it.
       */
      kind: z.literal('median'),
      warmupEpochs: int().min(1).default(3),
      minTrials: int().min(1).default(3),
    })
    .strict(),
  z
    .object({
      /**
       * ASHA (Li et al. 2020): rungs at epochs minEpochs·η^k below the trial's epoch budget;
       * at a rung a trial continues only if its validation accuracy is among the best
       * ceil(n/η) of the n trials that reached the rung so far.
       */
      kind: z.literal('asha'),
      minEpochs: int().min(1).default(1),
      reductionFactor: int().min(2).default(3),
    })
    .strict(),
]);
export type EarlyStopping = z.infer<typeof EarlyStopping>;

export const SweepSpec = z
  .object({
    name: z
      .string()
      .min(1)
      .max(120)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._ -]*$/, 'letters, digits, space, dot, dash, underscore'),
    description: z.string().default(''),
    /** The base TrialConfig (JSON); axes override paths in it. Validated per expanded trial. */
    base: z.record(z.string(), z.unknown()),
    axes: z.record(z.string().min(1), AxisSpec).default({}),
    strategy: z.preprocess((v) => (v === 'grid' ? { kind: 'grid' } : v), SweepStrategy).default({ kind: 'grid' }),
    /** Each planned config runs with training seeds seed, seed+1, …, seed+repeats−1. */
    repeats: int().min(1).max(1000).default(1),
    limits: z
      .object({
        /**
         * Planning fails (rather than silently truncating) when the plan has more trials. At
         * most MAX_TRIALS_CAP: one sweep's plan, state and registration must fit a service.
         */
        maxTrials: int().min(1).max(MAX_TRIALS_CAP, `at most ${MAX_TRIALS_CAP} trials per sweep`).default(10_000),
      })
      .strict()
      .prefault({}),
    earlyStopping: EarlyStopping.default({ kind: 'none' }),
    /** Queue priority of the sweep's trials: 1 runs first; larger numbers wait (BullMQ). */
    priority: int().min(1).max(1_000_000).default(1000),
    /** A trial saves a checkpoint every this many epochs, so a retry resumes from there. */
    checkpointEveryEpochs: int().min(1).default(1),
    /** Attempts per trial (first run + retries with exponential backoff) after failures. */
    maxAttempts: int().min(1).max(20).default(3),
  })
  .strict();
export type SweepSpec = z.infer<typeof SweepSpec>;
export type SweepSpecInput = z.input<typeof SweepSpec>;

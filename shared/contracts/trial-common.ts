import { z } from 'zod';

/**
 * The parts of a TrialConfig every method shares. Times are in milliseconds of *model*
 * (biological) time unless a name says otherwise; the emulated chip runs 1000x faster.
 */

export const MethodName = z.enum(['surrogate', 'spike-time', 'eventprop']);
export type MethodName = z.infer<typeof MethodName>;

export const Mode = z.enum(['simulation', 'in-the-loop', 'transfer']);
export type Mode = z.infer<typeof Mode>;

const int = () => z.number().int();
const positive = () => z.number().positive().finite();
const nonNegative = () => z.number().nonnegative().finite();

/** The Yin-Yang splits; defaults are the publication's (Kriener, Göltz, Petrovici 2022). */
export const DatasetConfig = z
  .object({
    name: z.literal('yinyang').default('yinyang'),
    trainSize: int().positive().default(5000),
    trainSeed: int().nonnegative().default(42),
    validationSize: int().positive().default(1000),
    validationSeed: int().nonnegative().default(41),
    testSize: int().positive().default(1000),
    testSeed: int().nonnegative().default(40),
  })
  .strict();
export type DatasetConfig = z.infer<typeof DatasetConfig>;

/**
 * A device instance of the emulated BrainScaleS-2-like chip. `mismatchSeed` draws the frozen
 * fixed-pattern deviations; `mismatchScale` 1 is the documented default spread; `noiseScale`
 * scales trial-to-trial noise; `calibrated` runs the calibration before training.
 */
export const ChipConfig = z
  .object({
    mismatchSeed: int().nonnegative().default(0),
    mismatchScale: nonNegative().default(1),
    noiseScale: nonNegative().default(1),
    calibrated: z.boolean().default(true),
  })
  .strict();
export type ChipConfig = z.infer<typeof ChipConfig>;

/** Adam with a per-epoch multiplicative learning-rate decay and early stopping on validation. */
export const TrainingConfig = z
  .object({
    epochs: int().min(1).max(10_000).default(300),
    batchSize: int().min(1).default(32),
    learningRate: positive().default(0.002),
    /** Learning rate after epoch e is learningRate * lrDecayPerEpoch^e. */
    lrDecayPerEpoch: z.number().gt(0).lte(1).default(0.99),
    adamBeta1: z.number().min(0).lt(1).default(0.9),
    adamBeta2: z.number().min(0).lt(1).default(0.999),
    adamEpsilon: positive().default(1e-8),
    /** Stop when validation accuracy has not improved for this many epochs (0 = never). */
    earlyStoppingPatience: int().nonnegative().default(0),
  })
  .strict();
export type TrainingConfig = z.infer<typeof TrainingConfig>;

/** Fields every method shares. Method-specific blocks are added per method below. */
export const trialCommonShape = {
  mode: Mode.default('simulation'),
  /** Training seed: weight init, minibatch order, trial-to-trial noise stream. */
  seed: int().nonnegative().default(0),
  dataset: DatasetConfig.prefault({}),
  chip: ChipConfig.prefault({}),
  /** Mismatch seeds of further chips the trained network is evaluated on. */
  evaluateOnChips: z.array(int().nonnegative()).default([]),
};


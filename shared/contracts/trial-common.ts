import { z } from 'zod';
import { OperationConfig } from './operation.ts';

/**
 * The parts of a TrialConfig every method shares. Times are in milliseconds of *model*
 * (biological) time unless a name says otherwise; the emulated chip runs 1000x faster.
 */

export const MethodName = z.enum(['surrogate', 'spike-time', 'eventprop']);
export type MethodName = z.infer<typeof MethodName>;

export const Mode = z.enum(['simulation', 'in-the-loop', 'transfer', 'robust-transfer']);
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
 * Fixed-pattern deviations of one device instance, as relative standard deviations. Voltages
 * (threshold, leak, reset) deviate by an offset whose σ is a fraction of the neuron's span
 * ϑ − E_L (= ϑ when E_L = 0); time constants and synapse gains by a factor 1 + σ·z.
 * Defaults are the documented BSS-2-like device before calibration: threshold 0.08 / 2.6 ≈ 3 %
 * (the hardware-aware model used for BSS-2); the other values are this project's assumptions
 * of the same order (docs/science/chip.md#which-values-are-assumptions).
 */
export const ChipMismatchConfig = z
  .object({
    thresholdRelSd: nonNegative().default(0.031),
    leakRelSd: nonNegative().default(0.02),
    resetRelSd: nonNegative().default(0.02),
    tauMemRelSd: nonNegative().default(0.1),
    tauSynRelSd: nonNegative().default(0.1),
    weightGainRelSd: nonNegative().default(0.1),
    /** Correlation of neighbouring neuron circuits' deviations (AR(1) along the neuron row); 0 = independent. */
    spatialCorrelation: z.number().min(0).lt(1).default(0),
  })
  .strict();
export type ChipMismatchConfig = z.infer<typeof ChipMismatchConfig>;

/**
 * Trial-to-trial noise, drawn afresh for every sample presentation from the run's own stream.
 * Defaults after the hardware-aware BSS-2 model: threshold σ ≈ 0.04 / 2.6 of the span,
 * spike-time jitter ≈ 0.01 τ_s; membrane read-out noise of the ADC ≈ 0.6 of an 8-bit code (an
 * assumption). See docs/science/chip.md#trial-to-trial-noise.
 */
export const ChipNoiseConfig = z
  .object({
    thresholdRelSd: nonNegative().default(0.0154),
    /** Spike-time jitter, in units of the neuron's model τ_s. */
    spikeTimeJitterTauSyn: nonNegative().default(0.01),
    /** Noise on each membrane sample the ADC reports, fraction of the span. */
    membraneRelSd: nonNegative().default(0.005),
  })
  .strict();
export type ChipNoiseConfig = z.infer<typeof ChipNoiseConfig>;

/** Calibration: probe runs per parameter and the resolution of the per-neuron trim DACs. */
export const ChipCalibrationConfig = z
  .object({
    /** Probe presentations averaged per parameter and neuron. */
    probeRepeats: int().min(1).max(1024).default(16),
    /** Bits of the per-neuron trim DAC (BSS-2 capacitive memory: 10). */
    trimBits: int().min(1).max(16).default(10),
    /**
     * Conditions the calibration was made at (°C, hours of operation): its trims compensate the
     * drift there and only there (chip README, "Operating conditions"). Recalibrating = setting
     * these to the operating `chip.temperatureC` / `chip.ageHours`.
     */
    temperatureC: z.number().min(-60).max(150).default(25),
    ageHours: nonNegative().default(0),
  })
  .strict();
export type ChipCalibrationConfig = z.infer<typeof ChipCalibrationConfig>;

/**
 * Size of the temperature and ageing drift (shared/engine/chip/conditions.ts): 1 = the
 * documented per-circuit coefficients, 0 = a chip that does not drift.
 */
export const ChipDriftConfig = z
  .object({
    temperatureScale: nonNegative().default(1),
    ageingScale: nonNegative().default(1),
  })
  .strict();
export type ChipDriftConfig = z.infer<typeof ChipDriftConfig>;

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
    mismatch: ChipMismatchConfig.prefault({}),
    noise: ChipNoiseConfig.prefault({}),
    calibration: ChipCalibrationConfig.prefault({}),
    /** Operating temperature, °C (25 = the reference the mismatch is drawn at, and the default calibration temperature). */
    temperatureC: z.number().min(-60).max(150).default(25),
    /** Hours of operation the chip has aged (0 = as calibrated by default). */
    ageHours: nonNegative().default(0),
    drift: ChipDriftConfig.prefault({}),
    /**
     * Model weight per step of the 6-bit synapse (integers −63…63); weights beyond ±63 steps are
     * clipped. `auto`: per layer, the largest |w| maps to 63 (nothing clips).
     */
    weightScale: z.union([z.literal('auto'), z.number().positive().finite()]).default('auto'),
    /** Membrane ADC sampling period, microseconds of hardware time (1 µs = 1 ms model time). */
    adcSamplePeriodUs: z.number().positive().finite().default(1),
    /**
     * ADC window of a non-spiking (readout) layer: [E_L − s_r/2, E_L + 3 s_r/2] with s_r this many
     * spans ϑ − E_L of the first spiking layer (the lab scales the readout to fit the ADC).
     */
    readoutWindowSpans: z.number().positive().finite().default(10),
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

/**
 * `mode: robust-transfer` (shared/engine/chip/robust.ts): trained in simulation on sampled
 * devices — a fresh chip (mismatch draw, trial noise, 6-bit weights, temperature and age drawn
 * from the ranges below) per minibatch or per epoch — optionally against a worst-case relative
 * weight perturbation; then deployed on `chip` like `transfer`. Ignored by the other modes.
 */
export const RobustTransferConfig = z
  .object({
    /** When a new device is drawn for training. */
    resample: z.enum(['minibatch', 'epoch']).default('minibatch'),
    /** Mismatch σ of the sampled devices, × `chip.mismatchScale` (> 1 trains against a wider spread). */
    mismatchScale: nonNegative().default(1),
    /** Trial-to-trial noise of the sampled devices, × `chip.noiseScale`. */
    noiseScale: nonNegative().default(1),
    /** Sampled temperature: uniform in `chip.temperatureC` ± this, °C. */
    temperatureSpreadC: nonNegative().default(0),
    /** Sampled age: uniform in [`chip.ageHours`, `chip.ageHours` + this], hours. */
    ageSpreadHours: nonNegative().default(0),
    /**
     * Relative size ζ of the worst-case weight perturbation (each weight moved by ζ·|w| up the
     * loss gradient, one signed step in the style of Büchel et al. 2021); 0 = off.
     */
    adversarialRelativeStep: nonNegative().default(0),
    /** Weight β of the perturbed loss's gradient: g = g(w) + β g(w + δ*). */
    adversarialWeight: nonNegative().default(1),
    /** Validation (the kept epoch) on this many sampled devices, none of them a deployment chip; 0 = in simulation. */
    validationChips: int().min(0).max(16).default(3),
  })
  .strict();
export type RobustTransferConfig = z.infer<typeof RobustTransferConfig>;
const deviceName = () =>
  z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'must be 1–64 letters, digits, ".", "_", ":" or "-", starting with a letter or digit');

/**
 * A physical device by pool and id: an `in-the-loop` trial with `device` runs on exactly this
 * device (it is part of the result), waiting for it while another trial holds it or while no
 * worker reaches it. Emulated chips are named by `chip.mismatchSeed` instead.
 */
export const DeviceRef = z.object({ pool: deviceName(), id: deviceName() }).strict();
export type DeviceRef = z.infer<typeof DeviceRef>;

/** `pool/id`, the key of a device in leases, registrations and statistics. */
export function deviceKey(device: DeviceRef): string {
  return `${device.pool}/${device.id}`;
}

/** Fields every method shares. Method-specific blocks are added per method below. */
export const trialCommonShape = {
  mode: Mode.default('simulation'),
  /** Training seed: weight init, minibatch order, trial-to-trial noise stream. */
  seed: int().nonnegative().default(0),
  dataset: DatasetConfig.prefault({}),
  chip: ChipConfig.prefault({}),
  /** Mismatch seeds of further chips the trained network is evaluated on. */
  evaluateOnChips: z.array(int().nonnegative()).default([]),
  robustTransfer: RobustTransferConfig.prefault({}),
  /** Deployment over a schedule of temperatures and ages, with maintenance policies (empty = none). */
  operation: OperationConfig.prefault({}),
  /** The physical device an `in-the-loop` trial trains on; absent = the emulated chip of `chip`. */
  device: DeviceRef.optional(),
};


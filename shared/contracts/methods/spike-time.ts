import { z } from 'zod';
import { TrainingConfig, trialCommonShape } from '../trial-common.ts';

/**
 * Spike-time (analytic time-to-first-spike) training, after Göltz et al. 2021 ("Fast and
 * energy-efficient neuromorphic deep learning with first-spike times", Nat. Mach. Intell.):
 * every neuron fires at most once, the first spike time t* of each neuron is known in closed
 * form, and ∂t* / ∂w, ∂t* / ∂t_in are exact. Every field has its documented default here;
 * `{ method: 'spike-time' }` alone is the paper's Yin-Yang setup (4 + bias → 120 → 3,
 * τ_m = τ_s, Adam lr 0.005, batch 150, 300 epochs, lr × 0.95 every 20 epochs).
 *
 * Units: times in ms of model time (the paper's unit time τ_s = 1 is 10 ms here), voltages
 * with E_L = 0 and ϑ = 1, weights in voltage units per unit of synaptic current (R = 1), so
 * the paper's weight values carry over unchanged.
 */

const positive = () => z.number().positive().finite();
const nonNegative = () => z.number().nonnegative().finite();

/** One LIF neuron type for hidden and output layers (current-based, exponential synapses). */
export const SpikeTimeNeuronConfig = z
  .object({
    tauMemMs: positive().default(10),
    tauSynMs: positive().default(10),
    vThreshold: positive().default(1),
  })
  .strict();

/** TTFS input encoding (feature v → tEarlyMs + v·(tLateMs − tEarlyMs)), bias input at biasTimeMs. */
export const SpikeTimeEncodingConfig = z
  .object({
    tEarlyMs: nonNegative().default(1.5),
    tLateMs: nonNegative().default(20),
    biasTimeMs: nonNegative().default(9),
  })
  .strict();

export const SpikeTimeNetworkConfig = z
  .object({
    hiddenSize: z.number().int().min(1).max(4096).default(120),
    /** Time of the bias spike fed to the output layer as an extra input; null = no output bias. */
    outputBiasTimeMs: nonNegative().nullable().default(9),
  })
  .strict();

/** Initial weights normal(mean, sd) per layer (the paper's Yin-Yang values). */
export const SpikeTimeInitConfig = z
  .object({
    hiddenWeightMean: z.number().finite().default(1.5),
    hiddenWeightSd: nonNegative().default(0.8),
    outputWeightMean: z.number().finite().default(0.5),
    outputWeightSd: nonNegative().default(0.8),
  })
  .strict();

/**
 * TTFS loss, per sample with label y and output first-spike times t:
 *   L = −log softmax_y(−t/softmaxTauMs) + regularizerStrength·(exp(t_y/regularizerTauMs) − 1),
 * (the paper's ξτ_s = 0.2·10 ms, βτ_s = 10 ms, α = 0.005). A sample whose label neuron does not
 * spike costs `missingLabelPenalty` and gives no gradient (its silent neurons get bumped).
 */
export const TtfsLossConfig = z
  .object({
    softmaxTauMs: positive().default(2),
    regularizerTauMs: positive().default(10),
    regularizerStrength: nonNegative().default(0.005),
    missingLabelPenalty: nonNegative().default(5),
  })
  .strict();
export type TtfsLossConfig = z.infer<typeof TtfsLossConfig>;

/**
 * Weight bumping (the paper's remedy for silent neurons): when, in a minibatch, the fraction
 * of (sample, neuron) pairs without a spike exceeds `hiddenMaxMissingFraction` in the hidden
 * layer (checked first) or `outputMaxMissingFraction` in the output layer, that minibatch
 * gives no gradient and every input weight of each neuron that missed a spike is raised by
 * the bump value: `bumpValue`, doubled for each consecutive bump of the same layer when
 * `exponential`.
 */
export const WeightBumpingConfig = z
  .object({
    enabled: z.boolean().default(true),
    hiddenMaxMissingFraction: z.number().min(0).max(1).default(0.3),
    outputMaxMissingFraction: z.number().min(0).max(1).default(0),
    bumpValue: nonNegative().default(0.0005),
    exponential: z.boolean().default(true),
  })
  .strict();

export const SpikeTimeTrainingConfig = TrainingConfig.extend({
  epochs: TrainingConfig.shape.epochs.removeDefault().default(300),
  batchSize: TrainingConfig.shape.batchSize.removeDefault().default(150),
  learningRate: TrainingConfig.shape.learningRate.removeDefault().default(0.005),
  /** 0.95^(1/20): the paper's ×0.95 every 20 epochs, spread evenly over the epochs. */
  lrDecayPerEpoch: TrainingConfig.shape.lrDecayPerEpoch.removeDefault().default(0.9974386),
}).strict();

export const SpikeTimeTrialConfig = z
  .object({
    method: z.literal('spike-time'),
    ...trialCommonShape,
    training: SpikeTimeTrainingConfig.prefault({}),
    network: SpikeTimeNetworkConfig.prefault({}),
    neuron: SpikeTimeNeuronConfig.prefault({}),
    encoding: SpikeTimeEncodingConfig.prefault({}),
    init: SpikeTimeInitConfig.prefault({}),
    loss: TtfsLossConfig.prefault({}),
    bumping: WeightBumpingConfig.prefault({}),
  })
  .strict()
  .refine((c) => c.encoding.tLateMs >= c.encoding.tEarlyMs, { message: 'tLateMs must not precede tEarlyMs', path: ['encoding', 'tLateMs'] });
export type SpikeTimeTrialConfig = z.infer<typeof SpikeTimeTrialConfig>;

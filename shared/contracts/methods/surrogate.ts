import { z } from 'zod';
import { TrainingConfig, trialCommonShape } from '../trial-common.ts';

/**
 * Surrogate-gradient training: BPTT through a discrete-time LIF network (input spikes →
 * hidden LIF layer → leaky-integrator readout), the Heaviside's derivative replaced by a
 * smooth surrogate. Every field has its documented default here; `{ method: 'surrogate' }`
 * alone is the method's default config. Times in ms of model time, voltages in the model's
 * voltage unit (E_L = 0, ϑ = 1 by default), weights in voltage units per unit of synaptic
 * current (a weight w makes the synaptic current jump by w, R = 1).
 */

const positive = () => z.number().positive().finite();
const nonNegative = () => z.number().nonnegative().finite();

/** Current-based LIF neuron with exponential synapses (docs/science/neuron-model.md). */
export const SurrogateNeuronConfig = z
  .object({
    tauMemMs: positive().default(6),
    tauSynMs: positive().default(6),
    vThreshold: z.number().finite().default(1),
    vLeak: z.number().finite().default(0),
    vReset: z.number().finite().default(0),
  })
  .strict();

/** The readout: a leaky integrator (no threshold) whose max-over-time membrane is the logit. */
export const SurrogateReadoutConfig = z
  .object({
    kind: z.literal('leaky-integrator').default('leaky-integrator'),
    tauMemMs: positive().default(6),
    tauSynMs: positive().default(6),
  })
  .strict();

/** Time-to-first-spike encoding: feature v ∈ [0, 1] spikes at tEarlyMs + v·(tLateMs − tEarlyMs). */
export const SurrogateEncodingConfig = z
  .object({
    tEarlyMs: nonNegative().default(2),
    tLateMs: nonNegative().default(26),
    biasTimeMs: nonNegative().default(2),
  })
  .strict();

/** Discrete time grid: `timeSteps` steps of `dtMs` (exact exponential integration per step). */
export const SurrogateSimulationConfig = z
  .object({
    dtMs: positive().default(1),
    timeSteps: z.number().int().min(1).max(100_000).default(40),
  })
  .strict();

/**
 * The surrogate derivative of the spike nonlinearity, x = V − ϑ:
 * - `superspike` (Zenke & Ganguli 2018, fast sigmoid): 1 / (β|x| + 1)²
 * - `sigmoid`: derivative of the logistic σ(βx): β σ(βx)(1 − σ(βx))
 * - `triangle` (Esser et al. 2016; Bellec et al. 2018): max(0, 1 − β|x|)
 * `beta` is the steepness, per unit of voltage. `resetGradient`: `detached` treats the spike in
 * the reset term as a constant (Zenke & Vogels 2021), `full` differentiates it too.
 */
export const SurrogateGradientConfig = z
  .object({
    shape: z.enum(['superspike', 'sigmoid', 'triangle']).default('superspike'),
    beta: positive().default(5),
    resetGradient: z.enum(['detached', 'full']).default('detached'),
  })
  .strict();

/**
 * Initial weights, normal(mean, sd) per layer. The input mean is positive so hidden neurons
 * fire from the start; after drawing, hidden neurons silent on a probe of the training set get
 * their input weights raised by `silentBumpVoltage` until they fire (at most `maxBumpRounds`).
 */
export const SurrogateInitConfig = z
  .object({
    inputWeightMean: z.number().finite().default(1.5),
    inputWeightSd: nonNegative().default(1.5),
    outputWeightMean: z.number().finite().default(0),
    outputWeightSd: nonNegative().default(0.5),
    silentBumpVoltage: nonNegative().default(0.2),
    maxBumpRounds: z.number().int().min(0).max(1000).default(20),
  })
  .strict();

/** Loss: cross-entropy of softmax over the readouts' max-over-time membrane. */
export const SurrogateLossConfig = z
  .object({
    kind: z.literal('max-membrane-cross-entropy').default('max-membrane-cross-entropy'),
  })
  .strict();

/**
 * Training defaults of this method; with them bench/surrogate-study.ts measured 96.06 ± 0.41 %
 * Yin-Yang test accuracy over 5 seeds (bench/README.md):
 * at most 100 epochs, lr ×0.97 per epoch, early stopping after 20 epochs without a better
 * validation accuracy.
 */
export const SurrogateTrainingConfig = TrainingConfig.extend({
  epochs: TrainingConfig.shape.epochs.removeDefault().default(100),
  batchSize: TrainingConfig.shape.batchSize.removeDefault().default(32),
  learningRate: TrainingConfig.shape.learningRate.removeDefault().default(0.002),
  lrDecayPerEpoch: TrainingConfig.shape.lrDecayPerEpoch.removeDefault().default(0.97),
  earlyStoppingPatience: TrainingConfig.shape.earlyStoppingPatience.removeDefault().default(20),
}).strict();

export const SurrogateTrialConfig = z
  .object({
    method: z.literal('surrogate'),
    ...trialCommonShape,
    training: SurrogateTrainingConfig.prefault({}),
    network: z.object({ hiddenSize: z.number().int().min(1).max(4096).default(120) }).strict().prefault({}),
    neuron: SurrogateNeuronConfig.prefault({}),
    readout: SurrogateReadoutConfig.prefault({}),
    encoding: SurrogateEncodingConfig.prefault({}),
    simulation: SurrogateSimulationConfig.prefault({}),
    surrogate: SurrogateGradientConfig.prefault({}),
    init: SurrogateInitConfig.prefault({}),
    loss: SurrogateLossConfig.prefault({}),
  })
  .strict()
  .refine((c) => c.neuron.vThreshold > c.neuron.vLeak, { message: 'vThreshold must lie above vLeak', path: ['neuron', 'vThreshold'] })
  .refine((c) => c.encoding.tLateMs >= c.encoding.tEarlyMs, { message: 'tLateMs must not precede tEarlyMs', path: ['encoding', 'tLateMs'] });
export type SurrogateTrialConfig = z.infer<typeof SurrogateTrialConfig>;

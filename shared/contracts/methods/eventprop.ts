import { z } from 'zod';
import { TrainingConfig, trialCommonShape } from '../trial-common.ts';
import { TtfsLossConfig, WeightBumpingConfig } from './spike-time.ts';

/**
 * EventProp (Wunderlich & Pehle 2021, "Event-based backpropagation can compute exact
 * gradients for spiking neural networks", Sci. Rep.): exact event-based forward simulation of
 * LIF neurons that may fire many times, and the adjoint ODE integrated backwards with jumps
 * at the spikes. Works for any τ_m/τ_s. `{ method: 'eventprop' }` alone is the paper's
 * Yin-Yang setup: 4 + bias → 200 → 3, τ_m 20 ms, τ_s 5 ms, Adam lr 5e-3, batch 32,
 * lr × 0.95 per epoch, cross-entropy on the first output spike times (τ₀ 0.5 ms, τ₁ 6.4 ms,
 * γ 0.003). Units as in spike-time.ts (E_L = 0, ϑ = 1, R = 1, ms of model time).
 */

const positive = () => z.number().positive().finite();
const nonNegative = () => z.number().nonnegative().finite();

export const EventPropNeuronConfig = z
  .object({
    tauMemMs: positive().default(20),
    tauSynMs: positive().default(5),
    vThreshold: positive().default(1),
    /** Potential after a spike (must lie below vThreshold). */
    vReset: z.number().finite().default(0),
  })
  .strict();

export const EventPropEncodingConfig = z
  .object({
    tEarlyMs: nonNegative().default(10),
    tLateMs: nonNegative().default(40),
    biasTimeMs: nonNegative().default(20),
  })
  .strict();

export const EventPropNetworkConfig = z
  .object({
    hiddenSize: z.number().int().min(1).max(4096).default(200),
  })
  .strict();

/** Event simulation window and spike budget. Spikes beyond the budget are dropped. */
export const EventPropSimulationConfig = z
  .object({
    tEndMs: positive().default(100),
    maxSpikesPerNeuron: z.number().int().min(1).max(1000).default(8),
  })
  .strict();

export const EventPropInitConfig = z
  .object({
    hiddenWeightMean: z.number().finite().default(4),
    hiddenWeightSd: nonNegative().default(2),
    outputWeightMean: z.number().finite().default(0.6),
    outputWeightSd: nonNegative().default(0.8),
  })
  .strict();

export const EventPropTrainingConfig = TrainingConfig.extend({
  epochs: TrainingConfig.shape.epochs.removeDefault().default(100),
  batchSize: TrainingConfig.shape.batchSize.removeDefault().default(32),
  learningRate: TrainingConfig.shape.learningRate.removeDefault().default(0.005),
  lrDecayPerEpoch: TrainingConfig.shape.lrDecayPerEpoch.removeDefault().default(0.95),
}).strict();

export const EventPropTrialConfig = z
  .object({
    method: z.literal('eventprop'),
    ...trialCommonShape,
    training: EventPropTrainingConfig.prefault({}),
    network: EventPropNetworkConfig.prefault({}),
    neuron: EventPropNeuronConfig.prefault({}),
    encoding: EventPropEncodingConfig.prefault({}),
    simulation: EventPropSimulationConfig.prefault({}),
    init: EventPropInitConfig.prefault({}),
    loss: TtfsLossConfig.extend({
      softmaxTauMs: TtfsLossConfig.shape.softmaxTauMs.removeDefault().default(0.5),
      regularizerTauMs: TtfsLossConfig.shape.regularizerTauMs.removeDefault().default(6.4),
      regularizerStrength: TtfsLossConfig.shape.regularizerStrength.removeDefault().default(0.003),
    })
      .strict()
      .prefault({}),
    /**
     * On by default: the paper has no bumping, but without it label neurons that fall silent
     * during training never recover (EventProp carries no gradient for a missing spike) and
     * Yin-Yang accuracy collapses after a few epochs at lr 5e-3 (measured: 94.4 % validation at
     * epoch 3, 77.6 % at epoch 8 without; 95.2 % at epoch 6 and rising with).
     */
    bumping: WeightBumpingConfig.prefault({}),
  })
  .strict()
  .refine((c) => c.neuron.vReset < c.neuron.vThreshold, { message: 'vReset must lie below vThreshold', path: ['neuron', 'vReset'] })
  .refine((c) => c.encoding.tLateMs >= c.encoding.tEarlyMs, { message: 'tLateMs must not precede tEarlyMs', path: ['encoding', 'tLateMs'] });
export type EventPropTrialConfig = z.infer<typeof EventPropTrialConfig>;

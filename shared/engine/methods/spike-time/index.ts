/**
 * The `spike-time` method: analytic time-to-first-spike gradients (Göltz et al. 2021) through
 * a hidden and an output layer of LIF neurons that fire at most once. Forward:
 * event/first-spike.ts; derivatives: ./gradients.ts; loss: ../../event/first-spike-loss.ts; the trainable model
 * (bumping, devices, prediction): ../../event/first-spike-model.ts; config: shared/contracts/methods/spike-time.ts.
 */
import type { SpikeTimeTrialConfig } from '../../../contracts/methods/spike-time.ts';
import { ENCODED_INPUTS } from '../../data/encoding.ts';
import { YINYANG_CLASSES } from '../../data/yinyang.ts';
import type { NeuronParams } from '../../discrete/lif.ts';
import type { Rng } from '../../random.ts';
import type { MethodDefinition } from '../types.ts';
import { FirstSpikeModel } from '../../event/first-spike-model.ts';
import { TtfsNetwork } from './network.ts';

/** Model values of a layer in the discrete engine's NeuronParams form (E_L = 0, reset 0). */
export function modelNeuronParams(size: number, neuron: { vThreshold: number; tauMemMs: number; tauSynMs: number; vReset?: number }): NeuronParams {
  return {
    vThreshold: new Float64Array(size).fill(neuron.vThreshold),
    vLeak: new Float64Array(size),
    vReset: new Float64Array(size).fill(neuron.vReset ?? 0),
    tauMemMs: new Float64Array(size).fill(neuron.tauMemMs),
    tauSynMs: new Float64Array(size).fill(neuron.tauSynMs),
  };
}

/** The spike-time model of a config (weights zero until initialised). */
export function createSpikeTimeModel(config: SpikeTimeTrialConfig): FirstSpikeModel {
  const nH = config.network.hiddenSize;
  const e = config.encoding;
  return new FirstSpikeModel({
    network: new TtfsNetwork(ENCODED_INPUTS, nH, YINYANG_CLASSES, config.network.outputBiasTimeMs),
    hiddenNeurons: modelNeuronParams(nH, config.neuron),
    outputNeurons: modelNeuronParams(YINYANG_CLASSES, config.neuron),
    loss: config.loss,
    bumping: config.bumping,
    encoding: e,
    presentationTimeMs: Math.max(e.tLateMs, e.biasTimeMs) + 4 * config.neuron.tauMemMs,
    maxSpikesPerNeuron: 1,
  });
}

/** Draws the initial weights from `rng`: normal(mean, sd) per layer, hidden first. */
export function initializeWeights(
  model: FirstSpikeModel,
  init: { hiddenWeightMean: number; hiddenWeightSd: number; outputWeightMean: number; outputWeightSd: number },
  rng: Rng,
): void {
  const { hiddenWeights, outputWeights } = model.params;
  for (let j = 0; j < hiddenWeights.length; j++) hiddenWeights[j] = rng.normal(init.hiddenWeightMean, init.hiddenWeightSd);
  for (let j = 0; j < outputWeights.length; j++) outputWeights[j] = rng.normal(init.outputWeightMean, init.outputWeightSd);
}

export const spikeTimeMethod: MethodDefinition<SpikeTimeTrialConfig> = {
  name: 'spike-time',
  createModel(config, rng) {
    const model = createSpikeTimeModel(config);
    initializeWeights(model, config.init, rng);
    return model;
  },
};

/**
 * The `eventprop` method (Wunderlich & Pehle 2021): exact event-based forward simulation of
 * LIF neurons that may spike many times (event/simulate.ts), and the adjoint ODE integrated
 * backwards with jumps at the spikes (./adjoint.ts), for any τ_m/τ_s. Loss on each output
 * neuron's first spike (event/first-spike-loss.ts). Config: shared/contracts/methods/eventprop.ts.
 * Training mechanics (bumping, devices, prediction) are shared with spike-time (event/first-spike-model.ts).
 */
import type { EventPropTrialConfig } from '../../../contracts/methods/eventprop.ts';
import { ENCODED_INPUTS } from '../../data/encoding.ts';
import { YINYANG_CLASSES } from '../../data/yinyang.ts';
import type { MethodDefinition } from '../types.ts';
import { initializeWeights, modelNeuronParams } from '../spike-time/index.ts';
import { FirstSpikeModel } from '../../event/first-spike-model.ts';
import { EventPropNetwork } from './network.ts';

/** The EventProp model of a config (weights zero until initialised). */
export function createEventPropModel(config: EventPropTrialConfig): FirstSpikeModel {
  const nH = config.network.hiddenSize;
  const e = config.encoding;
  return new FirstSpikeModel({
    network: new EventPropNetwork(ENCODED_INPUTS, nH, YINYANG_CLASSES, null, config.simulation.maxSpikesPerNeuron, config.simulation.tEndMs),
    hiddenNeurons: modelNeuronParams(nH, config.neuron),
    outputNeurons: modelNeuronParams(YINYANG_CLASSES, config.neuron),
    loss: config.loss,
    bumping: config.bumping,
    encoding: e,
    presentationTimeMs: config.simulation.tEndMs,
    maxSpikesPerNeuron: config.simulation.maxSpikesPerNeuron,
  });
}

export const eventPropMethod: MethodDefinition<EventPropTrialConfig> = {
  name: 'eventprop',
  createModel(config, rng) {
    const model = createEventPropModel(config);
    initializeWeights(model, config.init, rng);
    return model;
  },
};

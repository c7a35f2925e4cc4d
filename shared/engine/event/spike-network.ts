/**
 * What a network with a first-spike readout offers a training loop — the contract shared by
 * the spike-time network (methods/spike-time/network.ts: closed-form first spikes, analytic
 * gradients) and the EventProp network (methods/eventprop/network.ts: event simulation, adjoint),
 * and the minibatch loop over it (`runBatch`). Shapes: hiddenWeights [H × nIn], outputWeights
 * [nOut × (H + bias)], row-major (row = the receiving neuron).
 */
import type { TtfsLossConfig } from '../../contracts/methods/spike-time.ts';
import type { LifLayerParams } from './lif.ts';

export type TtfsWeights = {
  readonly hiddenWeights: Float64Array;
  readonly outputWeights: Float64Array;
};

export interface TtfsLayerParams {
  readonly hidden: LifLayerParams;
  readonly output: LifLayerParams;
}

/** Per-batch spike statistics for weight bumping. */
export interface MissingSpikes {
  /** (sample, hidden neuron) pairs without a spike. */
  hiddenMissing: number;
  /** (sample, output neuron) pairs without a spike. */
  outputMissing: number;
  /** Per hidden neuron: 1 if it missed a spike on some sample of the batch. */
  readonly hiddenSilent: Uint8Array;
  /** Per output neuron: 1 if it missed a spike on some sample of the batch. */
  readonly outputSilent: Uint8Array;
}

/**
 * What a training loop needs from a first-spike-readout network (TtfsNetwork here,
 * EventPropNetwork in ../eventprop): one sample forward, its loss and backward, bookkeeping.
 */
export interface SpikeNetwork {
  readonly nIn: number;
  readonly nHidden: number;
  readonly nOut: number;
  readonly nOutputIn: number;
  /** Spike time of the output layer's bias input (its last input), or null for none. */
  readonly outputBiasTimeMs: number | null;
  /** First spike time per output neuron after `forward` (Infinity = none). */
  readonly outputTimes: Float64Array;
  /**
   * Forward pass of one sample (input spike times at inputs[offset …]); returns the predicted
   * class (−1: none). `perturbHidden(times, maxSpikesPerNeuron)` may edit the hidden spike
   * times (slot n·maxSpikesPerNeuron + k) before the output layer sees them (chip jitter).
   */
  forward(
    inputs: Float64Array,
    offset: number,
    weights: TtfsWeights,
    params: TtfsLayerParams,
    perturbHidden?: (times: Float64Array, maxSpikesPerNeuron: number) => void,
  ): number;
  /** Loss of the last forward; ADDS scale·∂L/∂w (and scale·∂L/∂t_in) when buffers are given. */
  lossAndBackward(
    label: number,
    loss: TtfsLossConfig,
    weights: TtfsWeights,
    params: TtfsLayerParams,
    grads: TtfsWeights | null,
    scale: number,
    gradInputs?: Float64Array | null,
    gradInputsOffset?: number,
  ): number;
  countMissing(missing: MissingSpikes): void;
  /** Writes the last forward's causal structure at out[offset …]; returns the end offset. */
  signature(out: Int32Array, offset: number): number;
  readonly signatureLength: number;
  hiddenSpikeCount(): number;
}

/**
 * Mean loss and its gradient over the samples order[start … start+count) of `inputs`
 * ([size × nIn] spike times) — the function `gradcheck` differentiates numerically. Overwrites
 * grads (and gradInputs, [size × nIn]) when given; returns the summed loss and the number of
 * correct predictions.
 */
export function runBatch(
  net: SpikeNetwork,
  inputs: Float64Array,
  labels: Int32Array,
  order: Int32Array,
  start: number,
  count: number,
  weights: TtfsWeights,
  params: TtfsLayerParams,
  loss: TtfsLossConfig,
  grads: TtfsWeights | null,
  missing: MissingSpikes | null = null,
  gradInputs: Float64Array | null = null,
): { lossSum: number; correct: number } {
  if (grads) {
    grads.hiddenWeights.fill(0);
    grads.outputWeights.fill(0);
  }
  if (gradInputs) gradInputs.fill(0);
  let lossSum = 0;
  let correct = 0;
  const scale = 1 / count;
  for (let j = start; j < start + count; j++) {
    const n = order[j]!;
    const label = labels[n]!;
    if (net.forward(inputs, n * net.nIn, weights, params) === label) correct++;
    lossSum += net.lossAndBackward(label, loss, weights, params, grads, scale, gradInputs, n * net.nIn);
    if (missing) net.countMissing(missing);
  }
  return { lossSum, correct };
}

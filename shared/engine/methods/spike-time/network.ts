/**
 * The spike-time network: inputs → hidden first-spike layer → output first-spike layer, with
 * an optional bias spike as an extra input of the output layer (Göltz et al. 2021). Pure
 * numerics on caller-owned arrays; the MethodModel (index.ts) owns parameters and data.
 *
 * Shapes: hiddenWeights [H × nIn], outputWeights [nOut × (H + bias)], row-major (row = the
 * receiving neuron). Per sample, `hiddenTimes` holds H first-spike times followed by the
 * output-bias time (if any), `outputTimes` nOut times (Infinity = no spike).
 */
import type { TtfsLossConfig } from '../../../contracts/methods/spike-time.ts';
import { createFirstSpikeScratch, firstSpikeLayer, sortInputs, type FirstSpikeScratch } from '../../event/first-spike.ts';
import type { LifLayerParams } from '../../event/lif.ts';
import { firstSpikeLayerBackward } from './gradients.ts';
import { earliestSpike, ttfsLoss } from './loss.ts';

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

export class TtfsNetwork implements SpikeNetwork {
  readonly hiddenTimes: Float64Array;
  readonly outputTimes: Float64Array;
  readonly nHiddenIn: number;
  readonly nOutputIn: number;
  private readonly hiddenScratch: FirstSpikeScratch;
  private readonly outputScratch: FirstSpikeScratch;
  private readonly gradOutputTimes: Float64Array;
  private readonly gradHiddenTimes: Float64Array;

  constructor(
    readonly nIn: number,
    readonly nHidden: number,
    readonly nOut: number,
    /** Bias spike time for the output layer, or null for none. */
    readonly outputBiasTimeMs: number | null,
  ) {
    this.nHiddenIn = nIn;
    this.nOutputIn = nHidden + (outputBiasTimeMs === null ? 0 : 1);
    this.hiddenTimes = new Float64Array(this.nOutputIn);
    if (outputBiasTimeMs !== null) this.hiddenTimes[nHidden] = outputBiasTimeMs;
    this.outputTimes = new Float64Array(nOut);
    this.hiddenScratch = createFirstSpikeScratch(nIn, nHidden);
    this.outputScratch = createFirstSpikeScratch(this.nOutputIn, nOut);
    this.gradOutputTimes = new Float64Array(nOut);
    this.gradHiddenTimes = new Float64Array(this.nOutputIn);
  }

  /**
   * Forward pass of one sample whose input spike times are inputs[offset … offset + nIn).
   * `perturbHidden`, if given, edits the hidden spike times before the output layer sees
   * them (an emulated chip's spike-time jitter). Returns the predicted class (−1: none).
   */
  forward(
    inputs: Float64Array,
    offset: number,
    weights: TtfsWeights,
    params: TtfsLayerParams,
    perturbHidden?: (times: Float64Array, maxSpikesPerNeuron: number) => void,
  ): number {
    sortInputs(inputs, offset, this.nIn, this.hiddenScratch);
    firstSpikeLayer(inputs, offset, this.nIn, weights.hiddenWeights, params.hidden, this.hiddenTimes, 0, this.nHidden, this.hiddenScratch);
    if (perturbHidden) perturbHidden(this.hiddenTimes.subarray(0, this.nHidden), 1);
    sortInputs(this.hiddenTimes, 0, this.nOutputIn, this.outputScratch);
    firstSpikeLayer(this.hiddenTimes, 0, this.nOutputIn, weights.outputWeights, params.output, this.outputTimes, 0, this.nOut, this.outputScratch);
    return earliestSpike(this.outputTimes, 0, this.nOut);
  }

  /**
   * Loss of the last forward pass and, when grads is given, ADDS scale·∂L/∂w into grads and
   * (when gradInputs is given) scale·∂L/∂t_in into gradInputs[gradInputsOffset …].
   */
  lossAndBackward(
    label: number,
    loss: TtfsLossConfig,
    weights: TtfsWeights,
    params: TtfsLayerParams,
    grads: TtfsWeights | null,
    scale: number,
    gradInputs: Float64Array | null = null,
    gradInputsOffset = 0,
  ): number {
    const value = ttfsLoss(this.outputTimes, 0, this.nOut, label, loss, grads ? this.gradOutputTimes : null, 0, scale);
    if (!grads || !(this.outputTimes[label]! < Infinity)) return value;
    this.gradHiddenTimes.fill(0);
    firstSpikeLayerBackward(
      this.nOutputIn,
      weights.outputWeights,
      params.output,
      this.outputTimes,
      0,
      this.nOut,
      this.gradOutputTimes,
      0,
      this.outputScratch,
      grads.outputWeights,
      this.gradHiddenTimes,
    );
    firstSpikeLayerBackward(
      this.nIn,
      weights.hiddenWeights,
      params.hidden,
      this.hiddenTimes,
      0,
      this.nHidden,
      this.gradHiddenTimes,
      0,
      this.hiddenScratch,
      grads.hiddenWeights,
      gradInputs,
      gradInputsOffset,
    );
    return value;
  }

  /**
   * The causal structure of the last forward pass, for finite-difference checks: per hidden
   * and output neuron the size of its causal set (0 = no spike). A parameter change that
   * alters it makes or removes a spike or moves an input across a spike (a kink of the loss).
   */
  signature(out: Int32Array, offset: number): number {
    let p = offset;
    for (let h = 0; h < this.nHidden; h++) out[p++] = this.hiddenScratch.causalCount[h]!;
    for (let k = 0; k < this.nOut; k++) out[p++] = this.outputScratch.causalCount[k]!;
    return p;
  }

  get signatureLength(): number {
    return this.nHidden + this.nOut;
  }

  /** Hidden spikes of the last forward pass. */
  hiddenSpikeCount(): number {
    let s = 0;
    for (let h = 0; h < this.nHidden; h++) if (this.hiddenTimes[h]! < Infinity) s++;
    return s;
  }

  /** Adds this sample's silent neurons to `missing`. */
  countMissing(missing: MissingSpikes): void {
    for (let h = 0; h < this.nHidden; h++) {
      if (!(this.hiddenTimes[h]! < Infinity)) {
        missing.hiddenMissing++;
        missing.hiddenSilent[h] = 1;
      }
    }
    for (let k = 0; k < this.nOut; k++) {
      if (!(this.outputTimes[k]! < Infinity)) {
        missing.outputMissing++;
        missing.outputSilent[k] = 1;
      }
    }
  }
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

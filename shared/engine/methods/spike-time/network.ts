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
import { earliestSpike, ttfsLoss } from '../../event/first-spike-loss.ts';
import type { MissingSpikes, SpikeNetwork, TtfsLayerParams, TtfsWeights } from '../../event/spike-network.ts';
import { firstSpikeLayerBackward } from './gradients.ts';

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

export { runBatch, type MissingSpikes, type SpikeNetwork, type TtfsLayerParams, type TtfsWeights } from '../../event/spike-network.ts';

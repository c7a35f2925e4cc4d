/**
 * A trainable network with a first-spike readout, as a MethodModel: the part `spike-time`
 * (TtfsNetwork, analytic gradients) and `eventprop` (EventPropNetwork, adjoint) share — data
 * preparation, weight bumping of silent neurons, chip substrates, prediction.
 *
 * Weight bumping (config.bumping) follows Göltz et al. 2021: a minibatch with too many silent
 * neurons gives no gradient (its gradient is zeroed; Adam's moments still move the weights a
 * little, unlike the paper's skipped step) and, after the optimiser step, the input weights of
 * its silent neurons are raised.
 *
 * On a device (`onDevice`), the device runs the forward pass and reports the hidden and output
 * spike times; the backward pass replays each sample through the network with the parameters
 * the device states it ran with (`internals`: per-neuron values shifted so E_L = 0, this
 * presentation's thresholds, the weights as applied), the hidden spikes replaced by the
 * reported (jittered) ones, so it differentiates at the device's spike times; ∂/∂(applied
 * weight) is taken as ∂/∂(model weight). A device that states no internals cannot train these
 * methods yet (the backward at reported times through the nominal model is not built).
 */
import type { TtfsLossConfig } from '../../contracts/methods/spike-time.ts';
import { NotImplementedError } from '../../contracts/errors.ts';
import { encodeTtfs } from '../data/encoding.ts';
import type { TtfsEncoding } from '../data/encoding.ts';
import type { YinYangData } from '../data/yinyang.ts';
import type { NeuronParams } from '../discrete/lif.ts';
import { packInputTimes, spikeSlots } from '../device/batch.ts';
import type { NetworkSpec, RunResult } from '../device/types.ts';
import type { BatchStats, DeviceMethod, LayerLayout, MethodModel, PreparedData } from '../methods/types.ts';
import { earliestSpike } from './first-spike-loss.ts';
import type { LifLayerParams } from './lif.ts';
import { runBatch, type MissingSpikes, type SpikeNetwork, type TtfsLayerParams, type TtfsWeights } from './spike-network.ts';

/** Weight-bumping settings (shared/contracts/methods/spike-time.ts WeightBumpingConfig). */
export interface BumpingSettings {
  readonly enabled: boolean;
  readonly hiddenMaxMissingFraction: number;
  readonly outputMaxMissingFraction: number;
  readonly bumpValue: number;
  readonly exponential: boolean;
}

export interface FirstSpikeModelOptions {
  readonly network: SpikeNetwork;
  readonly hiddenNeurons: NeuronParams;
  readonly outputNeurons: NeuronParams;
  readonly loss: TtfsLossConfig;
  readonly bumping: BumpingSettings;
  readonly encoding: TtfsEncoding;
  /** Model time one presentation takes on a device, ms (for the cost ledger). */
  readonly presentationTimeMs: number;
  /** Spikes per neuron the network records (1: first spikes in closed form). */
  readonly maxSpikesPerNeuron: number;
}

/** A split as input spike times: [size × 5] ms (4 features + bias). */
export class FirstSpikeData implements PreparedData {
  constructor(
    readonly size: number,
    readonly labels: Int32Array,
    readonly inputTimes: Float64Array,
  ) {}
}

/** Layer names on a device. */
export const FIRST_SPIKE_LAYERS = { hidden: 'hidden', output: 'output' } as const;

/** Shifts potentials by the leak so that E_L = 0, as the event kernels assume. */
export function toEventParams(p: NeuronParams): LifLayerParams {
  const n = p.vThreshold.length;
  const vThreshold = new Float64Array(n);
  const vReset = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    vThreshold[i] = p.vThreshold[i]! - p.vLeak[i]!;
    vReset[i] = p.vReset[i]! - p.vLeak[i]!;
  }
  return { vThreshold, vReset, tauMemMs: p.tauMemMs, tauSynMs: p.tauSynMs };
}

export class FirstSpikeModel implements MethodModel {
  readonly params: TtfsWeights;
  readonly grads: TtfsWeights;
  readonly layout: readonly LayerLayout[];
  readonly network: SpikeNetwork;
  readonly modelParams: TtfsLayerParams;
  readonly modelNeurons: { hidden: NeuronParams; output: NeuronParams };
  private readonly missing: MissingSpikes;
  readonly onDevice: DeviceMethod;
  private pendingBump: { layer: 'hidden' | 'output'; silent: Uint8Array } | null = null;
  private lastBumpedLayer: 'hidden' | 'output' | null = null;
  private bumpValue: number;
  /** Mean hidden + output spikes per sample over the last `predict` (model path; benchmarks report it). */
  meanSpikesPerSample = 0;

  constructor(readonly options: FirstSpikeModelOptions) {
    const net = options.network;
    this.network = net;
    this.params = { hiddenWeights: new Float64Array(net.nHidden * net.nIn), outputWeights: new Float64Array(net.nOut * net.nOutputIn) };
    this.grads = { hiddenWeights: new Float64Array(net.nHidden * net.nIn), outputWeights: new Float64Array(net.nOut * net.nOutputIn) };
    this.modelNeurons = { hidden: options.hiddenNeurons, output: options.outputNeurons };
    this.modelParams = { hidden: toEventParams(options.hiddenNeurons), output: toEventParams(options.outputNeurons) };
    this.layout = [
      { layer: FIRST_SPIKE_LAYERS.hidden, weights: 'hiddenWeights', nIn: net.nIn, nOut: net.nHidden },
      { layer: FIRST_SPIKE_LAYERS.output, weights: 'outputWeights', nIn: net.nOutputIn, nOut: net.nOut },
    ];
    this.missing = { hiddenMissing: 0, outputMissing: 0, hiddenSilent: new Uint8Array(net.nHidden), outputSilent: new Uint8Array(net.nOut) };
    this.bumpValue = options.bumping.bumpValue;
    this.onDevice = new FirstSpikeOnDevice(this);
  }

  prepare(data: YinYangData): FirstSpikeData {
    return new FirstSpikeData(data.size, data.labels, encodeTtfs(data, this.options.encoding));
  }

  own(data: PreparedData): FirstSpikeData {
    if (!(data instanceof FirstSpikeData)) throw new TypeError('data was not prepared by this method');
    return data;
  }

  /** Clears the per-batch silent-neuron counts (before a minibatch). */
  resetMissing(): MissingSpikes {
    const m = this.missing;
    m.hiddenMissing = 0;
    m.outputMissing = 0;
    m.hiddenSilent.fill(0);
    m.outputSilent.fill(0);
    return m;
  }

  lossAndGradient(prepared: PreparedData, order: Int32Array, start: number, count: number): BatchStats {
    const data = this.own(prepared);
    const m = this.resetMissing();
    const stats = runBatch(this.network, data.inputTimes, data.labels, order, start, count, this.params, this.modelParams, this.options.loss, this.grads, m);
    this.afterBatch(count);
    return stats;
  }

  /** Bumping decision after a minibatch (its gradient is zeroed when a bump is due). */
  afterBatch(count: number): void {
    this.decideBump(count);
    if (this.pendingBump) {
      this.grads.hiddenWeights.fill(0);
      this.grads.outputWeights.fill(0);
    }
  }

  /** The paper's rule: hidden layer first, then output; bump value doubles on repeats. */
  private decideBump(count: number): void {
    this.pendingBump = null;
    const b = this.options.bumping;
    if (!b.enabled) return;
    const m = this.missing;
    let layer: 'hidden' | 'output' | null = null;
    if (m.hiddenMissing / (count * this.network.nHidden) > b.hiddenMaxMissingFraction) layer = 'hidden';
    else if (m.outputMissing / (count * this.network.nOut) > b.outputMaxMissingFraction) layer = 'output';
    if (layer === null) {
      this.lastBumpedLayer = null;
      return;
    }
    this.bumpValue = b.exponential && layer === this.lastBumpedLayer ? this.bumpValue * 2 : b.bumpValue;
    this.lastBumpedLayer = layer;
    this.pendingBump = { layer, silent: layer === 'hidden' ? m.hiddenSilent : m.outputSilent };
  }

  afterStep(): void {
    const bump = this.pendingBump;
    if (!bump) return;
    const w = bump.layer === 'hidden' ? this.params.hiddenWeights : this.params.outputWeights;
    const nIn = bump.layer === 'hidden' ? this.network.nIn : this.network.nOutputIn;
    for (let n = 0; n < bump.silent.length; n++) {
      if (!bump.silent[n]) continue;
      for (let i = 0; i < nIn; i++) w[n * nIn + i] = w[n * nIn + i]! + this.bumpValue;
    }
    this.pendingBump = null;
  }

  predict(prepared: PreparedData, out: Int32Array): void {
    const data = this.own(prepared);
    const net = this.network;
    let spikes = 0;
    for (let n = 0; n < data.size; n++) {
      out[n] = net.forward(data.inputTimes, n * net.nIn, this.params, this.modelParams);
      spikes += net.hiddenSpikeCount();
      for (let k = 0; k < net.nOut; k++) if (net.outputTimes[k]! < Infinity) spikes++;
    }
    this.meanSpikesPerSample = data.size > 0 ? spikes / data.size : 0;
  }

  presentationTimeMs(): number {
    return this.options.presentationTimeMs;
  }
}

/** Grid of membrane observations a first-spike network states (it records none itself), ms. */
const FIRST_SPIKE_DT_MS = 0.1;

/** The first-spike network on a device: spike times in, spike times out (see the file comment). */
class FirstSpikeOnDevice implements DeviceMethod {
  readonly requests = {
    training: { membrane: [], peak: [], internals: true },
    evaluation: { membrane: [], peak: [], internals: false },
  } as const;
  private readonly hiddenObserved: Float64Array;
  private readonly outputObserved: Float64Array;
  private readonly firstOutput: Float64Array;

  constructor(private readonly model: FirstSpikeModel) {
    const net = model.network;
    const m = model.options.maxSpikesPerNeuron;
    this.hiddenObserved = new Float64Array(net.nHidden * m);
    this.outputObserved = new Float64Array(net.nOut * m);
    this.firstOutput = new Float64Array(net.nOut);
  }

  network(): NetworkSpec {
    const net = this.model.network;
    const { presentationTimeMs, maxSpikesPerNeuron } = this.model.options;
    return {
      inputs: net.nIn,
      layers: [
        { name: FIRST_SPIKE_LAYERS.hidden, weights: 'hiddenWeights', size: net.nHidden, inputs: net.nIn, biasSpikeTimeMs: null, neurons: this.model.modelNeurons.hidden },
        { name: FIRST_SPIKE_LAYERS.output, weights: 'outputWeights', size: net.nOut, inputs: net.nOutputIn, biasSpikeTimeMs: net.outputBiasTimeMs, neurons: this.model.modelNeurons.output },
      ],
      durationMs: presentationTimeMs,
      dtMs: FIRST_SPIKE_DT_MS,
      steps: Math.ceil(presentationTimeMs / FIRST_SPIKE_DT_MS),
      integration: 'exact',
      maxSpikesPerNeuron,
    };
  }

  inputs(data: PreparedData, order: Int32Array | null, start: number, count: number) {
    return packInputTimes(this.model.own(data).inputTimes, this.model.network.nIn, order, start, count);
  }

  learn(prepared: PreparedData, order: Int32Array, start: number, count: number, observed: RunResult): BatchStats {
    const model = this.model;
    const data = model.own(prepared);
    const internals = observed.internals;
    if (!internals) {
      throw new NotImplementedError('training spike-time/eventprop on a device that does not state its parameters (internals) is not built yet');
    }
    const net = model.network;
    const hiddenHw = internals.neurons[FIRST_SPIKE_LAYERS.hidden]!;
    const outputHw = internals.neurons[FIRST_SPIKE_LAYERS.output]!;
    const hidden = toEventParams(hiddenHw);
    const output = toEventParams(outputHw);
    const params: TtfsLayerParams = { hidden, output };
    const weights: TtfsWeights = { hiddenWeights: internals.weights.hiddenWeights!, outputWeights: internals.weights.outputWeights! };
    const theta = { hidden: internals.thresholds[FIRST_SPIKE_LAYERS.hidden]!, output: internals.thresholds[FIRST_SPIKE_LAYERS.output]! };
    const grads = model.grads;
    grads.hiddenWeights.fill(0);
    grads.outputWeights.fill(0);
    const m = model.resetMissing();
    const stats = { lossSum: 0, correct: 0 };
    const observedHidden = this.hiddenObserved;
    const spikes = observed.spikes[FIRST_SPIKE_LAYERS.hidden]!;
    const replaceHidden = (times: Float64Array): void => times.set(observedHidden);
    for (let j = 0; j < count; j++) {
      const n = order[start + j]!;
      const label = data.labels[n]!;
      // this presentation's thresholds, shifted so E_L = 0 (as the device ran them)
      for (const [layer, hw, p] of [
        ['hidden', hiddenHw, hidden],
        ['output', outputHw, output],
      ] as const) {
        const t = p.vThreshold as Float64Array;
        const sampled = theta[layer];
        for (let k = 0; k < t.length; k++) t[k] = sampled[j * t.length + k]! - hw.vLeak[k]!;
      }
      spikeSlots(spikes, j, observedHidden);
      if (net.forward(data.inputTimes, n * net.nIn, weights, params, replaceHidden) === label) stats.correct++;
      stats.lossSum += net.lossAndBackward(label, model.options.loss, weights, params, grads, 1 / count);
      net.countMissing(m);
    }
    model.afterBatch(count);
    return stats;
  }

  predict(observed: RunResult, out: Int32Array, offset: number): void {
    const spikes = observed.spikes[FIRST_SPIKE_LAYERS.output]!;
    const m = this.model.options.maxSpikesPerNeuron;
    const first = this.firstOutput;
    for (let j = 0; j < observed.samples; j++) {
      spikeSlots(spikes, j, this.outputObserved);
      for (let k = 0; k < first.length; k++) first[k] = this.outputObserved[k * m]!;
      out[offset + j] = earliestSpike(first, 0, first.length);
    }
  }
}

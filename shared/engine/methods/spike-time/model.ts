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
 * On a chip (setSubstrate), forward passes use the device's per-neuron values (leak-shifted so
 * E_L = 0), its applied weights, trial-to-trial threshold noise and spike-time jitter; the
 * backward pass applies the method's derivative at the chip's spike times with those per-chip
 * effective parameters, and treats ∂/∂(applied weight) as ∂/∂(model weight).
 */
import type { TtfsLossConfig } from '../../../contracts/methods/spike-time.ts';
import { encodeTtfs } from '../../data/encoding.ts';
import type { TtfsEncoding } from '../../data/encoding.ts';
import type { YinYangData } from '../../data/yinyang.ts';
import type { NeuronParams } from '../../discrete/lif.ts';
import type { LifLayerParams } from '../../event/lif.ts';
import type { BatchStats, LayerLayout, MeasurementNeeds, MethodModel, PreparedData, Substrate } from '../types.ts';
import { runBatch, type MissingSpikes, type SpikeNetwork, type TtfsLayerParams, type TtfsWeights } from './network.ts';

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
}

/** A split as input spike times: [size × 5] ms (4 features + bias). */
export class FirstSpikeData implements PreparedData {
  constructor(
    readonly size: number,
    readonly labels: Int32Array,
    readonly inputTimes: Float64Array,
  ) {}
}

/** Layer names a Substrate is asked about. */
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

interface DeviceSide {
  readonly substrate: Substrate;
  readonly weights: TtfsWeights;
  readonly params: TtfsLayerParams;
  /** The hardware leak potentials, subtracted from sampled thresholds (E_L = 0 in the kernels). */
  readonly leaks: { hidden: Float64Array; output: Float64Array };
}

export class FirstSpikeModel implements MethodModel {
  readonly params: TtfsWeights;
  readonly grads: TtfsWeights;
  readonly layout: readonly LayerLayout[];
  readonly network: SpikeNetwork;
  readonly modelParams: TtfsLayerParams;
  readonly modelNeurons: { hidden: NeuronParams; output: NeuronParams };
  private device: DeviceSide | null = null;
  private readonly missing: MissingSpikes;
  private pendingBump: { layer: 'hidden' | 'output'; silent: Uint8Array } | null = null;
  private lastBumpedLayer: 'hidden' | 'output' | null = null;
  private bumpValue: number;
  private meanSpikesPerSample = 0;

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
  }

  /** Spike times only: 4 bytes per hidden and output spike. */
  get measurement(): MeasurementNeeds {
    return { observables: 'spike-times', readoutBytesPerSample: 4 * this.meanSpikesPerSample };
  }

  prepare(data: YinYangData): FirstSpikeData {
    return new FirstSpikeData(data.size, data.labels, encodeTtfs(data, this.options.encoding));
  }

  private own(data: PreparedData): FirstSpikeData {
    if (!(data instanceof FirstSpikeData)) throw new TypeError('data was not prepared by this method');
    return data;
  }

  setSubstrate(substrate: Substrate | null): void {
    if (!substrate) {
      this.device = null;
      return;
    }
    const hiddenHw = substrate.neuronParams(FIRST_SPIKE_LAYERS.hidden, this.modelNeurons.hidden);
    const outputHw = substrate.neuronParams(FIRST_SPIKE_LAYERS.output, this.modelNeurons.output);
    const hidden = toEventParams(hiddenHw);
    const output = toEventParams(outputHw);
    this.device = {
      substrate,
      weights: {
        hiddenWeights: new Float64Array(this.params.hiddenWeights.length),
        outputWeights: new Float64Array(this.params.outputWeights.length),
      },
      params: {
        hidden: { ...hidden, vThreshold: new Float64Array(hidden.vThreshold) },
        output: { ...output, vThreshold: new Float64Array(output.vThreshold) },
      },
      leaks: { hidden: new Float64Array(hiddenHw.vLeak), output: new Float64Array(outputHw.vLeak) },
    };
  }

  /** Weights and neuron values the forward pass runs on (device values on a chip). */
  private side(): { weights: TtfsWeights; params: TtfsLayerParams } {
    const d = this.device;
    if (!d) return { weights: this.params, params: this.modelParams };
    d.substrate.applyWeights('hiddenWeights', this.params.hiddenWeights, d.weights.hiddenWeights);
    d.substrate.applyWeights('outputWeights', this.params.outputWeights, d.weights.outputWeights);
    return { weights: d.weights, params: d.params };
  }

  /** Per-presentation device effects before a sample: noisy thresholds, shifted so E_L = 0. */
  private presentSample(): void {
    const d = this.device;
    if (!d || !d.substrate.sampleThresholds) return;
    for (const layer of [FIRST_SPIKE_LAYERS.hidden, FIRST_SPIKE_LAYERS.output] as const) {
      const theta = d.params[layer].vThreshold as Float64Array;
      const leak = d.leaks[layer];
      d.substrate.sampleThresholds(layer, theta);
      for (let n = 0; n < theta.length; n++) theta[n] = theta[n]! - leak[n]!;
    }
  }

  private jitter = (times: Float64Array, maxSpikesPerNeuron: number): void => {
    const d = this.device;
    if (d?.substrate.jitterSpikeTimes) d.substrate.jitterSpikeTimes(FIRST_SPIKE_LAYERS.hidden, times, maxSpikesPerNeuron);
  };

  lossAndGradient(prepared: PreparedData, order: Int32Array, start: number, count: number): BatchStats {
    const data = this.own(prepared);
    const { weights, params } = this.side();
    const m = this.missing;
    m.hiddenMissing = 0;
    m.outputMissing = 0;
    m.hiddenSilent.fill(0);
    m.outputSilent.fill(0);
    let stats: { lossSum: number; correct: number };
    if (!this.device) {
      stats = runBatch(this.network, data.inputTimes, data.labels, order, start, count, weights, params, this.options.loss, this.grads, m);
    } else {
      // Sample by sample, so each presentation gets its own device noise.
      this.grads.hiddenWeights.fill(0);
      this.grads.outputWeights.fill(0);
      stats = { lossSum: 0, correct: 0 };
      const net = this.network;
      for (let j = start; j < start + count; j++) {
        const n = order[j]!;
        const label = data.labels[n]!;
        this.presentSample();
        if (net.forward(data.inputTimes, n * net.nIn, weights, params, this.jitter) === label) stats.correct++;
        stats.lossSum += net.lossAndBackward(label, this.options.loss, weights, params, this.grads, 1 / count);
        net.countMissing(m);
      }
      this.device.substrate.recordRuns?.({ runs: count, modelTimeMsPerRun: this.presentationTimeMs() });
    }
    this.decideBump(count);
    if (this.pendingBump) {
      this.grads.hiddenWeights.fill(0);
      this.grads.outputWeights.fill(0);
    }
    return stats;
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
    const { weights, params } = this.side();
    const net = this.network;
    let spikes = 0;
    for (let n = 0; n < data.size; n++) {
      this.presentSample();
      out[n] = net.forward(data.inputTimes, n * net.nIn, weights, params, this.device ? this.jitter : undefined);
      spikes += net.hiddenSpikeCount();
      for (let k = 0; k < net.nOut; k++) if (net.outputTimes[k]! < Infinity) spikes++;
    }
    this.meanSpikesPerSample = data.size > 0 ? spikes / data.size : 0;
    this.device?.substrate.recordRuns?.({ runs: data.size, modelTimeMsPerRun: this.presentationTimeMs() });
  }

  presentationTimeMs(): number {
    return this.options.presentationTimeMs;
  }
}


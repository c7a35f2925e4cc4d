/**
 * The `surrogate` method: BPTT with a surrogate derivative through the discrete-time LIF
 * network of `reference.ts` / `kernel.ts` (input spikes → hidden LIF → leaky-integrator
 * readout, loss on the max-over-time readout membrane). Config: shared/contracts/methods/surrogate.ts.
 */
import type { SurrogateTrialConfig } from '../../../contracts/methods/surrogate.ts';
import { ValidationError } from '../../../contracts/errors.ts';
import { encodeTtfs, ENCODED_INPUTS } from '../../data/encoding.ts';
import { YINYANG_CLASSES, type YinYangData } from '../../data/yinyang.ts';
import { discretize, uniformNeuronParams, type LifCoefficients, type NeuronParams } from '../../discrete/lif.ts';
import type { Rng } from '../../random.ts';
import type { BatchStats, LayerLayout, MeasurementNeeds, MethodDefinition, MethodModel, PreparedData, Substrate } from '../types.ts';
import { SurrogateKernel, type KernelSide } from './kernel.ts';
import { inputEvents, type SpikeFunction } from './reference.ts';

/** A split as input events on the grid: [size × 5] step indices and offsets δ (ms). */
export class SurrogateData implements PreparedData {
  constructor(
    readonly size: number,
    readonly labels: Int32Array,
    readonly step: Int32Array,
    readonly delta: Float64Array,
  ) {}
}

/** Layer names a Substrate is asked about. */
export const SURROGATE_LAYERS = { hidden: 'hidden', output: 'output' } as const;

export class SurrogateModel implements MethodModel {
  readonly params: { readonly inputWeights: Float64Array; readonly outputWeights: Float64Array };
  readonly grads: { readonly inputWeights: Float64Array; readonly outputWeights: Float64Array };
  readonly modelHidden: NeuronParams;
  readonly modelOutput: NeuronParams;
  private readonly config: SurrogateTrialConfig;
  private readonly kernel: SurrogateKernel;
  private readonly modelSide: KernelSide;
  private deviceSide: KernelSide | null = null;
  private substrate: Substrate | null = null;
  private meanHiddenSpikes = 0;

  constructor(config: SurrogateTrialConfig, spikeForward: SpikeFunction['forward'] = 'heaviside') {
    this.config = config;
    const nH = config.network.hiddenSize;
    const nO = YINYANG_CLASSES;
    this.params = { inputWeights: new Float64Array(nH * ENCODED_INPUTS), outputWeights: new Float64Array(nO * nH) };
    this.grads = { inputWeights: new Float64Array(nH * ENCODED_INPUTS), outputWeights: new Float64Array(nO * nH) };
    this.modelHidden = uniformNeuronParams(nH, config.neuron);
    this.modelOutput = uniformNeuronParams(nO, { ...config.readout, vThreshold: Infinity, vLeak: 0, vReset: 0 });
    const dt = config.simulation.dtMs;
    this.modelSide = {
      hidden: discretize(this.modelHidden, dt),
      output: discretize(this.modelOutput, dt),
      inputWeights: this.params.inputWeights,
      outputWeights: this.params.outputWeights,
    };
    const spike: SpikeFunction = { ...config.surrogate, forward: spikeForward };
    this.kernel = new SurrogateKernel(ENCODED_INPUTS, nH, nO, config.simulation.timeSteps, spike);
  }

  /** Input → hidden → readout, as a chip hosts it. */
  get layout(): readonly LayerLayout[] {
    const nH = this.config.network.hiddenSize;
    return [
      { layer: SURROGATE_LAYERS.hidden, weights: 'inputWeights', nIn: ENCODED_INPUTS, nOut: nH },
      { layer: SURROGATE_LAYERS.output, weights: 'outputWeights', nIn: nH, nOut: YINYANG_CLASSES },
    ];
  }

  /** Chip only: per-presentation thresholds, and what the chip ran (for its cost model). */
  private chipPresentation(f: KernelSide): void {
    if (f !== this.modelSide) this.substrate?.sampleThresholds?.(SURROGATE_LAYERS.hidden, f.hidden.vThreshold);
  }

  private chipRecord(f: KernelSide, runs: number, spikes: number): void {
    if (f === this.modelSide || !this.substrate?.recordRuns) return;
    const { hiddenSize } = this.config.network;
    const synapticEvents = runs * ENCODED_INPUTS * hiddenSize + spikes * YINYANG_CLASSES;
    this.substrate.recordRuns({ runs, modelTimeMsPerRun: this.config.simulation.timeSteps * this.config.simulation.dtMs, spikes, synapticEvents });
  }

  /** Dense membrane traces of hidden and readout neurons (8-bit samples) plus hidden spike events. */
  get measurement(): MeasurementNeeds {
    const { hiddenSize } = this.config.network;
    const membraneSamples = (hiddenSize + YINYANG_CLASSES) * this.config.simulation.timeSteps;
    return { observables: 'membrane-traces', readoutBytesPerSample: membraneSamples + 4 * this.meanHiddenSpikes };
  }

  prepare(data: YinYangData): SurrogateData {
    const times = encodeTtfs(data, this.config.encoding);
    const step = new Int32Array(times.length);
    const delta = new Float64Array(times.length);
    for (let n = 0; n < data.size; n++) {
      const ev = inputEvents(times.subarray(n * ENCODED_INPUTS, (n + 1) * ENCODED_INPUTS), this.config.simulation.dtMs);
      step.set(ev.step, n * ENCODED_INPUTS);
      delta.set(ev.deltaMs, n * ENCODED_INPUTS);
    }
    return new SurrogateData(data.size, data.labels, step, delta);
  }

  private own(data: PreparedData): SurrogateData {
    if (!(data instanceof SurrogateData)) throw new TypeError('surrogate: data was not prepared by this method');
    return data;
  }

  /** The side forward passes run on: the model, or the substrate with its applied weights. */
  private forwardSide(): KernelSide {
    const d = this.deviceSide;
    if (!d || !this.substrate) return this.modelSide;
    this.substrate.applyWeights('inputWeights', this.params.inputWeights, d.inputWeights);
    this.substrate.applyWeights('outputWeights', this.params.outputWeights, d.outputWeights);
    return d;
  }

  setSubstrate(substrate: Substrate | null): void {
    this.substrate = substrate;
    if (!substrate) {
      this.deviceSide = null;
      return;
    }
    const dt = this.config.simulation.dtMs;
    this.deviceSide = {
      // own copy of the thresholds: trial-to-trial noise rewrites them per presentation
      hidden: discretize(withOwnThresholds(substrate.neuronParams(SURROGATE_LAYERS.hidden, this.modelHidden)), dt),
      output: discretize(substrate.neuronParams(SURROGATE_LAYERS.output, this.modelOutput), dt),
      inputWeights: new Float64Array(this.params.inputWeights.length),
      outputWeights: new Float64Array(this.params.outputWeights.length),
    };
  }

  lossAndGradient(prepared: PreparedData, order: Int32Array, start: number, count: number): BatchStats {
    const data = this.own(prepared);
    const gIn = this.grads.inputWeights;
    const gOut = this.grads.outputWeights;
    gIn.fill(0);
    gOut.fill(0);
    const f = this.forwardSide();
    const k = this.kernel;
    let lossSum = 0;
    let correct = 0;
    let spikes = 0;
    for (let j = start; j < start + count; j++) {
      const n = order[j]!;
      const label = data.labels[n]!;
      this.chipPresentation(f);
      if (k.forward(data.step, data.delta, n, f) === label) correct++;
      spikes += k.lastSpikeCount;
      if (f !== this.modelSide) {
        // in-the-loop: the backward pass sees the traces and readout maxima as the chip's ADC reported them
        this.substrate?.observeMembrane?.(SURROGATE_LAYERS.hidden, k.traces().u, this.config.network.hiddenSize);
        this.substrate?.observeMembrane?.(SURROGATE_LAYERS.output, k.logits, YINYANG_CLASSES);
      }
      lossSum += k.loss(label, 1 / count);
      k.backward(data.step, data.delta, n, f, this.modelSide, gIn, gOut);
    }
    this.chipRecord(f, count, spikes);
    return { lossSum, correct };
  }

  predict(prepared: PreparedData, out: Int32Array): void {
    const data = this.own(prepared);
    const f = this.forwardSide();
    let spikes = 0;
    for (let n = 0; n < data.size; n++) {
      this.chipPresentation(f);
      out[n] = this.kernel.forward(data.step, data.delta, n, f);
      spikes += this.kernel.lastSpikeCount;
    }
    this.meanHiddenSpikes = data.size > 0 ? spikes / data.size : 0;
    this.chipRecord(f, data.size, spikes);
  }

  /** Hidden neurons that spike on none of the given samples (a boolean per neuron). */
  silentNeurons(prepared: PreparedData, count: number): Uint8Array {
    const data = this.own(prepared);
    const nH = this.config.network.hiddenSize;
    const fired = new Uint8Array(nH);
    const f = this.forwardSide();
    for (let n = 0; n < Math.min(count, data.size); n++) {
      this.kernel.forward(data.step, data.delta, n, f);
      const { s } = this.kernel.traces();
      for (let k = 1; k <= this.config.simulation.timeSteps; k++) for (let h = 0; h < nH; h++) if (s[k * nH + h] !== 0) fired[h] = 1;
    }
    return fired.map((x) => 1 - x);
  }

  /** Hidden and readout coefficients of the model (for tests and the chip). */
  get coefficients(): { hidden: LifCoefficients; output: LifCoefficients } {
    return { hidden: this.modelSide.hidden, output: this.modelSide.output };
  }
}

/** The same parameters with a private copy of the thresholds (which per-presentation noise rewrites). */
function withOwnThresholds(p: NeuronParams): NeuronParams {
  return { ...p, vThreshold: p.vThreshold.slice() };
}

/** Samples of the training set probed for silent hidden neurons at initialisation. */
const SILENT_PROBE_SAMPLES = 200;

/**
 * Draws the weights from `rng`: inputs normal(inputWeightMean, inputWeightSd), readout
 * normal(outputWeightMean, outputWeightSd); then, up to `maxBumpRounds` times, raises every input
 * weight of the hidden neurons that stay silent on the first 200 training samples by
 * `silentBumpVoltage`, so training starts from a network whose hidden neurons all fire.
 */
export function initializeSurrogate(model: SurrogateModel, config: SurrogateTrialConfig, rng: Rng, train: YinYangData): void {
  const init = config.init;
  const { inputWeights, outputWeights } = model.params;
  for (let j = 0; j < inputWeights.length; j++) inputWeights[j] = rng.normal(init.inputWeightMean, init.inputWeightSd);
  for (let j = 0; j < outputWeights.length; j++) outputWeights[j] = rng.normal(init.outputWeightMean, init.outputWeightSd);
  if (init.maxBumpRounds === 0 || init.silentBumpVoltage === 0 || train.size === 0) return;
  const probe = model.prepare({ size: Math.min(SILENT_PROBE_SAMPLES, train.size), features: train.features, labels: train.labels });
  for (let round = 0; round < init.maxBumpRounds; round++) {
    const silent = model.silentNeurons(probe, probe.size);
    if (!silent.some((x) => x === 1)) return;
    for (let h = 0; h < silent.length; h++) {
      if (!silent[h]) continue;
      for (let i = 0; i < ENCODED_INPUTS; i++) inputWeights[h * ENCODED_INPUTS + i] = inputWeights[h * ENCODED_INPUTS + i]! + init.silentBumpVoltage;
    }
  }
}

export const surrogateMethod: MethodDefinition<SurrogateTrialConfig> = {
  name: 'surrogate',
  createModel(config, rng, train) {
    if (config.neuron.vThreshold <= config.neuron.vLeak) {
      throw new ValidationError('spikesweep:invalid-config', [{ path: 'neuron.vThreshold', message: 'must lie above vLeak' }]);
    }
    const model = new SurrogateModel(config);
    initializeSurrogate(model, config, rng, train);
    return model;
  },
};

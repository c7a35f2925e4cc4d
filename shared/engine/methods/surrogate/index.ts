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
import { packInputTimes } from '../../device/batch.ts';
import type { NetworkSpec, RunResult } from '../../device/types.ts';
import type { BatchStats, DeviceMethod, LayerLayout, MethodDefinition, MethodModel, PreparedData } from '../types.ts';
import { SurrogateKernel, type KernelSide } from './kernel.ts';
import { inputEvents, type SpikeFunction } from './reference.ts';

/** A split as input spike times [size × 5] (ms) and as events on the grid: step indices and offsets δ (ms). */
export class SurrogateData implements PreparedData {
  constructor(
    readonly size: number,
    readonly labels: Int32Array,
    readonly step: Int32Array,
    readonly delta: Float64Array,
    readonly times: Float64Array,
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
  /** Mean hidden spikes per sample over the last `predict` (model path; benchmarks report it). */
  meanHiddenSpikes = 0;
  readonly onDevice: DeviceMethod;

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
    this.onDevice = new SurrogateOnDevice(this, config, this.kernel, this.modelSide);
  }

  /** Input → hidden → readout, as a chip hosts it. */
  get layout(): readonly LayerLayout[] {
    const nH = this.config.network.hiddenSize;
    return [
      { layer: SURROGATE_LAYERS.hidden, weights: 'inputWeights', nIn: ENCODED_INPUTS, nOut: nH },
      { layer: SURROGATE_LAYERS.output, weights: 'outputWeights', nIn: nH, nOut: YINYANG_CLASSES },
    ];
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
    return new SurrogateData(data.size, data.labels, step, delta, times);
  }

  own(data: PreparedData): SurrogateData {
    if (!(data instanceof SurrogateData)) throw new TypeError('surrogate: data was not prepared by this method');
    return data;
  }

  lossAndGradient(prepared: PreparedData, order: Int32Array, start: number, count: number): BatchStats {
    const data = this.own(prepared);
    const gIn = this.grads.inputWeights;
    const gOut = this.grads.outputWeights;
    gIn.fill(0);
    gOut.fill(0);
    const f = this.modelSide;
    const k = this.kernel;
    let lossSum = 0;
    let correct = 0;
    for (let j = start; j < start + count; j++) {
      const n = order[j]!;
      const label = data.labels[n]!;
      if (k.forward(data.step, data.delta, n, f) === label) correct++;
      lossSum += k.loss(label, 1 / count);
      k.backward(data.step, data.delta, n, f, f, gIn, gOut);
    }
    return { lossSum, correct };
  }

  predict(prepared: PreparedData, out: Int32Array): void {
    const data = this.own(prepared);
    let spikes = 0;
    for (let n = 0; n < data.size; n++) {
      out[n] = this.kernel.forward(data.step, data.delta, n, this.modelSide);
      spikes += this.kernel.lastSpikeCount;
    }
    this.meanHiddenSpikes = data.size > 0 ? spikes / data.size : 0;
  }

  /** Hidden neurons that spike on none of the given samples (a boolean per neuron). */
  silentNeurons(prepared: PreparedData, count: number): Uint8Array {
    const data = this.own(prepared);
    const nH = this.config.network.hiddenSize;
    const fired = new Uint8Array(nH);
    const f = this.modelSide;
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

/**
 * The surrogate network on a device: input spikes → hidden LIF → leaky-integrator readout on
 * the grid of `simulation.dtMs`. Training reads the hidden membrane on the grid, the hidden
 * spikes and the readout peaks (the logits, max over time, and when they occurred); BPTT then
 * runs through the model over those recorded values, with the device's per-presentation
 * thresholds and resets in the surrogate's argument U − ϑ and the reset term when the device
 * states them (`internals`), the model's otherwise. A prediction reads the readout peaks only.
 */
class SurrogateOnDevice implements DeviceMethod {
  readonly requests = {
    training: { membrane: [SURROGATE_LAYERS.hidden], peak: [SURROGATE_LAYERS.output], internals: true },
    evaluation: { membrane: [], peak: [SURROGATE_LAYERS.output], internals: false },
  } as const;

  constructor(
    private readonly model: SurrogateModel,
    private readonly config: SurrogateTrialConfig,
    private readonly kernel: SurrogateKernel,
    private readonly modelSide: KernelSide,
  ) {}

  network(): NetworkSpec {
    const { dtMs, timeSteps } = this.config.simulation;
    const nH = this.config.network.hiddenSize;
    return {
      inputs: ENCODED_INPUTS,
      layers: [
        { name: SURROGATE_LAYERS.hidden, weights: 'inputWeights', size: nH, inputs: ENCODED_INPUTS, biasSpikeTimeMs: null, neurons: this.model.modelHidden },
        { name: SURROGATE_LAYERS.output, weights: 'outputWeights', size: YINYANG_CLASSES, inputs: nH, biasSpikeTimeMs: null, neurons: this.model.modelOutput },
      ],
      durationMs: timeSteps * dtMs,
      dtMs,
      steps: timeSteps,
      integration: 'grid',
      maxSpikesPerNeuron: timeSteps,
    };
  }

  inputs(data: PreparedData, order: Int32Array | null, start: number, count: number) {
    return packInputTimes(this.model.own(data).times, ENCODED_INPUTS, order, start, count);
  }

  learn(prepared: PreparedData, order: Int32Array, start: number, count: number, observed: RunResult): BatchStats {
    const data = this.model.own(prepared);
    const { inputWeights: gIn, outputWeights: gOut } = this.model.grads;
    gIn.fill(0);
    gOut.fill(0);
    const k = this.kernel;
    const nH = this.config.network.hiddenSize;
    const T = this.config.simulation.timeSteps;
    const dt = this.config.simulation.dtMs;
    const b = this.modelSide;
    const membrane = observed.membrane[SURROGATE_LAYERS.hidden]!.values;
    const peak = observed.peak[SURROGATE_LAYERS.output]!;
    const spikes = observed.spikes[SURROGATE_LAYERS.hidden]!;
    const internals = observed.internals;
    const thresholds = internals?.thresholds[SURROGATE_LAYERS.hidden] ?? null;
    const vReset = internals?.neurons[SURROGATE_LAYERS.hidden]?.vReset ?? b.hidden.vReset;
    const { u, s } = k.traces();
    const steps = k.peakSteps();
    const perSample = (T + 1) * nH;
    let lossSum = 0;
    let correct = 0;
    for (let j = 0; j < count; j++) {
      const n = order[start + j]!;
      const label = data.labels[n]!;
      // load the recorded pass: membrane, spikes on the grid, readout peaks and their steps
      u.set(membrane.subarray(j * perSample, (j + 1) * perSample));
      s.fill(0);
      for (let e = spikes.offsets[j]!; e < spikes.offsets[j + 1]!; e++) {
        const h = Math.floor(spikes.slots[e]! / T);
        s[Math.round(spikes.timesMs[e]! / dt) * nH + h] = 1;
      }
      k.logits.set(peak.values.subarray(j * YINYANG_CLASSES, (j + 1) * YINYANG_CLASSES));
      steps.set(peak.steps.subarray(j * YINYANG_CLASSES, (j + 1) * YINYANG_CLASSES));
      if (argmaxOf(k.logits) === label) correct++;
      lossSum += k.loss(label, 1 / count);
      const f: KernelSide = {
        ...b,
        hidden: { ...b.hidden, vThreshold: thresholds ? thresholds.subarray(j * nH, (j + 1) * nH) : b.hidden.vThreshold, vReset },
      };
      k.backward(data.step, data.delta, n, f, b, gIn, gOut);
    }
    return { lossSum, correct };
  }

  predict(observed: RunResult, out: Int32Array, offset: number): void {
    const peak = observed.peak[SURROGATE_LAYERS.output]!.values;
    for (let j = 0; j < observed.samples; j++) out[offset + j] = argmaxOf(peak.subarray(j * YINYANG_CLASSES, (j + 1) * YINYANG_CLASSES));
  }
}

/** Index of the largest value (the first on ties), as the kernel's prediction. */
function argmaxOf(values: Float64Array): number {
  let best = 0;
  for (let o = 1; o < values.length; o++) if (values[o]! > values[best]!) best = o;
  return best;
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

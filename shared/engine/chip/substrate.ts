/**
 * The circuits of an emulated chip (the `Circuits` of emulated.ts, which runs the presentation
 * loop): the frozen device instance, its calibration and its trial-to-trial noise.
 *
 * - `neuronParams(layer, model)`: the hardware values of the layer's neuron circuits for the
 *   model values asked for (calibration trims included when calibrated). The first call for a
 *   layer calibrates its circuits against those model values (probe runs, calibration.ts).
 * - `applyWeights(name, model, out)`: the weights as the 6-bit synapses with their frozen gains
 *   apply them ([nOut × nIn] row-major).
 * - `trialNoise` / `noiseRng`: the per-run noise stream (threshold noise, spike-time jitter,
 *   membrane read-out noise); `readMembrane` reads a potential through the 8-bit ADC.
 *
 * Where each layer sits on the chip is fixed by the method's layout (layer name, its weight
 * matrix's name, sizes), placed in order on consecutive circuits and rows (device.ts).
 */
import { SpikeSweepError } from '../../contracts/errors.ts';
import type { ChipConfig } from '../../contracts/trial-common.ts';
import type { NeuronParams } from '../discrete/lif.ts';
import type { Rng } from '../random.ts';
import { calibrate, spreadOf, type CalibrationReport, type PlacedLayer } from './calibration.ts';
import { allocNeuronParams, createChip, NEURON_PARAMETERS, placeLayers, zeroTrims, type ChipInstance, type LayerPlacement, type NeuronParameter } from './device.ts';
import { TrialNoise } from './noise.ts';
import { ADC_CODES, ADC_WINDOW_HIGH_SPAN, ADC_WINDOW_LOW_SPAN, adcRead } from './observe.ts';
import { hardwareWeights, quantizeWeights, weightLsb } from './weights.ts';

/** One layer of a method's network as the chip must host it. */
export interface ChipLayerLayout {
  /** The layer's name (e.g. `hidden`). */
  readonly layer: string;
  /** The name of its input weight matrix (e.g. `inputWeights`). */
  readonly weights: string;
  readonly nIn: number;
  readonly nOut: number;
}

export interface ChipSubstrateOptions {
  /** Seed of the per-run trial-noise stream (the trial's training seed). */
  readonly noiseSeed: number;
  /** Purpose string of the noise stream, to keep e.g. training and evaluation runs apart. */
  readonly noisePurpose?: string;
}

interface LayerState {
  readonly layout: ChipLayerLayout;
  readonly placement: LayerPlacement;
  model: NeuronParams | null;
  hardware: NeuronParams | null;
  /** ADC window per neuron (lower end, width), computed on first observation. */
  window?: { low: Float64Array; width: Float64Array };
}

export class ChipSubstrate {
  readonly chip: ChipInstance;
  readonly config: ChipConfig;
  readonly trialNoise: TrialNoise;
  readonly noiseRng: Rng;
  /** Probe presentations the calibration ran. */
  calibrationRuns = 0;
  /** Weights clipped at ±63 steps in the last `applyWeights` of each matrix. */
  readonly clippedWeights = new Map<string, number>();
  private readonly trims = zeroTrims();
  private readonly layers = new Map<string, LayerState>();
  private readonly byWeights = new Map<string, LayerState>();

  constructor(config: ChipConfig, layout: readonly ChipLayerLayout[], options: ChipSubstrateOptions, chip?: ChipInstance) {
    this.config = config;
    this.chip = chip ?? createChip(config);
    const placements = placeLayers(layout);
    layout.forEach((l, k) => {
      const placement = placements[k]!;
      const state: LayerState = { layout: l, placement, model: null, hardware: null };
      this.layers.set(l.layer, state);
      this.byWeights.set(l.weights, state);
    });
    this.trialNoise = new TrialNoise(config, options.noiseSeed, options.noisePurpose ?? 'chip-trial-noise');
    this.noiseRng = this.trialNoise.rng;
  }

  private layer(name: string): LayerState {
    const state = this.layers.get(name);
    if (!state) throw new SpikeSweepError('spikesweep:invalid-config', `chip: no layer '${name}' in the layout (${[...this.layers.keys()].join(', ')})`);
    return state;
  }

  /** Hardware values of a layer's neuron circuits for the model values `model`. */
  neuronParams(layer: string, model: NeuronParams): NeuronParams {
    const state = this.layer(layer);
    if (state.model === null || state.hardware === null || !sameValues(state.model, model)) {
      if (this.config.calibrated) {
        const calibration = calibrate(this.chip, [{ placement: state.placement, model }], this.config);
        for (const p of NEURON_PARAMETERS) {
          const c0 = state.placement.columnOffset;
          this.trims[p].set(calibration.trims[p].subarray(c0, c0 + state.placement.nOut), c0);
        }
        this.calibrationRuns += calibration.probeRuns;
      }
      state.model = copyParams(model);
      state.window = undefined;
      state.hardware = this.chip.hardwareNeuronParams(model, state.placement, this.trims, state.hardware ?? allocNeuronParams(state.placement.nOut), this.referenceSpan());
    }
    return state.hardware;
  }

  /** The weights as the synapses apply them: 6-bit steps × lsb × frozen gain, into `out`. */
  applyWeights(name: string, model: Float64Array, out: Float64Array): void {
    const state = this.byWeights.get(name);
    if (!state) throw new SpikeSweepError('spikesweep:invalid-config', `chip: no weight matrix '${name}' in the layout`);
    const lsb = this.frozenLsb?.get(name) ?? weightLsb(model, this.config.weightScale);
    hardwareWeights(this.chip, state.placement, model, lsb, out);
    if (this.config.weightScale !== 'auto') this.clippedWeights.set(name, quantizeWeights(model, lsb, new Int8Array(model.length)));
  }

  /**
   * Keeps each weight matrix's step size (lsb) at its value for `weights` from now on (with
   * `weightScale: auto` it would follow the largest |w|), so a weight moved by ±lsb moves its
   * synapse by exactly ±1 step (gradient checks). Returns the lsb per matrix.
   */
  freezeWeightLsb(weights: Readonly<Record<string, Float64Array>>): ReadonlyMap<string, number> {
    const frozen = new Map<string, number>();
    for (const name of this.byWeights.keys()) {
      const w = weights[name];
      if (w) frozen.set(name, weightLsb(w, this.config.weightScale));
    }
    this.frozenLsb = frozen;
    return frozen;
  }

  private frozenLsb: Map<string, number> | null = null;

  /** A membrane potential as the lab reads it: read-out noise, then the 8-bit ADC window. */
  readMembrane(v: number, vLeak: number, span: number): number {
    return adcRead(v + this.trialNoise.membraneNoise(span), vLeak, span);
  }

  private calibrated(name: string): LayerState & { model: NeuronParams; hardware: NeuronParams } {
    const state = this.layer(name);
    if (!state.model || !state.hardware) throw new SpikeSweepError('spikesweep:invalid-input', `chip: layer '${name}' is used before its neuronParams`);
    return state as LayerState & { model: NeuronParams; hardware: NeuronParams };
  }

  /**
   * The span s = ϑ − E_L (model values) that scales a neuron's voltage noise and ADC window. A
   * non-spiking layer (ϑ = ∞, e.g. a leaky-integrator readout) uses `readoutWindowSpans` × the
   * span of the first spiking layer, so its potentials (the logits) fit the window.
   */
  private windowSpan(model: NeuronParams, j: number): number {
    const span = model.vThreshold[j]! - model.vLeak[j]!;
    return Number.isFinite(span) ? span : this.config.readoutWindowSpans * this.referenceSpan();
  }

  /** The span of the first neuron with a threshold among the layers in use (1 if none). */
  private referenceSpan(): number {
    for (const s of this.layers.values()) {
      const m = s.model;
      if (!m) continue;
      for (let k = 0; k < m.vThreshold.length; k++) {
        const ref = m.vThreshold[k]! - m.vLeak[k]!;
        if (Number.isFinite(ref)) return ref;
      }
    }
    return 1;
  }

  /** This presentation's thresholds of a layer: hardware values plus trial-to-trial noise. */
  sampleThresholds(layer: string, out: Float64Array): void {
    const { model, hardware } = this.calibrated(layer);
    for (let j = 0; j < out.length; j++) {
      const span = model.vThreshold[j]! - model.vLeak[j]!;
      out[j] = Number.isFinite(span) ? hardware.vThreshold[j]! + this.trialNoise.thresholdDeviation(span) : hardware.vThreshold[j]!;
    }
  }

  /** Recorded potentials of a layer (neuron = index mod n), in place, as the ADC reports them. */
  observeMembrane(layer: string, values: Float64Array, n: number): void {
    const state = this.calibrated(layer);
    const { model } = state;
    if (!state.window || state.window.low.length !== n) {
      const low = new Float64Array(n);
      const width = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        const span = this.windowSpan(model, j);
        low[j] = model.vLeak[j]! + ADC_WINDOW_LOW_SPAN * span;
        width[j] = (ADC_WINDOW_HIGH_SPAN - ADC_WINDOW_LOW_SPAN) * span;
      }
      state.window = { low, width };
    }
    // the same arithmetic as readMembrane (noise, then adcRead), unrolled for the dense traces
    const { low, width } = state.window;
    const noise = this.trialNoise;
    const sd = noise.membraneRelSd;
    const codes = ADC_CODES - 1;
    for (let k = 0, j = 0; k < values.length; k++, j = j + 1 === n ? 0 : j + 1) {
      const w = width[j]!;
      const lo = low[j]!;
      const v = sd > 0 ? values[k]! + noise.membraneNoise(w / (ADC_WINDOW_HIGH_SPAN - ADC_WINDOW_LOW_SPAN)) : values[k]!;
      const code = Math.max(0, Math.min(codes, Math.round(((v - lo) / w) * codes)));
      values[k] = lo + (code / codes) * w;
    }
  }

  /**
   * Spike-time jitter σ_t · τ_s (model τ_s of the spiking neuron) on every emitted spike, in place.
   * A deviate is drawn for every slot, spike or not, so the noise a presentation consumes does not
   * depend on how many spikes there were (frozen noise stays frozen when a spike appears).
   */
  jitterSpikeTimes(layer: string, times: Float64Array, maxSpikesPerNeuron: number): void {
    const { model } = this.calibrated(layer);
    for (let k = 0; k < times.length; k++) {
      const jitter = this.trialNoise.spikeJitterMs(model.tauSynMs[Math.floor(k / maxSpikesPerNeuron)]!);
      if (times[k] !== Infinity) times[k] = times[k]! + jitter;
    }
  }

  /** Spread of each parameter over the placed circuits, raw and with the current trims. */
  calibrationReport(): CalibrationReport {
    const placed: PlacedLayer[] = [...this.layers.values()].filter((s) => s.model).map((s) => ({ placement: s.placement, model: s.model! }));
    const raw = spreadOf(this.chip, placed, zeroTrims());
    const now = spreadOf(this.chip, placed, this.trims);
    const report = {} as Record<NeuronParameter, { rawRelSd: number; calibratedRelSd: number }>;
    for (const p of NEURON_PARAMETERS) report[p] = { rawRelSd: raw[p], calibratedRelSd: now[p] };
    return report;
  }
}

function copyParams(p: NeuronParams): NeuronParams {
  return {
    vThreshold: p.vThreshold.slice(),
    vLeak: p.vLeak.slice(),
    vReset: p.vReset.slice(),
    tauMemMs: p.tauMemMs.slice(),
    tauSynMs: p.tauSynMs.slice(),
  };
}

function sameValues(a: NeuronParams, b: NeuronParams): boolean {
  for (const p of NEURON_PARAMETERS) {
    const x = a[p];
    const y = b[p];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  }
  return true;
}

/**
 * One emulated BrainScaleS-2-like chip: a device instance fixed by its mismatch seed.
 *
 * Fixed-pattern noise is drawn once, from the stream `streamFor(mismatchSeed, 'chip-mismatch')`
 * only, as standard-normal deviates per neuron circuit and per synapse, and then frozen: the same
 * seed gives the same chip on every worker, whatever the network, method or training seed.
 * A network is placed on the chip (layer l's neurons on consecutive neuron circuits, its inputs on
 * consecutive synapse rows); what the model asks for (`modelValue`) and what the circuit does
 * (`hardwareValue`) are kept apart:
 *
 *   ϑ_hw   = ϑ_set   + σ_ϑ · s · z_ϑ          s = ϑ_model − E_L,model (the neuron's span)
 *   E_L,hw = E_L,set + σ_L · s · z_L
 *   V_r,hw = V_r,set + σ_r · s · z_r
 *   τ_m,hw = τ_m,set · max(0.1, 1 + σ_τm · z_τm)     (likewise τ_s)
 *   w_hw   = q · lsb · max(0, 1 + σ_w · z_w[row, column]),  q ∈ {−63…63}
 *
 * with σ = relative σ of the mismatch config × `mismatchScale`, and `set` = model value plus
 * the calibration trim (zero when uncalibrated). With spatial correlation ρ the per-neuron
 * deviates follow an AR(1) process along the neuron row (z_n = ρ z_{n−1} + √(1−ρ²) ε_n), which
 * keeps each marginal standard normal.
 *
 * Operating conditions (conditions.ts) add a per-circuit drift δ(T, h): the deviations a
 * calibration sees and trims (`deviation`) are those at the calibration conditions, and
 * `hardwareNeuronParams` adds what has drifted since, δ(T, h) − δ(T_cal, h_cal) (offsets in spans,
 * factors exp(·) for τ); synapse gains carry their full drift exp(δ_g(T, h)).
 */
import { SpikeSweepError } from '../../contracts/errors.ts';
import type { ChipConfig } from '../../contracts/trial-common.ts';
import type { NeuronParams } from '../discrete/lif.ts';
import { streamFor } from '../random.ts';
import { calibrationConditions, driftAt, driftCoefficients, driftSince, operatingConditions, type DriftCoefficients } from './conditions.ts';

/** Neuron circuits of the chip (BSS-2: 512). */
export const CHIP_NEURONS = 512;
/** Synapse rows feeding every neuron circuit (BSS-2: 256 per hemisphere). */
export const CHIP_SYNAPSE_ROWS = 256;
/** Lower bound of a time-constant gain factor, so a far tail draw cannot make τ ≤ 0. */
const MIN_TAU_GAIN = 0.1;

/** Per-neuron LIF parameters in model units (one definition for the engine: discrete/lif.ts). */
export type { NeuronParams };

/** The five per-neuron parameters, in a fixed order (reports, calibration, tests). */
export const NEURON_PARAMETERS = ['vThreshold', 'vLeak', 'vReset', 'tauMemMs', 'tauSynMs'] as const;
export type NeuronParameter = (typeof NEURON_PARAMETERS)[number];

/**
 * Per-neuron-circuit trims written by the calibration (relative units: voltages as a fraction
 * of the span, time constants as a factor 1 + trim). Zero = uncalibrated.
 */
export type NeuronTrims = Readonly<Record<NeuronParameter, Float64Array>>;

export function zeroTrims(): NeuronTrims {
  return {
    vThreshold: new Float64Array(CHIP_NEURONS),
    vLeak: new Float64Array(CHIP_NEURONS),
    vReset: new Float64Array(CHIP_NEURONS),
    tauMemMs: new Float64Array(CHIP_NEURONS),
    tauSynMs: new Float64Array(CHIP_NEURONS),
  };
}

/** Where one layer sits on the chip: its inputs on rows, its neurons on columns (neuron circuits). */
export interface LayerPlacement {
  readonly nIn: number;
  readonly nOut: number;
  readonly rowOffset: number;
  readonly columnOffset: number;
}

/**
 * Places a feed-forward network with the given layer sizes ([inputs, hidden…, outputs]) on the
 * chip: layer l's neurons on the next free neuron circuits, its inputs on the next free rows.
 * Throws `invalid-config` when the network does not fit.
 */
export function placeNetwork(layerSizes: readonly number[]): LayerPlacement[] {
  return placeLayers(layerSizes.slice(1).map((nOut, l) => ({ nIn: layerSizes[l]!, nOut })));
}

/**
 * Places layers given as (inputs, neurons) each, in order: layer l's neurons on the next free
 * neuron circuits, its inputs (e.g. the previous layer plus a bias) on the next free rows.
 */
export function placeLayers(layers: readonly { nIn: number; nOut: number }[]): LayerPlacement[] {
  const placements: LayerPlacement[] = [];
  let row = 0;
  let column = 0;
  for (const { nIn, nOut } of layers) {
    placements.push({ nIn, nOut, rowOffset: row, columnOffset: column });
    row += nIn;
    column += nOut;
  }
  if (row > CHIP_SYNAPSE_ROWS || column > CHIP_NEURONS) {
    const shape = layers.map((l) => `${l.nIn}→${l.nOut}`).join(', ');
    throw new SpikeSweepError(
      'spikesweep:invalid-config',
      `network (${shape}) needs ${row} synapse rows and ${column} neurons; the chip has ${CHIP_SYNAPSE_ROWS} and ${CHIP_NEURONS}`,
    );
  }
  return placements;
}

/** The configured σ of each deviation, after `mismatchScale`. */
export interface MismatchSd extends Readonly<Record<NeuronParameter, number>> {
  readonly weightGain: number;
}

export function mismatchSd(config: ChipConfig): MismatchSd {
  const m = config.mismatch;
  const k = config.mismatchScale;
  return {
    vThreshold: m.thresholdRelSd * k,
    vLeak: m.leakRelSd * k,
    vReset: m.resetRelSd * k,
    tauMemMs: m.tauMemRelSd * k,
    tauSynMs: m.tauSynRelSd * k,
    weightGain: m.weightGainRelSd * k,
  };
}

/** A frozen device instance. Create with `createChip`. */
export class ChipInstance {
  readonly mismatchSeed: number;
  readonly config: ChipConfig;
  readonly sd: MismatchSd;
  /** Standard-normal deviates per neuron circuit (length CHIP_NEURONS each), frozen. */
  readonly z: NeuronTrims;
  /** Synapse gain factors, row-major [row · CHIP_NEURONS + column], frozen. */
  readonly synapseGain: Float64Array;
  /** Frozen temperature and ageing coefficients per circuit (conditions.ts). */
  readonly drift: DriftCoefficients;
  /** Per parameter and circuit: drift at the calibration conditions (seen and trimmed by a calibration). */
  private readonly driftAtCalibration: Record<NeuronParameter, Float64Array>;
  /** Per parameter and circuit: drift since the calibration conditions, δ(T, h) − δ(T_cal, h_cal). */
  private readonly sinceCalibration: Record<NeuronParameter, Float64Array>;
  /** Per circuit: the synapse gain factor exp(δ_g(T, h)) of the synapses feeding it. */
  private readonly gainDrift: Float64Array;

  constructor(config: ChipConfig) {
    this.mismatchSeed = config.mismatchSeed;
    this.config = config;
    this.sd = mismatchSd(config);
    const rng = streamFor(config.mismatchSeed, 'chip-mismatch');
    const rho = config.mismatch.spatialCorrelation;
    const innovation = Math.sqrt(1 - rho * rho);
    const z = zeroTrims();
    for (const name of NEURON_PARAMETERS) {
      const a = z[name];
      let prev = rng.normal();
      a[0] = prev;
      for (let n = 1; n < CHIP_NEURONS; n++) {
        prev = rho * prev + innovation * rng.normal();
        a[n] = prev;
      }
    }
    this.z = z;
    this.synapseGain = new Float64Array(CHIP_SYNAPSE_ROWS * CHIP_NEURONS);
    const sdW = this.sd.weightGain;
    for (let i = 0; i < this.synapseGain.length; i++) this.synapseGain[i] = Math.max(0, 1 + sdW * rng.normal());

    this.drift = driftCoefficients(config.mismatchSeed, config.drift, CHIP_NEURONS);
    const now = operatingConditions(config);
    const calibratedAt = calibrationConditions(config);
    this.driftAtCalibration = zeroTrims();
    this.sinceCalibration = zeroTrims();
    this.gainDrift = new Float64Array(CHIP_NEURONS);
    for (let c = 0; c < CHIP_NEURONS; c++) {
      for (const p of NEURON_PARAMETERS) {
        this.driftAtCalibration[p][c] = driftAt(this.drift, p, c, calibratedAt);
        this.sinceCalibration[p][c] = driftSince(this.drift, p, c, now, calibratedAt);
      }
      this.gainDrift[c] = Math.exp(driftAt(this.drift, 'weightGain', c, now));
    }
  }

  /**
   * The relative deviation of one parameter on neuron circuit `column` (offset / span, or gain − 1)
   * at the calibration conditions: mismatch plus the drift there, what a calibration measures.
   */
  deviation(parameter: NeuronParameter, column: number): number {
    const d = this.sd[parameter] * this.z[parameter][column]!;
    const drift = this.driftAtCalibration[parameter][column]!;
    return parameter === 'tauMemMs' || parameter === 'tauSynMs' ? Math.max(MIN_TAU_GAIN, 1 + d) * Math.exp(drift) - 1 : d + drift;
  }

  /** δ(T, h) − δ(T_cal, h_cal) of one parameter on circuit `column` (conditions.ts). */
  driftSinceCalibration(parameter: NeuronParameter, column: number): number {
    return this.sinceCalibration[parameter][column]!;
  }

  /**
   * What the neuron circuits of one layer do (`hardwareValue`) when asked for `model`
   * (`modelValue`, arrays of length placement.nOut), with the calibration's trims (zero trims =
   * uncalibrated). Writes into `out` (allocated when omitted). Neurons without a threshold
   * (ϑ = ∞: leaky integrators) scale their voltage offsets by `fallbackSpan`.
   */
  hardwareNeuronParams(model: NeuronParams, placement: LayerPlacement, trims: NeuronTrims, out?: NeuronParams, fallbackSpan = 1): NeuronParams {
    const n = placement.nOut;
    const o = out ?? allocNeuronParams(n);
    for (let j = 0; j < n; j++) {
      const c = placement.columnOffset + j;
      const modelSpan = model.vThreshold[j]! - model.vLeak[j]!;
      // a non-spiking neuron (ϑ = ∞) takes its voltage offsets in units of `fallbackSpan`
      const span = modelSpan === Infinity ? fallbackSpan : modelSpan;
      if (!(span > 0)) throw new SpikeSweepError('spikesweep:invalid-config', `neuron ${j}: threshold must lie above the leak potential`);
      const since = this.sinceCalibration;
      o.vThreshold[j] = model.vThreshold[j]! + (trims.vThreshold[c]! + this.deviation('vThreshold', c) + since.vThreshold[c]!) * span;
      o.vLeak[j] = model.vLeak[j]! + (trims.vLeak[c]! + this.deviation('vLeak', c) + since.vLeak[c]!) * span;
      o.vReset[j] = model.vReset[j]! + (trims.vReset[c]! + this.deviation('vReset', c) + since.vReset[c]!) * span;
      o.tauMemMs[j] = model.tauMemMs[j]! * (1 + trims.tauMemMs[c]!) * (1 + this.deviation('tauMemMs', c)) * Math.exp(since.tauMemMs[c]!);
      o.tauSynMs[j] = model.tauSynMs[j]! * (1 + trims.tauSynMs[c]!) * (1 + this.deviation('tauSynMs', c)) * Math.exp(since.tauSynMs[c]!);
    }
    return o;
  }

  /** The gain of the synapse from layer input `i` to layer neuron `j`. */
  gain(placement: LayerPlacement, i: number, j: number): number {
    const c = placement.columnOffset + j;
    return this.synapseGain[(placement.rowOffset + i) * CHIP_NEURONS + c]! * this.gainDrift[c]!;
  }
}

/** The device instance of a chip config (deterministic in mismatchSeed and the mismatch block). */
export function createChip(config: ChipConfig): ChipInstance {
  return new ChipInstance(config);
}

export function allocNeuronParams(n: number): NeuronParams {
  return {
    vThreshold: new Float64Array(n),
    vLeak: new Float64Array(n),
    vReset: new Float64Array(n),
    tauMemMs: new Float64Array(n),
    tauSynMs: new Float64Array(n),
  };
}

/** Per-neuron arrays filled with one value each (a layer of identical model neurons). */
export function uniformNeuronParams(
  n: number,
  p: { vThreshold: number; vLeak: number; vReset: number; tauMemMs: number; tauSynMs: number },
): NeuronParams {
  const o = allocNeuronParams(n);
  o.vThreshold.fill(p.vThreshold);
  o.vLeak.fill(p.vLeak);
  o.vReset.fill(p.vReset);
  o.tauMemMs.fill(p.tauMemMs);
  o.tauSynMs.fill(p.tauSynMs);
  return o;
}

/**
 * Calibration: probe runs on the chip estimate each placed neuron's effective parameters, and
 * per-neuron trims compensate the deviation from the model targets.
 *
 * Probes (each repeated `probeRepeats` times, read through the 8-bit ADC with the chip's
 * trial-to-trial noise, from a stream per neuron circuit derived from the mismatch seed, so a
 * chip's calibration is as reproducible as its mismatch):
 * - leak E_L: the resting membrane with no input, averaged;
 * - reset V_r: the membrane sample right after a forced spike, averaged;
 * - threshold ϑ: the membrane sample at the spike (threshold plus its trial noise), averaged;
 * - τ_m: the membrane clamped one span above rest, released, sampled every ADC period; the
 *   averaged trace minus the measured rest is fitted by least squares of ln(V − Ê_L) over time;
 * - τ_s: the synaptic input after one event, read on the ADC's synaptic-input channel, fitted alike.
 * Trims: voltage offsets −(estimate − target)/s, time constants target/estimate − 1, both written
 * through a `trimBits`-bit DAC over ±0.5 (so the residual includes the DAC's resolution).
 *
 * BSS-2 acceptance (docs/science/chip.md#calibration): post-calibration σ < 0.3 × raw σ. The report gives both.
 * Probes run in units of the neuron's span (E_L = 0, ϑ = 1), which is where trims live.
 */
import type { ChipConfig } from '../../contracts/trial-common.ts';
import { NEURON_PARAMETERS, zeroTrims, type ChipInstance, type LayerPlacement, type NeuronParameter, type NeuronParams, type NeuronTrims } from './device.ts';
import { TrialNoise } from './noise.ts';
import { adcRead, adcSamplePeriodModelMs } from './observe.ts';

/** Largest trim magnitude the DAC can write, relative. */
export const TRIM_RANGE = 0.5;

export interface ParameterSpread {
  /** Standard deviation of the relative deviation across the placed neurons, uncalibrated. */
  readonly rawRelSd: number;
  /** The same after calibration (the residual spread). */
  readonly calibratedRelSd: number;
}

export type CalibrationReport = Readonly<Record<NeuronParameter, ParameterSpread>>;

export interface Calibration {
  readonly trims: NeuronTrims;
  readonly report: CalibrationReport;
  /** Probe presentations run (for the cost ledger). */
  readonly probeRuns: number;
}

export interface PlacedLayer {
  readonly placement: LayerPlacement;
  readonly model: NeuronParams;
}

/** A trim written through the DAC: rounded to its resolution and clipped to ±TRIM_RANGE. */
export function quantizeTrim(trim: number, bits: number): number {
  const step = TRIM_RANGE / ((1 << (bits - 1)) - 1);
  return Math.max(-TRIM_RANGE, Math.min(TRIM_RANGE, Math.round(trim / step) * step));
}

/** Least-squares time constant of y(t) = A e^{−t/τ} from samples y_k at t_k = k·Δ, using y_k > floor. */
export function fitDecayTauMs(y: Float64Array, periodMs: number, floor: number): number {
  let n = 0;
  let st = 0;
  let sl = 0;
  let stt = 0;
  let stl = 0;
  for (let k = 0; k < y.length; k++) {
    const v = y[k]!;
    if (!(v > floor)) break; // stop at the first sample lost in the noise floor
    const t = k * periodMs;
    const l = Math.log(v);
    n++;
    st += t;
    sl += l;
    stt += t * t;
    stl += t * l;
  }
  if (n < 2) return NaN;
  const slope = (n * stl - st * sl) / (n * stt - st * st);
  return slope < 0 ? -1 / slope : NaN;
}

/** Relative deviation of a parameter on circuit c with trims applied (offset/span, or gain − 1). */
function effectiveDeviation(chip: ChipInstance, trims: NeuronTrims, p: NeuronParameter, c: number): number {
  const d = chip.deviation(p, c);
  const t = trims[p][c]!;
  return p === 'tauMemMs' || p === 'tauSynMs' ? (1 + t) * (1 + d) - 1 : t + d;
}

function sd(values: number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) * (b - mean), 0) / (n - 1));
}

/** Spread of each parameter's relative deviation over the placed neurons, with the given trims. */
export function spreadOf(chip: ChipInstance, layers: readonly PlacedLayer[], trims: NeuronTrims): Record<NeuronParameter, number> {
  const out = {} as Record<NeuronParameter, number>;
  for (const p of NEURON_PARAMETERS) {
    const values: number[] = [];
    for (const { placement } of layers) {
      for (let j = 0; j < placement.nOut; j++) values.push(effectiveDeviation(chip, trims, p, placement.columnOffset + j));
    }
    out[p] = sd(values);
  }
  return out;
}

/** Runs the probes on every placed neuron and returns the trims and the spread before and after. */
export function calibrate(chip: ChipInstance, layers: readonly PlacedLayer[], config: ChipConfig = chip.config): Calibration {
  const repeats = config.calibration.probeRepeats;
  const bits = config.calibration.trimBits;
  const periodMs = adcSamplePeriodModelMs(config.adcSamplePeriodUs);
  const trims = zeroTrims();
  let probeRuns = 0;
  for (const { placement, model } of layers) {
    for (let j = 0; j < placement.nOut; j++) {
      const c = placement.columnOffset + j;
      // each circuit's probes draw from a stream of their own: its calibration does not depend
      // on which other neurons are calibrated, or in which order
      const noise = new TrialNoise(config, chip.mismatchSeed, `chip-calibration-${c}`);
      const read = (v: number): number => adcRead(v + noise.membraneNoise(1), 0, 1);
      const span = model.vThreshold[j]! - model.vLeak[j]!;
      const resetTarget = (model.vReset[j]! - model.vLeak[j]!) / span;
      const leakHw = chip.deviation('vLeak', c);
      const resetHw = resetTarget + chip.deviation('vReset', c);
      const thresholdHw = 1 + chip.deviation('vThreshold', c);

      let leak = 0;
      let reset = 0;
      let threshold = 0;
      for (let r = 0; r < repeats; r++) {
        leak += read(leakHw);
        reset += read(resetHw);
        threshold += read(thresholdHw + noise.thresholdDeviation(1));
      }
      leak /= repeats;
      reset /= repeats;
      threshold /= repeats;
      probeRuns += 3 * repeats;
      trims.vLeak[c] = quantizeTrim(-leak, bits);
      trims.vReset[c] = quantizeTrim(-(reset - resetTarget), bits);
      trims.vThreshold[c] = quantizeTrim(-(threshold - 1), bits);

      // τ_m: released from one span above the (real) rest; τ_s: one synaptic event of unit height.
      for (const p of ['tauMemMs', 'tauSynMs'] as const) {
        const target = (p === 'tauMemMs' ? model.tauMemMs : model.tauSynMs)[j]!;
        const tauHw = target * (1 + chip.deviation(p, c));
        const samples = Math.ceil((3 * target) / periodMs) + 1;
        const trace = new Float64Array(samples);
        for (let r = 0; r < repeats; r++) {
          for (let k = 0; k < samples; k++) {
            const v = (p === 'tauMemMs' ? leakHw : 0) + Math.exp(-(k * periodMs) / tauHw);
            trace[k]! += read(v);
          }
        }
        probeRuns += repeats;
        const baseline = p === 'tauMemMs' ? leak : 0;
        for (let k = 0; k < samples; k++) trace[k] = trace[k]! / repeats - baseline;
        const tau = fitDecayTauMs(trace, periodMs, 0.05);
        trims[p][c] = Number.isFinite(tau) ? quantizeTrim(target / tau - 1, bits) : 0;
      }
    }
  }

  const raw = spreadOf(chip, layers, zeroTrims());
  const calibrated = spreadOf(chip, layers, trims);
  const report = {} as Record<NeuronParameter, ParameterSpread>;
  for (const p of NEURON_PARAMETERS) report[p] = { rawRelSd: raw[p], calibratedRelSd: calibrated[p] };
  return { trims, report, probeRuns };
}

/**
 * Operating conditions of a chip: temperature drift and ageing, on top of the frozen mismatch of
 * device.ts. Pure functions of the chip's seed, the conditions and the drift config.
 *
 * Every neuron circuit c has, per drifting parameter p (threshold, leak, reset, τ_m, τ_s and the
 * gain of the synapses feeding it), a temperature coefficient and an ageing rate, drawn once from
 * `streamFor(mismatchSeed, 'chip-temperature')` and `streamFor(mismatchSeed, 'chip-ageing')`
 * (a standard normal per circuit and parameter, in the fixed order of DRIFT_PARAMETERS), so they
 * are as frozen as the mismatch itself and do not depend on the network placed on the chip:
 *
 *   κ_p,c = k_T · (κ̄_p + σ_κ,p · z^T_p,c)        per kelvin
 *   a_p,c = k_A · (ā_p  + σ_a,p · z^A_p,c)        per (1000 h)^n
 *
 * (k_T, k_A = `chip.drift.temperatureScale`, `ageingScale`). The drift of p on circuit c at
 * temperature T and age h (hours of operation), relative to the reference conditions the mismatch
 * is defined at (T_ref = 25 °C, h = 0), is
 *
 *   δ_p,c(T, h) = κ_p,c · (T − T_ref) + a_p,c · (h / 1000 h)^n,    n = AGEING_EXPONENT
 *
 * entering the hardware value as an offset in spans for the voltages and as a factor for the
 * gains:
 *
 *   ϑ_hw += δ_ϑ · s,   E_L,hw += δ_L · s,   V_r,hw += δ_r · s
 *   τ_hw ·= exp(δ_τ),  g_hw ·= exp(δ_g)
 *
 * Linear in T and a power law in h (the shape of bias-temperature-instability drift), so each
 * circuit's drift is monotone in T and in h, with the sign of its own coefficient, and zero at the
 * reference. A calibration made at (T_cal, h_cal) trims out δ(T_cal, h_cal) with the mismatch;
 * afterwards the circuit is off by δ(T, h) − δ(T_cal, h_cal) — zero at the calibration
 * conditions. Synapse gains are not calibrated, so they carry δ_g(T, h) in full.
 *
 * The coefficient values below are this project's assumptions (order of magnitude of analog
 * CMOS neuron circuits: leak conductances and time constants shift by a few 0.1 %/K, thresholds
 * follow bias currents), not measurements of a specific chip.
 */
import type { ChipConfig } from '../../contracts/trial-common.ts';
import { streamFor } from '../random.ts';

/** Temperature the frozen mismatch describes the chip at, and the default of every condition (°C). */
export const REFERENCE_TEMPERATURE_C = 25;
/** Exponent n of the ageing power law δ ∝ (h / 1000 h)^n. */
export const AGEING_EXPONENT = 0.3;
/** Hours the ageing rates are quoted per: a_p,c is the drift after this many hours. */
export const AGEING_REFERENCE_HOURS = 1000;

export const DRIFT_PARAMETERS = ['vThreshold', 'vLeak', 'vReset', 'tauMemMs', 'tauSynMs', 'weightGain'] as const;
export type DriftParameter = (typeof DRIFT_PARAMETERS)[number];

/** Mean and spread across circuits of one coefficient. */
export interface CoefficientDistribution {
  readonly mean: number;
  readonly sd: number;
}

/**
 * Temperature coefficients per kelvin (voltages: fraction of the span; τ and gains: log-factor).
 * Warmer: thresholds sink (bias currents rise), leak conductances rise (τ_m shortens), synaptic
 * time constants shorten a little, synapse gains drop. Assumptions.
 */
export const TEMPERATURE_COEFFICIENTS: Readonly<Record<DriftParameter, CoefficientDistribution>> = {
  vThreshold: { mean: -0.0015, sd: 0.0015 },
  vLeak: { mean: 0.0005, sd: 0.001 },
  vReset: { mean: 0.0005, sd: 0.001 },
  tauMemMs: { mean: -0.004, sd: 0.004 },
  tauSynMs: { mean: -0.002, sd: 0.003 },
  weightGain: { mean: -0.002, sd: 0.002 },
};

/**
 * Ageing rates: the drift after AGEING_REFERENCE_HOURS hours of operation (same units as the
 * temperature coefficients, without the kelvin). Thresholds creep up, time constants and gains
 * down, with a per-circuit spread of the same size as the mean. Assumptions.
 */
export const AGEING_RATES: Readonly<Record<DriftParameter, CoefficientDistribution>> = {
  vThreshold: { mean: 0.01, sd: 0.01 },
  vLeak: { mean: 0, sd: 0.005 },
  vReset: { mean: 0, sd: 0.005 },
  tauMemMs: { mean: -0.02, sd: 0.015 },
  tauSynMs: { mean: -0.01, sd: 0.01 },
  weightGain: { mean: -0.02, sd: 0.015 },
};

/** Operating conditions: temperature (°C) and hours of operation. */
export interface Conditions {
  readonly temperatureC: number;
  readonly ageHours: number;
}

/** Per-circuit coefficients of one chip, each array of length `circuits`. */
export interface DriftCoefficients {
  /** κ_p,c, per kelvin. */
  readonly temperature: Readonly<Record<DriftParameter, Float64Array>>;
  /** a_p,c, per (1000 h)^n. */
  readonly ageing: Readonly<Record<DriftParameter, Float64Array>>;
}

function draw(seed: number, purpose: string, circuits: number, table: Readonly<Record<DriftParameter, CoefficientDistribution>>, scale: number): Record<DriftParameter, Float64Array> {
  const rng = streamFor(seed, purpose);
  const out = {} as Record<DriftParameter, Float64Array>;
  for (const p of DRIFT_PARAMETERS) {
    const { mean, sd } = table[p];
    const a = new Float64Array(circuits);
    for (let c = 0; c < circuits; c++) a[c] = scale * (mean + sd * rng.normal());
    out[p] = a;
  }
  return out;
}

/** The frozen coefficients of the chip with `mismatchSeed` (deterministic in the seed and the scales). */
export function driftCoefficients(mismatchSeed: number, drift: ChipConfig['drift'], circuits: number): DriftCoefficients {
  return {
    temperature: draw(mismatchSeed, 'chip-temperature', circuits, TEMPERATURE_COEFFICIENTS, drift.temperatureScale),
    ageing: draw(mismatchSeed, 'chip-ageing', circuits, AGEING_RATES, drift.ageingScale),
  };
}

/** The ageing clock g(h) = (h / 1000 h)^n; g(0) = 0, increasing. */
export function ageingClock(ageHours: number): number {
  return ageHours > 0 ? (ageHours / AGEING_REFERENCE_HOURS) ** AGEING_EXPONENT : 0;
}

/** δ_p,c(T, h) relative to the reference conditions (25 °C, 0 h). */
export function driftAt(coefficients: DriftCoefficients, p: DriftParameter, c: number, conditions: Conditions): number {
  return coefficients.temperature[p][c]! * (conditions.temperatureC - REFERENCE_TEMPERATURE_C) + coefficients.ageing[p][c]! * ageingClock(conditions.ageHours);
}

/** δ_p,c(T, h) − δ_p,c(T_cal, h_cal): what a calibration made at `calibratedAt` does not compensate. */
export function driftSince(coefficients: DriftCoefficients, p: DriftParameter, c: number, now: Conditions, calibratedAt: Conditions): number {
  return driftAt(coefficients, p, c, now) - driftAt(coefficients, p, c, calibratedAt);
}

/** The conditions a chip config operates at. */
export function operatingConditions(config: ChipConfig): Conditions {
  return { temperatureC: config.temperatureC, ageHours: config.ageHours };
}

/** The conditions a chip config's calibration was made at. */
export function calibrationConditions(config: ChipConfig): Conditions {
  return { temperatureC: config.calibration.temperatureC, ageHours: config.calibration.ageHours };
}

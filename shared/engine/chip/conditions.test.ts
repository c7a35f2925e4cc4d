import { describe, expect, it } from 'vitest';
import { ChipConfig } from '../../contracts/trial-common.ts';
import { calibrate } from './calibration.ts';
import { ageingClock, DRIFT_PARAMETERS, driftAt, driftCoefficients, REFERENCE_TEMPERATURE_C } from './conditions.ts';
import { createChip, placeNetwork, uniformNeuronParams, zeroTrims, NEURON_PARAMETERS } from './device.ts';

const chipConfig = (over: Record<string, unknown> = {}) => ChipConfig.parse(over);
const model = uniformNeuronParams(20, { vThreshold: 1, vLeak: 0, vReset: 0, tauMemMs: 10, tauSynMs: 5 });
const placement = placeNetwork([5, 20])[0]!;

function hw(config: ChipConfig, trims = zeroTrims()) {
  return createChip(config).hardwareNeuronParams(model, placement, trims);
}

describe('temperature and ageing drift', () => {
  it('freezes the coefficients per mismatch seed', () => {
    const drift = chipConfig().drift;
    const a = driftCoefficients(3, drift, 512);
    const b = driftCoefficients(3, drift, 512);
    const c = driftCoefficients(4, drift, 512);
    for (const p of DRIFT_PARAMETERS) {
      expect(Array.from(a.temperature[p])).toEqual(Array.from(b.temperature[p]));
      expect(Array.from(a.ageing[p])).toEqual(Array.from(b.ageing[p]));
      expect(Array.from(a.temperature[p])).not.toEqual(Array.from(c.temperature[p]));
    }
    // per circuit, not one value per chip
    expect(new Set(a.temperature.tauMemMs).size).toBe(512);
  });

  it('is zero at the reference conditions and with the scales at 0', () => {
    const coefficients = driftCoefficients(0, chipConfig().drift, 512);
    for (const p of DRIFT_PARAMETERS) expect(Math.abs(driftAt(coefficients, p, 7, { temperatureC: REFERENCE_TEMPERATURE_C, ageHours: 0 }))).toBe(0);
    const still = chipConfig({ drift: { temperatureScale: 0, ageingScale: 0 }, temperatureC: 70, ageHours: 5000 });
    expect(hw(still)).toEqual(hw(chipConfig()));
  });

  it('is monotone in temperature and in age, circuit by circuit', () => {
    const coefficients = driftCoefficients(1, chipConfig().drift, 512);
    for (const p of DRIFT_PARAMETERS) {
      for (let c = 0; c < 512; c += 37) {
        const sign = Math.sign(coefficients.temperature[p][c]!);
        const byT = [0, 10, 25, 40, 60].map((t) => driftAt(coefficients, p, c, { temperatureC: t, ageHours: 0 }));
        for (let k = 1; k < byT.length; k++) expect(Math.sign(byT[k]! - byT[k - 1]!)).toBe(sign);
        const ageSign = Math.sign(coefficients.ageing[p][c]!);
        const byAge = [0, 100, 1000, 10_000].map((h) => driftAt(coefficients, p, c, { temperatureC: REFERENCE_TEMPERATURE_C, ageHours: h }));
        for (let k = 1; k < byAge.length; k++) expect(Math.sign(byAge[k]! - byAge[k - 1]!)).toBe(ageSign);
      }
    }
    expect(ageingClock(0)).toBe(0);
    expect(ageingClock(1000)).toBeCloseTo(1, 12);
  });

  it('moves the hardware values the documented way on average (warmer: shorter τ_m, lower threshold)', () => {
    const cold = hw(chipConfig({ calibrated: false }));
    const warm = hw(chipConfig({ calibrated: false, temperatureC: 55 }));
    const mean = (a: Float64Array) => a.reduce((s, x) => s + x, 0) / a.length;
    // κ̄_τm = −0.004/K over 30 K: exp(−0.12) ≈ 0.887 on average
    expect(mean(warm.tauMemMs) / mean(cold.tauMemMs)).toBeGreaterThan(0.85);
    expect(mean(warm.tauMemMs) / mean(cold.tauMemMs)).toBeLessThan(0.92);
    expect(mean(warm.vThreshold)).toBeLessThan(mean(cold.vThreshold));
    const chip = createChip(chipConfig({ temperatureC: 55 }));
    const ref = createChip(chipConfig());
    expect(chip.gain(placement, 0, 0)).toBeCloseTo(ref.gain(placement, 0, 0) * Math.exp(chip.drift.temperature.weightGain[0]! * 30), 12);
  });

  it('is trimmed out at the calibration conditions, and only there', () => {
    const spread = (config: ChipConfig, at: ChipConfig = config) => {
      // calibrate on the chip as it is at `at`'s calibration conditions, run at `config`'s
      const { trims } = calibrate(createChip(at), [{ placement, model }], at);
      const values = createChip(config).hardwareNeuronParams(model, placement, trims);
      let sq = 0;
      for (let j = 0; j < 20; j++) sq += (values.tauMemMs[j]! / 10 - 1) ** 2 + (values.vThreshold[j]! - 1) ** 2;
      return Math.sqrt(sq / 20);
    };
    const hot = { temperatureC: 55, ageHours: 2000 };
    const calibratedHot = chipConfig({ ...hot, calibration: { temperatureC: 55, ageHours: 2000 } });
    const calibratedCold = chipConfig(hot);
    // calibrated at the operating conditions: as good as the reference calibration
    expect(spread(calibratedHot)).toBeLessThan(1.5 * spread(chipConfig()));
    // calibrated at 25 °C / 0 h, running hot and aged: the drift since remains
    expect(spread(calibratedCold)).toBeGreaterThan(3 * spread(calibratedHot));
    // the drift since calibration is zero at the calibration conditions
    const chip = createChip(calibratedHot);
    for (const p of NEURON_PARAMETERS) expect(Math.abs(chip.driftSinceCalibration(p, 3))).toBe(0);
  });
});

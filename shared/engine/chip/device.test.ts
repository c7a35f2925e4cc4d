import { describe, expect, it } from 'vitest';
import { ChipConfig } from '../../contracts/trial-common.ts';
import { CHIP_NEURONS, createChip, NEURON_PARAMETERS, placeLayers, placeNetwork, uniformNeuronParams, zeroTrims } from './device.ts';

const chipConfig = (input: Record<string, unknown> = {}): ChipConfig => ChipConfig.parse(input);

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 erf, |error| < 1.5e-7). */
function normalCdf(x: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2));
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t) * Math.exp(-(x * x) / 2);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** Kolmogorov–Smirnov statistic of `values` against N(mean, sd). */
function ksStatistic(values: ArrayLike<number>, mean: number, sd: number): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = normalCdf((sorted[i]! - mean) / sd);
    d = Math.max(d, Math.abs(f - i / n), Math.abs(f - (i + 1) / n));
  }
  return d;
}
/** Critical value of the KS test at α = 0.001. */
const ksCritical = (n: number) => 1.949 / Math.sqrt(n);

describe('ChipInstance', () => {
  it('draws the same chip from the same mismatch seed, a different one from another', () => {
    const a = createChip(chipConfig({ mismatchSeed: 7 }));
    const b = createChip(chipConfig({ mismatchSeed: 7, noiseScale: 3, calibrated: false }));
    const c = createChip(chipConfig({ mismatchSeed: 8 }));
    for (const p of NEURON_PARAMETERS) {
      expect(a.z[p]).toEqual(b.z[p]);
      expect(a.z[p]).not.toEqual(c.z[p]);
    }
    expect(a.synapseGain).toEqual(b.synapseGain);
    expect(a.synapseGain).not.toEqual(c.synapseGain);
  });

  it.each([0, 1, 2])('per-neuron deviations follow N(0, σ) with the configured σ (seed %i)', (seed) => {
    const config = chipConfig({ mismatchSeed: seed, mismatch: { tauMemRelSd: 0.05, tauSynRelSd: 0.05 } });
    const chip = createChip(config);
    const expected = { vThreshold: 0.031, vLeak: 0.02, vReset: 0.02, tauMemMs: 0.05, tauSynMs: 0.05 };
    for (const p of NEURON_PARAMETERS) {
      const d = Array.from({ length: CHIP_NEURONS }, (_, c) => chip.deviation(p, c));
      expect(ksStatistic(d, 0, expected[p])).toBeLessThan(ksCritical(CHIP_NEURONS));
      // the same test rejects a spread 60 % off, so it has the power to catch a wrong σ
      expect(ksStatistic(d, 0, expected[p] * 1.6)).toBeGreaterThan(ksCritical(CHIP_NEURONS));
      // sample mean and sd inside their 99.9 % intervals (z = 3.29; sd of the sample sd ≈ σ/√(2n))
      const n = d.length;
      const mean = d.reduce((a, b) => a + b, 0) / n;
      const sd = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
      expect(Math.abs(mean)).toBeLessThan((3.29 * expected[p]) / Math.sqrt(n));
      expect(Math.abs(sd / expected[p] - 1)).toBeLessThan(3.29 / Math.sqrt(2 * n));
    }
  });

  it('synapse gains follow N(1, σ_w), σ scaled by mismatchScale', () => {
    const chip = createChip(chipConfig({ mismatchSeed: 3, mismatchScale: 0.5 }));
    expect(ksStatistic(chip.synapseGain, 1, 0.05)).toBeLessThan(ksCritical(chip.synapseGain.length));
    expect(ksStatistic(chip.synapseGain, 1, 0.055)).toBeGreaterThan(ksCritical(chip.synapseGain.length));
  });

  it('spatial correlation gives neighbouring circuits correlated deviations', () => {
    const lag1 = (a: Float64Array) => {
      let num = 0;
      let den = 0;
      for (let i = 0; i < a.length; i++) {
        den += a[i]! * a[i]!;
        if (i > 0) num += a[i]! * a[i - 1]!;
      }
      return num / den;
    };
    const independent = createChip(chipConfig({ mismatchSeed: 1 }));
    const correlated = createChip(chipConfig({ mismatchSeed: 1, mismatch: { spatialCorrelation: 0.8 } }));
    expect(Math.abs(lag1(independent.z.vThreshold))).toBeLessThan(0.15);
    expect(lag1(correlated.z.vThreshold)).toBeGreaterThan(0.65);
    expect(lag1(correlated.z.vThreshold)).toBeLessThan(0.95);
  });

  it('maps model values to hardware values as documented, trims included', () => {
    const chip = createChip(chipConfig({ mismatchSeed: 5 }));
    const [hidden] = placeNetwork([5, 4, 3]);
    const model = uniformNeuronParams(4, { vThreshold: 2.6, vLeak: 0.2, vReset: 0, tauMemMs: 10, tauSynMs: 5 });
    const trims = zeroTrims();
    trims.vThreshold[2] = 0.01;
    trims.tauMemMs[2] = -0.1;
    const hw = chip.hardwareNeuronParams(model, hidden!, trims);
    const span = 2.4;
    expect(hw.vThreshold[2]).toBeCloseTo(2.6 + (0.01 + 0.031 * chip.z.vThreshold[2]!) * span, 12);
    expect(hw.vLeak[1]).toBeCloseTo(0.2 + 0.02 * chip.z.vLeak[1]! * span, 12);
    expect(hw.tauMemMs[2]).toBeCloseTo(10 * 0.9 * (1 + 0.1 * chip.z.tauMemMs[2]!), 12);
    expect(model.vThreshold[2]).toBe(2.6); // the model value is left alone
    const ideal = createChip(chipConfig({ mismatchScale: 0 })).hardwareNeuronParams(model, hidden!, zeroTrims());
    expect(ideal).toEqual(model);
  });

  it('places layers on consecutive rows and circuits and rejects networks that do not fit', () => {
    expect(placeNetwork([5, 120, 3])).toEqual([
      { nIn: 5, nOut: 120, rowOffset: 0, columnOffset: 0 },
      { nIn: 120, nOut: 3, rowOffset: 5, columnOffset: 120 },
    ]);
    expect(() => placeNetwork([5, 300, 3])).toThrow(/synapse rows/);
    expect(placeLayers([{ nIn: 5, nOut: 120 }, { nIn: 121, nOut: 3 }])[1]).toEqual({ nIn: 121, nOut: 3, rowOffset: 5, columnOffset: 120 });
  });
});

/**
 * Statistics against reference values computed with an independent tool: SciPy 1.17.1 and
 * NumPy 2.4.6 in a throwaway venv (python3 -m venv /tmp/scipy-venv; pip install scipy numpy),
 * with the calls named next to each value. The tests run without Python.
 */
import { describe, expect, it } from 'vitest';
import { pairedTInterval95, pairsForDecisive, sampleSd, signFlipPValue, tQuantile, welchInterval95 } from './stats.ts';

const d = [4.2, -1.3, 6.8, 2.9, 9.1, -0.4];
const d2 = [0.5, -2.0, 1.5, 3.0, -1.0, 0.25, 2.5, -0.75];
const decisive = [2.1, 3.4, 1.8, 2.9, 3.7, 2.2];

describe('statistics against SciPy', () => {
  it("Student t quantiles: scipy.stats.t.ppf(0.975, df)", () => {
    const reference: [number, number][] = [
      [1, 12.706204736174694],
      [2, 4.302652729749462],
      [5, 2.5705818356363146],
      [10, 2.228138851986274],
      [7.3, 2.345066736547703],
      [100, 1.9839715185235518],
    ];
    for (const [df, q] of reference) expect(tQuantile(0.975, df)).toBeCloseTo(q, 10);
    expect(() => tQuantile(0.975, 0)).toThrow(/df must be > 0/);
  });

  it('paired t interval: scipy.stats.ttest_rel(d, 0·d).confidence_interval(0.95)', () => {
    expect(sampleSd(d)).toBeCloseTo(4.0332369134480555, 12); // numpy d.std(ddof=1)
    const [lo, hi] = pairedTInterval95(d)!;
    expect(lo).toBeCloseTo(-0.6826225611164651, 10);
    expect(hi).toBeCloseTo(7.782622561116465, 10);
    const [lo2, hi2] = pairedTInterval95(d2)!; // scipy.stats.ttest_1samp(d2, 0).confidence_interval(0.95)
    expect(lo2).toBeCloseTo(-0.9609023496984124, 10);
    expect(hi2).toBeCloseTo(1.9609023496984124, 10);
    const [lo3, hi3] = pairedTInterval95(decisive)!;
    expect(lo3).toBeCloseTo(1.877474263338211, 10);
    expect(hi3).toBeCloseTo(3.489192403328455, 10);
    expect(pairedTInterval95([1.5])).toBeNull();
  });

  it("Welch interval: scipy.stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)", () => {
    const a = [71.2, 73.5, 69.8, 74.1, 72.0];
    const b = [75.3, 77.9, 74.2, 78.8];
    const [lo, hi] = welchInterval95(a, b)!;
    expect(lo).toBeCloseTo(-7.716881482352832, 9);
    expect(hi).toBeCloseTo(-1.143118517647153, 9);
    expect(welchInterval95([1], b)).toBeNull();
  });

  it("exact sign-flip p: scipy.stats.permutation_test((d,), np.mean, permutation_type='samples', n_resamples=np.inf)", () => {
    expect(signFlipPValue(d)).toBeCloseTo(0.125, 12);
    expect(signFlipPValue(d2)).toBeCloseTo(0.46875, 12);
    expect(signFlipPValue(decisive)).toBeCloseTo(0.03125, 12);
    expect(signFlipPValue([])).toBeNull();
  });

  it('sign-flip p above 16 pairs is drawn from a fixed seed: the same data give the same p, near the exact one', () => {
    const many = Array.from({ length: 20 }, (_, i) => ((i * 7) % 11) - 4.5);
    const p = signFlipPValue(many)!;
    expect(signFlipPValue(many)).toBe(p);
    // The exact p over all 2^20 patterns, computed here by brute force, within Monte Carlo error (±4 sd of 2^16 draws).
    let atLeast = 0;
    let atMost = 0;
    const observed = many.reduce((a, b) => a + b, 0);
    for (let pattern = 0; pattern < 2 ** 20; pattern++) {
      let sum = 0;
      for (let i = 0; i < 20; i++) sum += pattern & (1 << i) ? -many[i]! : many[i]!;
      if (sum <= observed + 1e-9) atMost++;
      if (sum >= observed - 1e-9) atLeast++;
    }
    const exact = Math.min(1, (2 * Math.min(atMost, atLeast)) / 2 ** 20);
    expect(Math.abs(p - exact)).toBeLessThan(4 * Math.sqrt((exact * (1 - exact)) / 65_536) + 1e-12);
  });

  it('pairs needed for a decisive interval: smallest n with t.ppf(0.975, n − 1)·sd/√n < |mean| (SciPy loop)', () => {
    expect(pairsForDecisive(d2.reduce((a, b) => a + b, 0) / d2.length, sampleSd(d2)!)).toBe(50);
    expect(pairsForDecisive(1.0, 5.0)).toBe(99);
    expect(pairsForDecisive(0, 5)).toBeNull();
    expect(pairsForDecisive(0.001, 5)).toBeNull(); // > 10,000 pairs
  });
});

import { describe, expect, it } from 'vitest';
import { histogramKey, statsOf, timeToReach, valueOfHistogramKey } from './aggregates.ts';

describe('aggregates', () => {
  it('histogram keys round-trip every value exactly and contain no dots', () => {
    for (const x of [0, 1, 0.5, 0.942, 0.1 + 0.2, 1e-7, 123456.789, -0.25, 2 / 3]) {
      expect(histogramKey(x)).not.toContain('.');
      expect(valueOfHistogramKey(histogramKey(x))).toBe(x);
    }
  });

  it('mean and sample sd from the moments match the two-pass values', () => {
    const xs = [0.91, 0.93, 0.95, 0.97];
    const s = statsOf({ n: 4, s: xs.reduce((a, b) => a + b), q: xs.reduce((a, b) => a + b * b, 0), lo: 0.91, hi: 0.97 });
    expect(s.mean).toBeCloseTo(0.94, 12);
    expect(s.sd).toBeCloseTo(Math.sqrt(((0.03 ** 2 + 0.01 ** 2) * 2) / 3), 12);
    expect(statsOf({ n: 1, s: 0.5, q: 0.25, lo: 0.5, hi: 0.5 }).sd).toBe(0);
    expect(statsOf(undefined)).toEqual({ count: 0, mean: null, sd: null, min: null, max: null });
  });

  it('time to reach a threshold sums the wall time of epochs up to the first one reaching it', () => {
    const e = (epoch: number, validationAccuracy: number) => ({ epoch, validationAccuracy, wallTimeMs: 10 * epoch, trainLoss: 0, trainAccuracy: 0, learningRate: 0 });
    expect(timeToReach([e(2, 0.92), e(1, 0.5), e(3, 0.96)], 0.9)).toEqual({ epochs: 2, wallTimeMs: 30 });
    expect(timeToReach([e(1, 0.5)], 0.9)).toBeNull();
  });
});

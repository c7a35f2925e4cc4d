import { describe, expect, it } from 'vitest';
import { Mt19937 } from '../random.ts';
import { nextCrossing, solveOnBracket } from './crossing.ts';
import { membraneAt, peakTime, pspKernel, pspKernelSlope } from './lif.ts';

const RATIOS = [1, 2, 0.5, 1.7, 4, 1.0001];

/** Dense scan: first grid point with V ≥ ϑ, refined by bisection (independent of the solvers). */
function scanCrossing(v0: number, i0: number, theta: number, tm: number, ts: number, horizon: number): number {
  const steps = 20000;
  const end = Math.min(horizon, 40 * Math.max(tm, ts));
  let prev = 0;
  for (let k = 1; k <= steps; k++) {
    const s = (end * k) / steps;
    if (membraneAt(s, v0, i0, tm, ts) >= theta) {
      let lo = prev;
      let hi = s;
      for (let it = 0; it < 200; it++) {
        const mid = 0.5 * (lo + hi);
        if (membraneAt(mid, v0, i0, tm, ts) >= theta) hi = mid;
        else lo = mid;
      }
      return hi;
    }
    prev = s;
  }
  return Infinity;
}

describe('LIF kernel', () => {
  it('κ solves τ_m κ′ = −κ + e^{−s/τ_s} and matches the two-exponential form', () => {
    for (const r of [2, 0.5, 1.7]) {
      const ts = 3;
      const tm = r * ts;
      for (const s of [0.1, 1, 5, 20]) {
        const twoExp = (ts / (tm - ts)) * (Math.exp(-s / tm) - Math.exp(-s / ts));
        expect(pspKernel(s, tm, ts)).toBeCloseTo(twoExp, 14);
        const h = 1e-6;
        const numeric = (pspKernel(s + h, tm, ts) - pspKernel(s - h, tm, ts)) / (2 * h);
        expect(pspKernelSlope(s, tm, ts)).toBeCloseTo(numeric, 8);
      }
    }
    expect(pspKernel(2, 5, 5)).toBeCloseTo((2 / 5) * Math.exp(-2 / 5), 15);
    // Continuous in the ratio: r = 1 + 1e-9 is within 1e-9 of r = 1.
    expect(Math.abs(pspKernel(2, 5 * (1 + 1e-9), 5) - pspKernel(2, 5, 5))).toBeLessThan(1e-9);
  });

  it('peakTime is where V′ = 0', () => {
    for (const r of RATIOS) {
      const ts = 2;
      const tm = r * ts;
      const sp = peakTime(0.3, 2, tm, ts);
      const v = (s: number) => membraneAt(s, 0.3, 2, tm, ts);
      expect(v(sp)).toBeGreaterThanOrEqual(v(sp * 0.999));
      expect(v(sp)).toBeGreaterThanOrEqual(v(sp * 1.001));
    }
  });
});

describe('nextCrossing', () => {
  it('agrees with a dense scan for random states, every solver', () => {
    const rng = new Mt19937(7);
    let spikes = 0;
    for (let trial = 0; trial < 300; trial++) {
      const r = RATIOS[trial % RATIOS.length]!;
      const ts = 1 + 4 * rng.randomSample();
      const tm = r * ts;
      const theta = 0.5 + rng.randomSample();
      const v0 = (rng.randomSample() * 2 - 1) * theta * 0.99;
      const i0 = rng.randomSample() * 6 - 1;
      const horizon = rng.randomSample() < 0.3 ? Infinity : rng.randomSample() * 3 * ts;
      const s = nextCrossing(v0, i0, theta, tm, ts, horizon);
      const ref = scanCrossing(v0, i0, theta, tm, ts, horizon);
      if (ref === Infinity) {
        expect(s).toBe(Infinity);
      } else {
        spikes++;
        expect(Math.abs(s - ref)).toBeLessThan(1e-9 * Math.max(1, ref));
        expect(membraneAt(s, v0, i0, tm, ts)).toBeCloseTo(theta, 12);
      }
    }
    expect(spikes).toBeGreaterThan(50);
  });

  it('closed forms equal the root finder (r = 1: Lambert W, r = 2: quadratic)', () => {
    for (const [tm, ts] of [
      [5, 5],
      [10, 5],
    ] as const) {
      const v0 = 0.2;
      const i0 = 3;
      const theta = 1;
      const hi = peakTime(v0, i0, tm, ts);
      const closed = solveOnBracket(v0, i0, theta, tm, ts, hi);
      const numeric = solveOnBracket(v0, i0, theta, tm, ts, hi, 'root-finder');
      expect(Math.abs(closed - numeric)).toBeLessThan(1e-13);
    }
  });

  it('no spike: sub-threshold current, decaying membrane, negative current', () => {
    expect(nextCrossing(0.5, 0.9, 1, 5, 5, Infinity)).toBe(Infinity); // I₀ < ϑ
    expect(nextCrossing(0.9, 1.5, 1, 20, 5, 0.001)).toBe(Infinity); // horizon too short
    expect(nextCrossing(0.5, -3, 1, 20, 5, Infinity)).toBe(Infinity);
    // I₀ ≥ ϑ but the peak stays below ϑ.
    expect(nextCrossing(0, 1.2, 1, 5, 5, Infinity)).toBe(Infinity);
  });

  it('grazing: a peak exactly at ϑ spikes at the peak, a hair above ϑ does not spike', () => {
    for (const r of [1, 2, 1.7]) {
      const ts = 2;
      const tm = r * ts;
      const v0 = 0.1;
      const i0 = 3;
      const sPeak = peakTime(v0, i0, tm, ts);
      const vPeak = membraneAt(sPeak, v0, i0, tm, ts);
      const s = nextCrossing(v0, i0, vPeak, tm, ts, Infinity);
      // The crossing of a tangent is ill-conditioned: √ε relative accuracy in time.
      expect(Math.abs(s - sPeak)).toBeLessThan(1e-6 * sPeak);
      expect(nextCrossing(v0, i0, vPeak * (1 + 1e-9), tm, ts, Infinity)).toBe(Infinity);
    }
  });
});

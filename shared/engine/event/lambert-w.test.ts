import { describe, expect, it } from 'vitest';
import { lambertW0 } from './lambert-w.ts';

// Reference values from mpmath.lambertw (30 digits), rounded to doubles.
const REFERENCE: [number, number][] = [
  [1, 0.5671432904097838],
  [-0.2, -0.25917110181907377],
  [10, 1.7455280027406994],
  [-0.36787, -0.9928527298215373],
  [1e-10, 9.999999999e-11],
  [1000, 5.249602852401596],
  [-0.3678794411714423, -0.999999989164621],
];

// Values on [−1/e, 0), where W₀ comes from the piecewise polynomial (mpmath.lambertw at the
// double nearest each z, rounded to doubles).
const NEGATIVE_REFERENCE: [number, number][] = [
  [-0.36787944117144, -0.9999998877164061],
  [-0.3678, -0.9793607149578305],
  [-0.36, -0.8060843159708176],
  [-0.35, -0.7166388164560736],
  [-0.3, -0.4894022271802149],
  [-0.25, -0.3574029561813889],
  [-0.2, -0.25917110181907377],
  [-0.15, -0.17949126834798473],
  [-0.1, -0.11183255915896297],
  [-0.05, -0.05270598355154635],
  [-0.01, -0.010101527198538754],
  [-0.001, -0.001001001502671886],
  [-0.0002, -0.00020004001200426834],
];

describe('lambertW0', () => {
  it('on [−1/e, 0) matches mpmath to a few ulp (times √(1/(1+W)) near −1/e)', () => {
    for (const [z, w] of NEGATIVE_REFERENCE) {
      const tolerance = 4 * Number.EPSILON * Math.max(1, Math.abs(w)) * (1 + 1 / (1 + w)) ** 0.5;
      expect(Math.abs(lambertW0(z) - w)).toBeLessThanOrEqual(tolerance);
    }
  });

  it('matches reference values (to 4 ulp times the condition number 1/(1+W))', () => {
    for (const [z, w] of REFERENCE) {
      const tolerance = 4 * Number.EPSILON * Math.max(1, Math.abs(w)) * (1 + 1 / (1 + w));
      expect(Math.abs(lambertW0(z) - w)).toBeLessThanOrEqual(tolerance);
    }
  });

  it('solves w·e^w = z across the domain to near machine precision', () => {
    for (let k = 0; k <= 400; k++) {
      const z = -Math.exp(-1) + 1e-12 + (k / 400) ** 3 * 50;
      const w = lambertW0(z);
      expect(w).toBeGreaterThanOrEqual(-1);
      expect(Math.abs(w * Math.exp(w) - z)).toBeLessThanOrEqual(4e-15 * Math.max(1, Math.abs(z)));
    }
  });

  it('is −1 at the branch point, 0 at 0, NaN below −1/e', () => {
    expect(lambertW0(-Math.exp(-1))).toBe(-1);
    expect(lambertW0(0)).toBe(0);
    expect(lambertW0(Math.E)).toBeCloseTo(1, 15);
    expect(lambertW0(-0.5)).toBeNaN();
  });
});

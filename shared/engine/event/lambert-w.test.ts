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

describe('lambertW0', () => {
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

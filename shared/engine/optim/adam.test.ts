import { describe, expect, it } from 'vitest';
import { Adam } from './adam.ts';

describe('Adam', () => {
  it('first two steps match the update written out by hand', () => {
    const w = Float64Array.of(1, -2);
    const adam = new Adam({ w }, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    adam.update({ w: Float64Array.of(0.5, -4) }, 0.1);
    // Step 1: m̂ = g, v̂ = g², so the step is lr·g/(|g| + ε) ≈ lr·sign(g).
    expect(w[0]).toBeCloseTo(1 - 0.1 * (0.5 / (0.5 + 1e-8)), 14);
    expect(w[1]).toBeCloseTo(-2 + 0.1 * (4 / (4 + 1e-8)), 14);
    adam.update({ w: Float64Array.of(-0.5, 0) }, 0.1);
    const m = 0.9 * 0.1 * 0.5 + 0.1 * -0.5;
    const v = 0.999 * 0.001 * 0.25 + 0.001 * 0.25;
    const step = (0.1 * (m / (1 - 0.81))) / (Math.sqrt(v / (1 - 0.999 ** 2)) + 1e-8);
    expect(w[0]).toBeCloseTo(1 - 0.1 * (0.5 / (0.5 + 1e-8)) - step, 14);
  });

  it('getState/setState continue identically', () => {
    const a = Float64Array.of(0.3);
    const adam = new Adam({ a }, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    adam.update({ a: Float64Array.of(1) }, 0.01);
    const state = JSON.parse(JSON.stringify(adam.getState()));
    const b = Float64Array.from(a);
    const copy = new Adam({ a: b }, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    copy.setState(state);
    adam.update({ a: Float64Array.of(-2) }, 0.01);
    copy.update({ a: Float64Array.of(-2) }, 0.01);
    expect(b[0]).toBe(a[0]);
  });
});

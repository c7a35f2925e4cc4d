import { describe, expect, it } from 'vitest';
import { closedFormMembrane, discretize, lifStep, pspKernel, uniformNeuronParams, type LifState } from './lif.ts';
import { SURROGATE_SHAPES } from './surrogate-fn.ts';

/**
 * Golden trajectories: the discrete, exactly integrated LIF membrane equals the closed-form
 * solution V(t) = E_L + Σ w_i p(t − t_i) at every grid time, to 1e-12 (absolute, voltages of
 * order 1), for inputs on and off the grid, τ_m ≠ τ_s and τ_m = τ_s.
 */
const TOL = 1e-12;

function simulate(times: number[], weights: number[], p: { tauMemMs: number; tauSynMs: number; vLeak: number; vThreshold: number }, dtMs: number, steps: number) {
  const c = discretize(uniformNeuronParams(1, { ...p, vReset: 0 }), dtMs);
  const jumps = (k: number) => {
    const jv = new Float64Array(1);
    const ji = new Float64Array(1);
    times.forEach((t, n) => {
      const kk = Math.ceil(t / dtMs - 1e-12);
      if (kk !== k) return;
      const delta = kk * dtMs - t;
      jv[0] = jv[0]! + weights[n]! * pspKernel(delta, p.tauMemMs, p.tauSynMs);
      ji[0] = ji[0]! + weights[n]! * Math.exp(-delta / p.tauSynMs);
    });
    return { jv, ji };
  };
  const j0 = jumps(0);
  let state: LifState = { v: Float64Array.of(p.vLeak + j0.jv[0]!), i: j0.ji };
  const v = [state.v[0]!];
  const spikes: number[] = [];
  for (let k = 1; k <= steps; k++) {
    const { jv, ji } = jumps(k);
    const out = lifStep(state, jv, ji, c, Number.isFinite(p.vThreshold));
    v.push(out.u[0]!);
    if (out.spikes[0]) spikes.push(k);
    state = out.state;
  }
  return { v, spikes };
}

describe('discrete LIF with exact exponential integration', () => {
  const times = [0, 1.3, 2.0, 4.75, 9.999];
  const weights = [0.8, -0.3, 1.2, 0.5, 2.0];
  for (const [tauMemMs, tauSynMs] of [
    [10, 5],
    [6, 6],
    [5, 10],
  ] as const) {
    it(`matches the closed form at every grid time (τ_m = ${tauMemMs} ms, τ_s = ${tauSynMs} ms, E_L = 0.1)`, () => {
      const p = { tauMemMs, tauSynMs, vLeak: 0.1, vThreshold: Infinity };
      for (const dt of [1, 0.25]) {
        const { v } = simulate(times, weights, p, dt, Math.round(40 / dt));
        v.forEach((vk, k) => expect(Math.abs(vk - closedFormMembrane(k * dt, times, weights, p))).toBeLessThanOrEqual(TOL));
      }
    });
  }

  it('the PSP kernel is continuous across τ_m = τ_s and peaks at τ/e for τ_m = τ_s', () => {
    expect(pspKernel(3, 6, 6 * (1 + 1e-7))).toBeCloseTo(pspKernel(3, 6, 6), 6);
    expect(pspKernel(6, 6, 6)).toBeCloseTo(Math.exp(-1), 15);
    expect(Math.abs(pspKernel(0, 10, 5))).toBe(0);
  });

  it('spikes at the first grid time with V ≥ ϑ and resets; before it follows the closed form', () => {
    const p = { tauMemMs: 10, tauSynMs: 5, vLeak: 0, vThreshold: 1 };
    const { v, spikes } = simulate([0.5], [6], p, 0.5, 40);
    const closed = (k: number) => closedFormMembrane(k * 0.5, [0.5], [6], p);
    let first = 0;
    while (closed(first) < 1 && first < 80) first++;
    expect(spikes[0]).toBe(first);
    for (let k = 0; k <= first; k++) expect(Math.abs(v[k]! - closed(k))).toBeLessThanOrEqual(TOL);
    // After the reset V restarts from V_r = 0 with the remaining current: V_{k+1} = γ·I_k.
    const c = discretize(uniformNeuronParams(1, { ...p, vReset: 0 }), 0.5);
    const iAtSpike = 6 * Math.exp(-(first * 0.5 - 0.5) / 5);
    expect(v[first + 1]).toBeCloseTo(c.gamma[0]! * iAtSpike, 12);
  });

  it('lifStep is pure: it does not modify its input state', () => {
    const c = discretize(uniformNeuronParams(2, { tauMemMs: 6, tauSynMs: 6, vLeak: 0, vThreshold: 1, vReset: 0 }), 1);
    const state = { v: Float64Array.of(0.5, 0.99), i: Float64Array.of(1, 2) };
    const out = lifStep(state, Float64Array.of(0, 0), Float64Array.of(0, 0), c);
    expect(Array.from(state.v)).toEqual([0.5, 0.99]);
    expect(Array.from(out.spikes)).toEqual([0, 1]);
    expect(out.state.v[1]).toBe(0);
  });
});

describe('surrogate shapes', () => {
  for (const [name, shape] of Object.entries(SURROGATE_SHAPES)) {
    it(`${name}: smoothSpike' equals the surrogate derivative (central differences)`, () => {
      for (const beta of [2, 5, 50]) {
        for (const x of [-0.7, -0.13, -0.01, 0.004, 0.05, 0.31, 1.4]) {
          const h = 1e-6;
          const fd = (shape.smoothSpike(x + h, beta) - shape.smoothSpike(x - h, beta)) / (2 * h);
          expect(Math.abs(fd - shape.derivative(x, beta))).toBeLessThanOrEqual(1e-6 * Math.max(1, beta));
        }
      }
    });
  }
  it('superspike is 1/(β|x|+1)²', () => {
    expect(SURROGATE_SHAPES.superspike.derivative(0.2, 5)).toBeCloseTo(0.25, 15);
    expect(SURROGATE_SHAPES.superspike.derivative(0, 5)).toBe(1);
  });
});

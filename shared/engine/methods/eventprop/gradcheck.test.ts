import { describe, expect, it } from 'vitest';
import { parseTrialConfig } from '../../../contracts/index.ts';
import type { EventPropTrialConfig } from '../../../contracts/methods/eventprop.ts';
import type { SpikeTimeTrialConfig } from '../../../contracts/methods/spike-time.ts';
import { gradcheck } from './gradcheck.ts';

// Acceptance (issue 4): cosine ≥ 0.9999 and relative error ≤ 1e-4 against finite differences,
// analytic and EventProp within 1e-6 relative where τ_m = τ_s or 2τ_s; several seeds and sizes.

const spikeTime = (overrides: object) => parseTrialConfig({ method: 'spike-time', ...overrides }) as SpikeTimeTrialConfig;
const eventProp = (overrides: object) => parseTrialConfig({ method: 'eventprop', ...overrides }) as EventPropTrialConfig;

function expectFaithful(report: ReturnType<typeof gradcheck>, minChecked: number): void {
  expect(report.checkedParameters).toBeGreaterThanOrEqual(minChecked);
  expect(report.referenceNorm).toBeGreaterThan(0);
  expect(report.cosine).toBeGreaterThanOrEqual(0.9999);
  expect(report.relativeError).toBeLessThanOrEqual(1e-4);
}

describe('gradcheck: spike-time (analytic TTFS) vs finite differences', () => {
  const cases: [string, object, number][] = [
    ['default (τ_m = τ_s, 120 hidden)', {}, 0],
    ['τ_m = τ_s, 7 hidden', { network: { hiddenSize: 7 } }, 1],
    ['τ_m = 2τ_s (quadratic), 30 hidden', { network: { hiddenSize: 30 }, neuron: { tauMemMs: 20, tauSynMs: 10 } }, 2],
    ['τ_m = 4τ_s (root finder), 30 hidden, no output bias', { network: { hiddenSize: 30, outputBiasTimeMs: null }, neuron: { tauMemMs: 20, tauSynMs: 5 } }, 3],
    ['τ_m = 0.6τ_s (root finder), 15 hidden', { network: { hiddenSize: 15 }, neuron: { tauMemMs: 6, tauSynMs: 10 }, init: { hiddenWeightMean: 2.5 } }, 4],
  ];
  for (const [name, overrides, seed] of cases) {
    it(name, () => {
      const report = gradcheck(spikeTime(overrides), seed, { batchSize: 6, relativeStep: 1e-6, maxParameters: 150 });
      expectFaithful(report, 50);
    });
  }

  it('analytic and EventProp agree to ≤ 1e-6 relative for τ_m = τ_s and τ_m = 2τ_s', () => {
    for (const [seed, neuron, hiddenSize] of [
      [0, { tauMemMs: 10, tauSynMs: 10 }, 120],
      [1, { tauMemMs: 10, tauSynMs: 10 }, 12],
      [2, { tauMemMs: 20, tauSynMs: 10 }, 40],
    ] as const) {
      const report = gradcheck(spikeTime({ neuron, network: { hiddenSize } }), seed, { batchSize: 10, relativeStep: 1e-6, maxParameters: 1 });
      const cmp = report.analyticVsEventprop;
      expect(cmp).not.toBeNull();
      expect(cmp!.referenceNorm).toBeGreaterThan(0);
      expect(cmp!.relativeError).toBeLessThanOrEqual(1e-6);
    }
    expect(gradcheck(spikeTime({ neuron: { tauMemMs: 15, tauSynMs: 10 } }), 0, { batchSize: 2, relativeStep: 1e-6, maxParameters: 1 }).analyticVsEventprop).toBeNull();
  });
});

describe('gradcheck: eventprop (adjoint) vs finite differences', () => {
  const cases: [string, object, number][] = [
    ['default (τ_m 20, τ_s 5, multi-spike), 24 hidden', { network: { hiddenSize: 24 } }, 0],
    ['multi-spike, strong input, 10 hidden', { network: { hiddenSize: 10 }, init: { hiddenWeightMean: 6 } }, 1],
    ['τ_m = τ_s (Lambert W), 16 hidden', { network: { hiddenSize: 16 }, neuron: { tauMemMs: 8, tauSynMs: 8 }, init: { hiddenWeightMean: 2, outputWeightMean: 0.5 } }, 2],
    ['τ_m = 2τ_s (quadratic), reset −0.3, 16 hidden', { network: { hiddenSize: 16 }, neuron: { tauMemMs: 10, tauSynMs: 5, vReset: -0.3 } }, 3],
  ];
  for (const [name, overrides, seed] of cases) {
    it(name, () => {
      const report = gradcheck(eventProp(overrides), seed, { batchSize: 4, relativeStep: 1e-6, maxParameters: 80 });
      expectFaithful(report, 40);
    });
  }

  it('EventProp equals the analytic gradient on a first-spike network (τ_m = τ_s, 2τ_s)', () => {
    for (const neuron of [
      { tauMemMs: 8, tauSynMs: 8 },
      { tauMemMs: 10, tauSynMs: 5 },
    ]) {
      const report = gradcheck(eventProp({ neuron, network: { hiddenSize: 30 } }), 5, { batchSize: 8, relativeStep: 1e-6, maxParameters: 1 });
      expect(report.analyticVsEventprop!.relativeError).toBeLessThanOrEqual(1e-6);
    }
  });
});

describe('gradcheck: parameters where a spike appears or vanishes', () => {
  it('are reported and left out (a large step forces some)', () => {
    const report = gradcheck(spikeTime({ network: { hiddenSize: 20 } }), 0, { batchSize: 8, relativeStep: 0.05, maxParameters: 0 });
    expect(report.skippedParameters).toBeGreaterThan(0);
    expect(report.skipped.every((s) => s.reason === 'causal-structure-changes')).toBe(true);
    expect(report.checkedParameters + report.skippedParameters).toBe(20 * 5 + 3 * 21);
  });
});

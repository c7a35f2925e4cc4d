import { describe, expect, it } from 'vitest';
import { Mt19937 } from '../random.ts';
import { membraneAt, uniformLifParams } from './lif.ts';
import { createLayerSpikes, createSpikeEvents, simulateLayer, spikesToEvents, timesToEvents } from './simulate.ts';

/**
 * Independent reference: V(t) as the sum of PSPs minus reset kernels, V(t) = Σ w κ(t − t_i)
 * − Σ_k (ϑ − V_reset)e^{−(t−t_k)/τ_m}, scanned on a dense grid.
 */
function membraneFromHistory(t: number, inputs: [number, number][], spikes: number[], theta: number, tm: number, ts: number): number {
  let v = 0;
  for (const [ti, w] of inputs) if (ti < t) v += membraneAt(t - ti, 0, w, tm, ts);
  for (const tk of spikes) if (tk < t) v -= theta * Math.exp(-(t - tk) / tm);
  return v;
}

describe('simulateLayer', () => {
  it('multiple spikes with reset: each spike sits where V reaches ϑ, V < ϑ in between', () => {
    for (const [tm, ts] of [
      [20, 5],
      [5, 5],
      [10, 5],
    ] as const) {
      const inputs: [number, number][] = [
        [1, 15],
        [4, 12],
        [9, 10],
      ];
      const events = timesToEvents([1, 4, 9], createSpikeEvents(3));
      const weights = new Float64Array(inputs.map(([, w]) => w));
      const out = createLayerSpikes(1, 60);
      simulateLayer(events, weights, 3, uniformLifParams(1, { vThreshold: 1, tauMemMs: tm, tauSynMs: ts }), 100, out);
      const count = out.counts[0]!;
      expect(count).toBeGreaterThanOrEqual(3);
      expect(count).toBeLessThan(60);
      const spikes = Array.from(out.times.subarray(0, count));
      for (let k = 0; k < count; k++) {
        const tk = spikes[k]!;
        const before = spikes.slice(0, k);
        expect(membraneFromHistory(tk, inputs, before, 1, tm, ts)).toBeCloseTo(1, 9);
        const start = k === 0 ? 0 : spikes[k - 1]!;
        for (let g = 1; g < 200; g++) {
          const t = start + ((tk - start) * g) / 200;
          expect(membraneFromHistory(t, inputs, before, 1, tm, ts)).toBeLessThan(1);
        }
      }
      // After the last spike V stays below ϑ until the end.
      for (let g = 1; g < 400; g++) {
        const t = spikes[count - 1]! + g * 0.25;
        expect(membraneFromHistory(t, inputs, spikes, 1, tm, ts)).toBeLessThan(1);
      }
    }
  });

  it('simultaneous inputs: the order of equal-time events does not matter', () => {
    const weights = new Float64Array([3.5, 3, 2.5, -1]);
    const params = uniformLifParams(1, { vThreshold: 1, tauMemMs: 20, tauSynMs: 5 });
    const a = createSpikeEvents(4);
    a.times.set([2, 2, 2, 3]);
    a.sources.set([0, 1, 2, 3]);
    a.count = 4;
    const b = createSpikeEvents(4);
    b.times.set([2, 2, 2, 3]);
    b.sources.set([2, 0, 1, 3]);
    b.count = 4;
    const outA = createLayerSpikes(1, 4);
    const outB = createLayerSpikes(1, 4);
    simulateLayer(a, weights, 4, params, 100, outA);
    simulateLayer(b, weights, 4, params, 100, outB);
    expect(outA.counts[0]).toBe(1);
    expect(Math.abs(outA.times[0]! - outB.times[0]!)).toBeLessThan(1e-12);
  });

  it('no input, no spike; tEnd cuts spikes off', () => {
    const params = uniformLifParams(2, { vThreshold: 1, tauMemMs: 20, tauSynMs: 5 });
    const out = createLayerSpikes(2, 3);
    simulateLayer(createSpikeEvents(0), new Float64Array(0), 0, params, 100, out);
    expect(Array.from(out.counts)).toEqual([0, 0]);
    const events = timesToEvents([1], createSpikeEvents(1));
    simulateLayer(events, new Float64Array([10, 10]), 1, params, 100, out);
    const first = out.times[0]!;
    expect(first).toBeLessThan(100);
    simulateLayer(events, new Float64Array([10, 10]), 1, params, first - 1e-9, out);
    expect(out.counts[0]).toBe(0);
    simulateLayer(events, new Float64Array([10, 10]), 1, params, first + 1e-9, out);
    expect(out.counts[0]).toBe(1);
  });

  it('spikesToEvents orders a layer by time, ties by neuron', () => {
    const rng = new Mt19937(3);
    const params = uniformLifParams(30, { vThreshold: 1, tauMemMs: 20, tauSynMs: 5 });
    const w = new Float64Array(30 * 5);
    for (let i = 0; i < w.length; i++) w[i] = rng.randomSample() * 4;
    const events = timesToEvents([1, 3, 2, 5, 4], createSpikeEvents(5));
    const spikes = createLayerSpikes(30, 4);
    simulateLayer(events, w, 5, params, 60, spikes);
    const next = spikesToEvents(spikes, createSpikeEvents(120));
    expect(next.count).toBe(Array.from(spikes.counts).reduce((s, c) => s + c, 0));
    for (let c = 1; c < next.count; c++) expect(next.times[c]!).toBeGreaterThanOrEqual(next.times[c - 1]!);
    for (let c = 0; c < next.count; c++) expect(spikes.times[next.slots[c]!]).toBe(next.times[c]);
  });
});

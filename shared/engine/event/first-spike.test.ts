import { describe, expect, it } from 'vitest';
import { Mt19937 } from '../random.ts';
import { lambertW0 } from './lambert-w.ts';
import { createFirstSpikeScratch, firstSpikeLayer, loadSortedEvents, sortInputs } from './first-spike.ts';
import { uniformLifParams } from './lif.ts';
import { createLayerSpikes, createSpikeEvents, simulateLayer, spikesToEvents, timesToEvents } from './simulate.ts';

function randomLayer(rng: Mt19937, nIn: number, nOut: number) {
  const times = new Float64Array(nIn);
  for (let i = 0; i < nIn; i++) times[i] = rng.randomSample() < 0.1 ? Infinity : rng.randomSample() * 20;
  const weights = new Float64Array(nIn * nOut);
  for (let i = 0; i < weights.length; i++) weights[i] = (rng.randomSample() - 0.3) * (8 / Math.sqrt(nIn));
  return { times, weights };
}

describe('firstSpikeLayer', () => {
  it('equals the event simulation (first spike) for every solver', () => {
    const rng = new Mt19937(11);
    for (const [tm, ts] of [
      [5, 5],
      [10, 5],
      [20, 5],
      [3, 5],
    ] as const) {
      let spiking = 0;
      for (let trial = 0; trial < 20; trial++) {
        const nIn = 3 + trial * 4;
        const nOut = 10;
        const { times, weights } = randomLayer(rng, nIn, nOut);
        const params = uniformLifParams(nOut, { vThreshold: 1, tauMemMs: tm, tauSynMs: ts });
        const scratch = createFirstSpikeScratch(nIn, nOut);
        sortInputs(times, 0, nIn, scratch);
        const out = new Float64Array(nOut);
        firstSpikeLayer(times, 0, nIn, weights, params, out, 0, nOut, scratch);
        const spikes = createLayerSpikes(nOut, 1);
        simulateLayer(timesToEvents(times, createSpikeEvents(nIn)), weights, nIn, params, 1e6, spikes);
        for (let n = 0; n < nOut; n++) {
          const ref = spikes.times[n]!;
          if (ref === Infinity) expect(out[n]).toBe(Infinity);
          else {
            spiking++;
            expect(Math.abs(out[n]! - ref)).toBeLessThan(1e-9);
          }
        }
      }
      expect(spiking).toBeGreaterThan(40);
    }
  });

  it('τ_m = τ_s: t* = τ_s[b/a − W₀(−(ϑ/a)e^{b/a})] over the causal set (Göltz et al. 2021)', () => {
    const tau = 1;
    const theta = 1;
    const times = new Float64Array([0.3, 0.1, 0.5, 2.5]);
    const weights = new Float64Array([1.2, 0.8, 0.9, 5]);
    const scratch = createFirstSpikeScratch(4, 1);
    sortInputs(times, 0, 4, scratch);
    const out = new Float64Array(1);
    firstSpikeLayer(times, 0, 4, weights, uniformLifParams(1, { vThreshold: theta, tauMemMs: tau, tauSynMs: tau }), out, 0, 1, scratch);
    // Causal set: the first three inputs (the fourth comes after t*).
    let a = 0;
    let b = 0;
    for (let i = 0; i < 3; i++) {
      a += weights[i]! * Math.exp(times[i]! / tau);
      b += weights[i]! * (times[i]! / tau) * Math.exp(times[i]! / tau);
    }
    const expected = tau * (b / a - lambertW0(-(theta / a) * Math.exp(b / a)));
    expect(expected).toBeLessThan(2.5);
    expect(out[0]).toBeCloseTo(expected, 13);
    expect(scratch.causalCount[0]).toBe(3);
  });

  it('τ_m = 2τ_s: t* = 2τ_s ln[2a_s/(a_m + √(a_m² − 4a_sϑ))]', () => {
    const ts = 1;
    const tm = 2;
    const times = new Float64Array([0.2, 0.4]);
    const weights = new Float64Array([3, 2]);
    const scratch = createFirstSpikeScratch(2, 1);
    sortInputs(times, 0, 2, scratch);
    const out = new Float64Array(1);
    firstSpikeLayer(times, 0, 2, weights, uniformLifParams(1, { vThreshold: 1, tauMemMs: tm, tauSynMs: ts }), out, 0, 1, scratch);
    const as = 3 * Math.exp(0.2 / ts) + 2 * Math.exp(0.4 / ts);
    const am = 3 * Math.exp(0.2 / tm) + 2 * Math.exp(0.4 / tm);
    const expected = 2 * ts * Math.log((2 * as) / (am + Math.sqrt(am * am - 4 * as * 1)));
    expect(expected).toBeGreaterThan(0.4);
    expect(out[0]).toBeCloseTo(expected, 13);
  });

  it('per-neuron parameters: each neuron uses its own ϑ, τ_m, τ_s', () => {
    const times = new Float64Array([1, 2]);
    const weights = new Float64Array([3, 1, 3, 1]);
    const params = {
      vThreshold: new Float64Array([1, 1.2]),
      tauMemMs: new Float64Array([5, 9]),
      tauSynMs: new Float64Array([5, 4]),
      vReset: new Float64Array(2),
    };
    const scratch = createFirstSpikeScratch(2, 2);
    sortInputs(times, 0, 2, scratch);
    const out = new Float64Array(2);
    firstSpikeLayer(times, 0, 2, weights, params, out, 0, 2, scratch);
    for (let n = 0; n < 2; n++) {
      const single = uniformLifParams(1, { vThreshold: params.vThreshold[n]!, tauMemMs: params.tauMemMs[n]!, tauSynMs: params.tauSynMs[n]! });
      const one = new Float64Array(1);
      const s = createFirstSpikeScratch(2, 1);
      sortInputs(times, 0, 2, s);
      firstSpikeLayer(times, 0, 2, weights.subarray(2 * n, 2 * n + 2), single, one, 0, 1, s);
      expect(out[n]).toBe(one[0]);
    }
    expect(out[0]).not.toBe(out[1]);
  });
});

describe('firstSpikeLayer on event lists (inputs spiking several times)', () => {
  it('equals the event simulation of the first spike, with the same causal set and current', () => {
    const rng = new Mt19937(21);
    for (const [tm, ts] of [
      [20, 5],
      [10, 5],
      [5, 5],
    ] as const) {
      let spiking = 0;
      for (let trial = 0; trial < 10; trial++) {
        // A multi-spike presynaptic layer driven by 5 inputs.
        const pre = randomLayer(rng, 5, 12);
        for (let i = 0; i < pre.weights.length; i++) pre.weights[i] = pre.weights[i]! * 2 + 1;
        const preParams = uniformLifParams(12, { vThreshold: 1, tauMemMs: tm, tauSynMs: ts });
        const preSpikes = createLayerSpikes(12, 6);
        simulateLayer(timesToEvents(pre.times, createSpikeEvents(5)), pre.weights, 5, preParams, 200, preSpikes);
        const events = spikesToEvents(preSpikes, createSpikeEvents(72));
        const nOut = 4;
        const weights = new Float64Array(12 * nOut);
        for (let i = 0; i < weights.length; i++) weights[i] = (rng.randomSample() - 0.2) * 2;
        const params = uniformLifParams(nOut, { vThreshold: 1, tauMemMs: tm, tauSynMs: ts });
        const scratch = createFirstSpikeScratch(72, nOut);
        loadSortedEvents(events.times, events.sources, events.count, scratch);
        const out = new Float64Array(nOut);
        firstSpikeLayer(events.times, 0, 12, weights, params, out, 0, nOut, scratch);
        const ref = createLayerSpikes(nOut, 1);
        simulateLayer(events, weights, 12, params, 1e6, ref);
        for (let n = 0; n < nOut; n++) {
          if (ref.counts[n] === 0) {
            expect(out[n]).toBe(Infinity);
            continue;
          }
          spiking++;
          expect(Math.abs(out[n]! - ref.times[n]!)).toBeLessThan(1e-9);
          expect(scratch.causalCount[n]).toBe(ref.eventsBefore[n]);
          expect(scratch.currentAtSpike[n]).toBeCloseTo(ref.currents[n]!, 9);
        }
      }
      expect(spiking).toBeGreaterThan(10);
    }
  });
});

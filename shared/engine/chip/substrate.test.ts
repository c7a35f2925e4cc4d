import { describe, expect, it } from 'vitest';
import { ChipConfig } from '../../contracts/trial-common.ts';
import { uniformNeuronParams } from './device.ts';
import { ChipSubstrate, type ChipLayerLayout } from './substrate.ts';

const layout: ChipLayerLayout[] = [
  { layer: 'hidden', weights: 'inputWeights', nIn: 5, nOut: 40 },
  { layer: 'output', weights: 'outputWeights', nIn: 40, nOut: 3 },
];
const hiddenModel = uniformNeuronParams(40, { vThreshold: 1, vLeak: 0, vReset: 0, tauMemMs: 10, tauSynMs: 5 });

describe('ChipSubstrate', () => {
  it('is the ideal model at zero mismatch (up to the 6-bit weights)', () => {
    const s = new ChipSubstrate(ChipConfig.parse({ mismatchScale: 0, calibrated: false }), layout, { noiseSeed: 0 });
    expect(s.neuronParams('hidden', hiddenModel)).toEqual(hiddenModel);
    const w = Float64Array.from({ length: 15 }, (_, k) => (k - 7) / 7);
    const out = new Float64Array(15);
    s.applyWeights('outputWeights', w.subarray(0, 15), out);
    // auto scale: lsb = 1/63, so k/7 = 9k steps exactly
    for (let k = 0; k < 15; k++) expect(out[k]).toBeCloseTo((k - 7) / 7, 14);
  });

  it('calibrates a layer on first use and keeps its hardware values frozen', () => {
    const raw = new ChipSubstrate(ChipConfig.parse({ mismatchSeed: 2, calibrated: false }), layout, { noiseSeed: 0 });
    const cal = new ChipSubstrate(ChipConfig.parse({ mismatchSeed: 2 }), layout, { noiseSeed: 0 });
    const hwRaw = raw.neuronParams('hidden', hiddenModel);
    const hwCal = cal.neuronParams('hidden', hiddenModel);
    expect(cal.neuronParams('hidden', hiddenModel)).toBe(hwCal);
    expect(cal.calibrationRuns).toBe(40 * 5 * 16);
    const rms = (a: Float64Array, t: number) => Math.sqrt(a.reduce((x, v) => x + (v - t) ** 2, 0) / a.length);
    expect(rms(hwCal.vThreshold, 1)).toBeLessThan(rms(hwRaw.vThreshold, 1) / 3);
    const report = cal.calibrationReport();
    expect(report.tauSynMs.calibratedRelSd).toBeLessThan(report.tauSynMs.rawRelSd / 3);
    expect(raw.calibrationReport().tauSynMs.calibratedRelSd).toBe(report.tauSynMs.rawRelSd);
    expect(() => cal.neuronParams('nope', hiddenModel)).toThrow(/no layer 'nope'/);
  });

  it('counts clipped weights with a fixed weight scale', () => {
    const s = new ChipSubstrate(ChipConfig.parse({ weightScale: 0.01 }), layout, { noiseSeed: 0 });
    s.applyWeights('inputWeights', Float64Array.from({ length: 200 }, (_, k) => (k % 2 ? 1 : 0.1)), new Float64Array(200));
    expect(s.clippedWeights.get('inputWeights')).toBe(100);
  });

  it('observes dense traces exactly as element-wise reads (window per neuron, readout window 4 spans)', () => {
    const config = ChipConfig.parse({ mismatchSeed: 1, readoutWindowSpans: 4 });
    const a = new ChipSubstrate(config, layout, { noiseSeed: 5 });
    const b = new ChipSubstrate(config, layout, { noiseSeed: 5 });
    const outputModel = uniformNeuronParams(3, { vThreshold: Infinity, vLeak: 0.1, vReset: 0, tauMemMs: 6, tauSynMs: 6 });
    for (const s of [a, b]) {
      s.neuronParams('hidden', hiddenModel);
      s.neuronParams('output', outputModel);
    }
    const trace = Float64Array.from({ length: 40 * 7 }, (_, k) => Math.sin(k) * 1.2);
    const logits = Float64Array.from([-3, 0.5, 7]);
    const observed = trace.slice();
    a.observeMembrane('hidden', observed, 40);
    const observedLogits = logits.slice();
    a.observeMembrane('output', observedLogits, 3);
    expect(Array.from(observed)).toEqual(Array.from(trace, (v) => b.readMembrane(v, 0, 1)));
    expect(Array.from(observedLogits)).toEqual(Array.from(logits, (v) => b.readMembrane(v, 0.1, 4)));
    expect(observedLogits[0]).toBe(0.1 - 2); // clipped at the window's lower end
  });

  it('gives a readout layer a window of 10 hidden spans by default, so trained logits are not clipped', () => {
    const s = new ChipSubstrate(ChipConfig.parse({}), layout, { noiseSeed: 1 });
    s.neuronParams('hidden', hiddenModel);
    s.neuronParams('output', uniformNeuronParams(3, { vThreshold: Infinity, vLeak: 0, vReset: 0, tauMemMs: 6, tauSynMs: 6 }));
    const logits = Float64Array.from([12, 14.5, 16]);
    s.observeMembrane('output', logits, 3);
    expect(Math.abs(logits[0]! - 12)).toBeLessThan(0.3);
    expect(Math.abs(logits[1]! - 14.5)).toBeLessThan(0.3);
    expect(logits[2]).toBe(15); // [−5, 15]
  });

  it('jitters spike times with σ = 0.01 τ_s, consuming the same noise whether a slot holds a spike or not', () => {
    const a = new ChipSubstrate(ChipConfig.parse({}), layout, { noiseSeed: 2 });
    const b = new ChipSubstrate(ChipConfig.parse({}), layout, { noiseSeed: 2 });
    for (const s of [a, b]) s.neuronParams('hidden', hiddenModel);
    const spikes = new Float64Array(80).fill(10);
    a.jitterSpikeTimes('hidden', spikes, 2);
    const sd = Math.sqrt(spikes.reduce((x, t) => x + (t - 10) ** 2, 0) / spikes.length);
    expect(sd).toBeGreaterThan(0.03);
    expect(sd).toBeLessThan(0.07); // 0.01 · τ_s = 0.05 ms
    const fewer = new Float64Array(80).fill(10);
    fewer[3] = Infinity;
    b.jitterSpikeTimes('hidden', fewer, 2);
    expect(fewer[3]).toBe(Infinity);
    expect(fewer[79]).toBe(spikes[79]);
  });

  it('reads membranes through the noisy 8-bit ADC', () => {
    const s = new ChipSubstrate(ChipConfig.parse({ noiseScale: 0 }), layout, { noiseSeed: 0 });
    expect(s.readMembrane(0.5, 0, 1)).toBeCloseTo(-0.5 + Math.round(127.5) * (2 / 255), 12);
    const noisy = new ChipSubstrate(ChipConfig.parse({ noise: { membraneRelSd: 0.1 } }), layout, { noiseSeed: 0 });
    const reads = Array.from({ length: 200 }, () => noisy.readMembrane(0.5, 0, 1));
    expect(new Set(reads).size).toBeGreaterThan(10);
  });
});

import { describe, expect, it } from 'vitest';
import { ChipConfig } from '../../contracts/trial-common.ts';
import { calibrate, fitDecayTauMs, quantizeTrim, spreadOf } from './calibration.ts';
import { createChip, NEURON_PARAMETERS, placeNetwork, uniformNeuronParams, zeroTrims } from './device.ts';

function placed(sizes: number[], tauMemMs: number, tauSynMs: number) {
  return placeNetwork(sizes).map((placement) => ({
    placement,
    model: uniformNeuronParams(placement.nOut, { vThreshold: 1, vLeak: 0, vReset: 0, tauMemMs, tauSynMs }),
  }));
}

describe('calibration', () => {
  it.each([
    [0, 10, 10],
    [1, 20, 5],
    [2, 6, 6],
  ])('shrinks every per-neuron spread at least 3x at the default mismatch (seed %i, τm %i ms, τs %i ms)', (seed, tm, ts) => {
    const chip = createChip(ChipConfig.parse({ mismatchSeed: seed }));
    const layers = placed([5, 120, 3], tm, ts);
    const { report, trims } = calibrate(chip, layers);
    for (const p of NEURON_PARAMETERS) {
      expect(report[p].rawRelSd).toBeGreaterThan(0.015);
      expect(report[p].calibratedRelSd).toBeLessThan(report[p].rawRelSd / 3);
    }
    expect(spreadOf(chip, layers, trims).vThreshold).toBe(report.vThreshold.calibratedRelSd);
    expect(spreadOf(chip, layers, zeroTrims()).vThreshold).toBe(report.vThreshold.rawRelSd);
  });

  it('brings calibrated hardware values close to the model targets', () => {
    const chip = createChip(ChipConfig.parse({ mismatchSeed: 4 }));
    const layers = placed([5, 30, 3], 10, 10);
    const { trims } = calibrate(chip, layers);
    const model = uniformNeuronParams(30, { vThreshold: 2.6, vLeak: 0, vReset: 0, tauMemMs: 10, tauSynMs: 10 });
    const raw = chip.hardwareNeuronParams(model, layers[0]!.placement, zeroTrims());
    const cal = chip.hardwareNeuronParams(model, layers[0]!.placement, trims);
    const rms = (a: Float64Array, t: number) => Math.sqrt(a.reduce((s, v) => s + (v - t) ** 2, 0) / a.length);
    expect(rms(cal.vThreshold, 2.6)).toBeLessThan(rms(raw.vThreshold, 2.6) / 3);
    expect(rms(cal.tauMemMs, 10)).toBeLessThan(rms(raw.tauMemMs, 10) / 3);
  });

  it('is reproducible: same chip, same trims', () => {
    const a = calibrate(createChip(ChipConfig.parse({ mismatchSeed: 9 })), placed([3, 4, 2], 10, 5));
    const b = calibrate(createChip(ChipConfig.parse({ mismatchSeed: 9 })), placed([3, 4, 2], 10, 5));
    expect(a.trims).toEqual(b.trims);
    expect(a.probeRuns).toBe(6 * 16 * 5);
  });

  it('fits the time constant of a noiseless exponential exactly', () => {
    const y = Float64Array.from({ length: 30 }, (_, k) => 0.8 * Math.exp(-(k * 0.5) / 7.3));
    expect(fitDecayTauMs(y, 0.5, 0.05)).toBeCloseTo(7.3, 10);
    expect(fitDecayTauMs(Float64Array.from([0.01, 0.01]), 1, 0.05)).toBeNaN();
  });

  it('writes trims through a DAC of finite resolution and range', () => {
    expect(quantizeTrim(0.1, 10)).toBeCloseTo(Math.round(0.1 / (0.5 / 511)) * (0.5 / 511), 15);
    expect(quantizeTrim(0.9, 10)).toBe(0.5);
    expect(quantizeTrim(-0.9, 4)).toBe(-0.5);
    expect(quantizeTrim(0.03, 2)).toBe(0);
  });
});

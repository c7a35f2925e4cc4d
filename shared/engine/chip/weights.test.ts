import { describe, expect, it } from 'vitest';
import { ChipConfig } from '../../contracts/trial-common.ts';
import { createChip, placeNetwork } from './device.ts';
import { hardwareWeights, quantizeWeight, quantizeWeights, WEIGHT_MAX_STEPS, weightLsb } from './weights.ts';

describe('6-bit weight mapping', () => {
  it('maps every representable weight q·lsb to exactly q, for all q in −63…63', () => {
    for (const lsb of [0.01, 0.037, 1.5]) {
      for (let q = -63; q <= 63; q++) expect(quantizeWeight(q * lsb, lsb)).toBe(q);
    }
  });

  it('rounds half away from zero and clips beyond ±63', () => {
    expect(quantizeWeight(0.5, 1)).toBe(1);
    expect(quantizeWeight(-0.5, 1)).toBe(-1);
    expect(quantizeWeight(0.4999, 1)).toBe(0);
    expect(Object.is(quantizeWeight(-0.2, 1), 0)).toBe(true);
    expect(quantizeWeight(62.5, 1)).toBe(63);
    expect(quantizeWeight(1000, 1)).toBe(63);
    expect(quantizeWeight(-63.7, 1)).toBe(-63);
    const out = new Int8Array(4);
    expect(quantizeWeights(Float64Array.from([1, 63.4, 63.5, -80]), 1, out)).toBe(2);
    expect(Array.from(out)).toEqual([1, 63, 63, -63]);
  });

  it('auto scale maps the largest |w| to 63 steps, so nothing clips', () => {
    const w = Float64Array.from([0.3, -1.26, 0.02]);
    const lsb = weightLsb(w, 'auto');
    expect(lsb).toBeCloseTo(0.02, 15);
    expect(quantizeWeights(w, lsb, new Int8Array(3))).toBe(0);
    expect(quantizeWeight(-1.26, lsb)).toBe(-WEIGHT_MAX_STEPS);
    expect(weightLsb(w, 0.5)).toBe(0.5);
  });

  it('applies the frozen synapse gains: exact q·lsb without mismatch, q·lsb·g with it', () => {
    const [layer] = placeNetwork([2, 3]); // weights [3 neurons × 2 inputs]
    const w = Float64Array.from([0.1, -0.25, 0.33, 2, 0, -0.07]);
    const ideal = hardwareWeights(createChip(ChipConfig.parse({ mismatchScale: 0 })), layer!, w, 0.01);
    expect(Array.from(ideal)).toEqual([10, -25, 33, 63, 0, -7].map((q) => q * 0.01));
    const chip = createChip(ChipConfig.parse({ mismatchSeed: 2 }));
    const real = hardwareWeights(chip, layer!, w, 0.01);
    expect(real[4]).toBe(0);
    expect(real[5]).toBeCloseTo(-7 * 0.01 * chip.gain(layer!, 1, 2), 15); // neuron 2, input 1
    expect(real[1]).toBeCloseTo(-25 * 0.01 * chip.gain(layer!, 1, 0), 15); // neuron 0, input 1
    expect(real[5]).not.toBeCloseTo(-0.07, 6);
  });
});

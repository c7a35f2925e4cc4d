import { describe, expect, it } from 'vitest';
import { generateYinYang, yinYangClass, yinYangSplit } from './yinyang.ts';
import { encodeTtfs } from './encoding.ts';

// Reference values computed with numpy 2.4.6 (legacy RandomState) running the generator of
// Kriener, Göltz & Petrovici (2022) as given in docs/science/yin-yang.md#generator.
const reference = {
  train: { counts: [1681, 1702, 1617], first: [0.6803075385877797, 0.450499251969543, 2], i123: [0.6516679187064259, 0.314060794992732, 0], last: [0.7690797231107925, 0.5883389337522971, 2] },
  validation: { counts: [316, 336, 348], first: [0.6805727261759029, 0.3209733938933629, 0], i123: [0.2987270900785677, 0.1444900648292956, 0], last: [0.7107040957004825, 0.804733352731108, 1] },
  test: { counts: [350, 316, 334], first: [0.23409664559563403, 0.4017249751828972, 2], i123: [0.12571289198956614, 0.46232686679910495, 1], last: [0.32834060537145815, 0.3899830419619741, 1] },
} as const;

function sample(data: ReturnType<typeof generateYinYang>, n: number): [number, number, number] {
  return [data.features[n * 4]!, data.features[n * 4 + 1]!, data.labels[n]!];
}

describe('Yin-Yang publication splits', () => {
  for (const split of ['train', 'validation', 'test'] as const) {
    it(`${split} equals numpy bit for bit (class counts, samples 0, 123, last)`, () => {
      const data = yinYangSplit(split);
      const ref = reference[split];
      const counts = [0, 0, 0];
      for (const c of data.labels) counts[c]!++;
      expect(counts).toEqual(ref.counts);
      expect(sample(data, 0)).toEqual(ref.first);
      expect(sample(data, 123)).toEqual(ref.i123);
      expect(sample(data, data.size - 1)).toEqual(ref.last);
    });
  }

  it('any size and seed: 37 samples from seed 7', () => {
    const data = generateYinYang(37, 7);
    const counts = [0, 0, 0];
    for (const c of data.labels) counts[c]!++;
    expect(counts).toEqual([11, 11, 15]);
    expect(sample(data, 0)).toEqual([0.5384958704104337, 0.5011204636599379, 0]);
    expect(sample(data, 36)).toEqual([0.5659335339854799, 0.18202007679028998, 0]);
  });

  it('features are [x, y, 1-x, 1-y] and labels match the class rule', () => {
    const data = generateYinYang(200, 3);
    for (let n = 0; n < data.size; n++) {
      const x = data.features[n * 4]!;
      const y = data.features[n * 4 + 1]!;
      expect(data.features[n * 4 + 2]).toBe(1 - x);
      expect(data.features[n * 4 + 3]).toBe(1 - y);
      expect(yinYangClass(x, y)).toBe(data.labels[n]);
    }
  });

  it('classifies the dots and the two halves', () => {
    expect(yinYangClass(0.75, 0.5)).toBe(2);
    expect(yinYangClass(0.25, 0.5)).toBe(2);
    expect(yinYangClass(0.5, 0.9)).toBe(1);
    expect(yinYangClass(0.5, 0.1)).toBe(0);
  });
});

describe('TTFS encoding', () => {
  it('maps features linearly onto [tEarly, tLate] and appends the bias spike', () => {
    const data = generateYinYang(3, 42);
    const times = encodeTtfs(data, { tEarlyMs: 2, tLateMs: 26, biasTimeMs: 1 });
    expect(times.length).toBe(15);
    expect(times[0]).toBeCloseTo(2 + 0.6803075385877797 * 24, 12);
    expect(times[2]).toBeCloseTo(2 + (1 - 0.6803075385877797) * 24, 12);
    expect(times[4]).toBe(1);
    expect(times[9]).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { Mt19937, streamFor } from './random.ts';

// Reference values from numpy 2.4.6 legacy RandomState.
describe('Mt19937 (numpy legacy RandomState semantics)', () => {
  it('32-bit outputs after init_genrand(5489)', () => {
    const rng = new Mt19937(5489);
    expect(Array.from({ length: 5 }, () => rng.nextUint32())).toEqual([3499211612, 581869302, 3890346734, 3586334585, 545404204]);
  });

  it('random_sample and randint follow the first values of RandomState(1)', () => {
    const rng = new Mt19937(1);
    expect([rng.randomSample(), rng.randomSample(), rng.randomSample()]).toEqual([0.417022004702574, 0.7203244934421581, 0.00011437481734488664]);
    expect(Array.from({ length: 8 }, () => rng.randint(7))).toEqual([3, 5, 0, 0, 1, 4, 5, 4]);
  });

  it('shuffle and permutation equal numpy legacy', () => {
    const a = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    new Mt19937(3).shuffle(a);
    expect(a).toEqual([5, 4, 1, 2, 9, 6, 7, 0, 3, 8]);
    expect(Array.from(new Mt19937(3).permutation(10))).toEqual([5, 4, 1, 2, 9, 6, 7, 0, 3, 8]);
  });

  it('normal (polar method) matches numpy to 1e-15 relative', () => {
    const rng = new Mt19937(2);
    const ref = [-0.4167578474054706, -0.056266827226329474, -2.136196095668454, 1.6402708084049886];
    for (const r of ref) {
      const v = rng.normal();
      expect(Math.abs(v - r)).toBeLessThanOrEqual(1e-15 * Math.abs(r));
    }
  });

  it('uniform(low, high)', () => {
    expect(new Mt19937(0).uniform(-2, 3)).toBe(0.7440675196366238);
  });

  it('streamFor seeds with init_by_array on [seed, seed>>32, len, codes]', () => {
    const rng = streamFor(7, 'init');
    expect([rng.nextUint32(), rng.nextUint32(), rng.nextUint32()]).toEqual([3366169888, 3112668911, 3888815556]);
    expect(rng.randomSample()).toBe(0.05011036336243424);
    expect(streamFor(7, 'init').nextUint32()).not.toBe(streamFor(7, 'order').nextUint32());
  });

  it('getState/setState continue the identical sequence, through JSON', () => {
    const rng = new Mt19937(11);
    for (let i = 0; i < 700; i++) rng.nextUint32();
    rng.normal();
    const state = JSON.parse(JSON.stringify(rng.getState()));
    const expected = [rng.normal(), rng.randomSample(), rng.nextUint32()];
    const copy = Mt19937.fromState(state);
    expect([copy.normal(), copy.randomSample(), copy.nextUint32()]).toEqual(expected);
  });
});

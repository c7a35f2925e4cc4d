import { describe, expect, it } from 'vitest';
import { ashaContinues, ashaRungs, EarlyStopper, median, medianContinues, MemoryRungStore } from './early-stopping.ts';

describe('ASHA', () => {
  it('places rungs at minEpochs·η^k below the budget', () => {
    expect(ashaRungs(1, 3, 30)).toEqual([1, 3, 9, 27]);
    expect(ashaRungs(2, 2, 16)).toEqual([2, 4, 8]);
    expect(ashaRungs(5, 3, 5)).toEqual([]);
  });

  it('keeps the best ceil(n/η) at a rung', () => {
    expect(ashaContinues(0.5, [], 3)).toBe(true); // first at the rung
    expect(ashaContinues(0.4, [0.5], 3)).toBe(false); // n = 2 keeps 1
    expect(ashaContinues(0.6, [0.5], 3)).toBe(true);
    expect(ashaContinues(0.7, [0.9, 0.8, 0.1], 3)).toBe(false); // n = 4 keeps 2: 0.9, 0.8
    expect(ashaContinues(0.8, [0.9, 0.7, 0.1], 3)).toBe(true);
    expect(ashaContinues(0.8, [0.8, 0.8], 2)).toBe(true); // ties continue
  });

  it('decides only at rungs, from what other trials recorded there', async () => {
    const store = new MemoryRungStore();
    const rule = { kind: 'asha', minEpochs: 1, reductionFactor: 2 } as const;
    const a = new EarlyStopper(rule, store, 's', 'a', 8);
    const b = new EarlyStopper(rule, store, 's', 'b', 8);
    expect(await a.afterEpoch(1, 0.9)).toBe('continue');
    expect(await b.afterEpoch(1, 0.5)).toBe('prune');
    expect(await a.afterEpoch(3, 0.1)).toBe('continue'); // 3 is no rung with η = 2
    expect(await store.record('s', 3, 'x', 0)).toEqual([]);
    expect(await store.record('other-sweep', 1, 'c', 0)).toEqual([]);
  });
});

describe('median stopping', () => {
  it('median of odd and even lists', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('waits for minTrials and warmup, then compares the best so far with the median', async () => {
    expect(medianContinues(0.1, [0.5, 0.6], 3)).toBe(true);
    expect(medianContinues(0.1, [0.5, 0.6, 0.7], 3)).toBe(false);
    expect(medianContinues(0.6, [0.5, 0.6, 0.7], 3)).toBe(true);
    const store = new MemoryRungStore();
    for (const [id, v] of [['a', 0.8], ['b', 0.7], ['c', 0.6]] as const) {
      await store.record('s', 1, id, v);
      await store.record('s', 2, id, v);
    }
    const rule = { kind: 'median', warmupEpochs: 2, minTrials: 3 } as const;
    const slow = new EarlyStopper(rule, store, 's', 'd', 10);
    expect(await slow.afterEpoch(1, 0.1)).toBe('continue'); // warmup
    expect(await slow.afterEpoch(2, 0.2)).toBe('prune');
    const lucky = new EarlyStopper(rule, store, 's', 'e', 10);
    lucky.replay([0.75]); // best so far from a checkpoint counts
    expect(await lucky.afterEpoch(2, 0.2)).toBe('continue');
  });
});

/**
 * The analysis on hand-made inputs whose answers are known: paired comparisons (reference
 * intervals from SciPy 1.17.1, see ./stats.test.ts for how they were computed), the
 * recommendation's confidence, warnings, fANOVA importance (reference shares from NumPy 2.4.6:
 * the balanced two-way main-effect sums of squares SS_A / SS_total of the cell means), the
 * Pareto front, the cost model's presentation counts and the number formats.
 */
import { describe, expect, it } from 'vitest';
import type { GroupSummary } from '../store/types.ts';
import {
  compareSweeps,
  comparePaired,
  estimateTrialCost,
  formatBytes,
  formatDurationMs,
  formatInterval,
  formatPp,
  parameterImportance,
  paretoFront,
  recommend,
  spreadsOf,
  statsOfValues,
  sweepWarnings,
  type Stats,
  type TrialOutcome,
} from './index.ts';
import { TrialConfig } from '../contracts/index.ts';

const EMPTY: Stats = { count: 0, mean: null, sd: null, min: null, max: null };

/** The paired differences of ./stats.test.ts (pp), as two groups on 3 chips × 2 seeds. */
const d = [4.2, -1.3, 6.8, 2.9, 9.1, -0.4];
const base = [0.8, 0.76, 0.83, 0.79, 0.85, 0.77];

function outcomesOf(method: string, mode: string, accuracies: readonly number[], extra: Partial<TrialOutcome> = {}): TrialOutcome[] {
  return accuracies.map((testAccuracy, i) => ({
    trialId: `${method}-${mode}-${i}`,
    method,
    mode,
    seed: i % 2,
    mismatchSeed: Math.floor(i / 2),
    status: 'completed',
    testAccuracy,
    params: {},
    ...extra,
  }));
}

function groupOf(method: string, mode: string, outcomes: readonly TrialOutcome[], cost: { hw?: number; bytes?: number; wall?: number } = {}): GroupSummary {
  const mine = outcomes.filter((t) => t.method === method && t.mode === mode && t.testAccuracy !== null);
  const acc = mine.map((t) => t.testAccuracy!);
  const by = (key: 'seed' | 'mismatchSeed') => {
    const m = new Map<number, number[]>();
    for (const t of mine) m.set(t[key], [...(m.get(t[key]) ?? []), t.testAccuracy!]);
    return [...m].map(([k, v]) => ({ k, mean: v.reduce((a, b) => a + b, 0) / v.length }));
  };
  const chips = by('mismatchSeed').sort((a, b) => a.mean - b.mean);
  const flat = (x: number): Stats => ({ count: mine.length, mean: x, sd: 0, min: x, max: x });
  return {
    method,
    mode,
    finished: mine.length,
    completed: mine.length,
    failed: 0,
    diverged: 0,
    pruned: 0,
    accuracy: { ...statsOfValues(acc), median: null },
    devices: { ...statsOfValues(chips.map((c) => c.mean)), worst: chips[0] ? { mismatchSeed: chips[0].k, meanAccuracy: chips[0].mean } : null },
    seeds: statsOfValues(by('seed').map((s) => s.mean)),
    unstableShare: 0,
    convergence: { to90: { reached: 0, share: 0, epochs: EMPTY, wallTimeMs: EMPTY }, to95: { reached: 0, share: 0, epochs: EMPTY, wallTimeMs: EMPTY } },
    cost: { wallTimeMs: flat(cost.wall ?? 1000), hardwareTimeMs: flat(cost.hw ?? 100), energyJ: flat(0.01), chipRuns: flat(100), readoutBytesPerSample: flat(cost.bytes ?? 400) },
    measurement: method === 'surrogate' ? 'dense membrane traces' : 'spike times only',
  };
}

describe('paired comparison and confidence', () => {
  const a = outcomesOf('spike-time', 'in-the-loop', base.map((x, i) => x + d[i]! / 100));
  const b = outcomesOf('surrogate', 'in-the-loop', base);
  const outcomes = [...a, ...b];

  it('pairs the same chips and seeds and gives the paired t interval (SciPy: −0.6826 to 7.7826 pp)', () => {
    const c = comparePaired({ method: 'spike-time', mode: 'in-the-loop' }, { method: 'surrogate', mode: 'in-the-loop' }, outcomes);
    expect(c.pairs).toBe(6);
    expect(c.chips).toBe(3);
    expect(c.seeds).toBe(2);
    expect(c.meanDifferencePp).toBeCloseTo(3.55, 10);
    expect(c.ci95Pp![0]).toBeCloseTo(-0.6826225611164651, 8);
    expect(c.ci95Pp![1]).toBeCloseTo(7.782622561116465, 8);
    expect(c.pValue).toBeCloseTo(0.125, 12);
    expect(c.decisive).toBe(false);
    // smallest n with t.ppf(0.975, n−1)·4.0332/√n < 3.55 is 8 (SciPy loop): 2 more pairs = 1 chip (2 seeds) or 1 seed (3 chips)
    expect(c.morePairsNeeded).toBe(2);
    expect(c.moreChipsNeeded).toBe(1);
    expect(c.moreSeedsNeeded).toBe(1);
  });

  it('ignores trials the other group does not share and trials that did not complete', () => {
    const lonely = outcomesOf('spike-time', 'in-the-loop', [0.9], { seed: 9, mismatchSeed: 9, trialId: 'lonely' });
    const failed = outcomesOf('surrogate', 'in-the-loop', [0.5], { seed: 0, mismatchSeed: 0, status: 'failed', testAccuracy: null, trialId: 'failed' });
    const c = comparePaired({ method: 'spike-time', mode: 'in-the-loop' }, { method: 'surrogate', mode: 'in-the-loop' }, [...outcomes, ...lonely, ...failed]);
    expect(c.pairs).toBe(6);
    expect(c.meanDifferencePp).toBeCloseTo(3.55, 10);
  });

  it('the recommendation opens with its confidence and names its spread', () => {
    const groups = [groupOf('spike-time', 'in-the-loop', outcomes), groupOf('surrogate', 'in-the-loop', outcomes)];
    const r = recommend(groups, outcomes)!;
    expect(r.method).toBe('spike-time');
    expect(r.confidence.level).toBe('not decisive');
    expect(r.sentence).toMatch(/^Not decisive: spike-time \(in-the-loop\) vs surrogate \(in-the-loop\): \+3\.5 pp, 95 % CI −0\.7 to \+7\.8 pp \(paired over 6 shared chip × seed pairs\) includes 0; about 1 more chip or 1 more seed would likely make it decisive\./);
    expect(r.spread.name).toBe('sdOverChipMeans');
    expect(r.sentence).toContain(r.spread.text);
    expect(r.spread.text).toMatch(/^± \d+\.\d pp \(sd over chip means, 3 chips\)$/);
  });

  it('a clear difference is decisive (SciPy: 1.8775 to 3.4892 pp)', () => {
    const decisive = [2.1, 3.4, 1.8, 2.9, 3.7, 2.2];
    const out = [...outcomesOf('spike-time', 'in-the-loop', base.map((x, i) => x + decisive[i]! / 100)), ...b];
    const groups = [groupOf('spike-time', 'in-the-loop', out), groupOf('surrogate', 'in-the-loop', out)];
    const r = recommend(groups, out)!;
    expect(r.confidence.level).toBe('decisive');
    expect(r.confidence.comparison!.ci95Pp![0]).toBeCloseTo(1.877474263338211, 8);
    expect(r.confidence.comparison!.ci95Pp![1]).toBeCloseTo(3.489192403328455, 8);
    expect(r.sentence).toMatch(/^Decisive: /);
    expect(r.confidence.comparison!.morePairsNeeded).toBeNull();
  });

  it('names every spread: over trials, chip means, seed means', () => {
    const g = groupOf('surrogate', 'in-the-loop', b);
    const s = spreadsOf(g);
    expect(s.map((x) => x.name)).toEqual(['sdOverTrials', 'sdOverChipMeans', 'sdOverSeedMeans']);
    expect(s.map((x) => x.n)).toEqual([6, 3, 2]);
    expect(s[0]!.sdPp).toBeCloseTo(100 * statsOfValues(base).sd!, 10);
    expect(s[2]!.text).toMatch(/\(sd over seed means, 2 seeds\)/);
  });
});

describe('warnings', () => {
  const outcomes = outcomesOf('surrogate', 'in-the-loop', base);
  const groups = [groupOf('surrogate', 'in-the-loop', outcomes)];
  const byStatus = { pending: 20, running: 2, completed: 2, failed: 0, diverged: 0, pruned: 0 };
  const rising = [{ method: 'surrogate', mode: 'in-the-loop', epochs: [1, 2, 3, 4, 5, 6, 7, 8].map((epoch) => ({ epoch, accuracy: { ...EMPTY, count: 6, mean: 0.5 + 0.03 * epoch } })) }];
  const flat = [{ method: 'surrogate', mode: 'in-the-loop', epochs: [1, 2, 3, 4, 5, 6, 7, 8].map((epoch) => ({ epoch, accuracy: { ...EMPTY, count: 6, mean: epoch < 4 ? 0.5 + 0.1 * epoch : 0.9 + (epoch % 2) * 0.001 } })) }];

  it('an incomplete, unconverged sweep on small splits says so, incomplete first', () => {
    const w = sweepWarnings({ summary: { planned: 24, byStatus, groups }, curveBands: rising, datasets: [{ trainSize: 1000, validationSize: 300, testSize: 1000 }] });
    expect(w.map((x) => x.code)).toEqual(['sweep-incomplete', 'unconverged', 'small-split']);
    expect(w[0]!.message).toBe('Sweep incomplete: 2 of 24 trials finished (2 running, 20 pending); every number below rests on those 2.');
    expect(w[1]!.message).toContain('still rising after 8 epochs for surrogate (in-the-loop) (+3.0 pp/epoch)');
    expect(w[2]!.message).toContain('1000 train / 300 validation / 1000 test');
  });

  it('a finished, converged sweep at the publication sizes has no warning; diverged trials are counted', () => {
    const done = { ...byStatus, pending: 0, running: 0, completed: 24 };
    const none = sweepWarnings({ summary: { planned: 24, byStatus: done, groups }, curveBands: flat, datasets: [{ trainSize: 5000, validationSize: 1000, testSize: 1000 }] });
    expect(none).toEqual([]);
    const unstable = [{ ...groups[0]!, diverged: 6, failed: 1 }];
    const w = sweepWarnings({ summary: { planned: 24, byStatus: { ...done, completed: 17, diverged: 6, failed: 1 }, groups: unstable }, curveBands: flat, datasets: [] });
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ code: 'diverged-trials', severity: 'critical' });
    expect(w[0]!.message).toMatch(/^7 of 24 finished trials diverged or failed/);
  });
});

describe('parameter importance (fANOVA first-order shares)', () => {
  // cell means (pp) of a 3 × 2 grid lr × method, two seeds per cell around the mean
  const Y: Record<string, Record<string, number>> = { '0.001': { a: 70, b: 74 }, '0.002': { a: 76, b: 79 }, '0.005': { a: 73, b: 81 } };
  const outcomes: TrialOutcome[] = [];
  for (const [lr, row] of Object.entries(Y))
    for (const [method, y] of Object.entries(row))
      for (const [seed, noise] of [[0, -0.5], [1, 0.5]] as const)
        outcomes.push({ trialId: `${lr}-${method}-${seed}`, method, mode: 'in-the-loop', seed, mismatchSeed: 0, status: 'completed', testAccuracy: (y + noise) / 100, params: { 'training.learningRate': Number(lr) } });

  it('matches the balanced ANOVA sums of squares (NumPy: lr 0.45399, method 0.46012, interaction 0.08589)', () => {
    const r = parameterImportance(outcomes)!;
    expect(r.estimator).toBe('fANOVA first-order variance shares on the observed grid');
    expect(r.cells).toBe(6);
    expect(r.gridCells).toBe(6);
    const share = (axis: string) => r.axes.find((a) => a.axis === axis)!.share;
    expect(share('method')).toBeCloseTo(0.4601226993865031, 10);
    expect(share('training.learningRate')).toBeCloseTo(0.4539877300613497, 10);
    expect(r.interactionShare).toBeCloseTo(0.08588957055214719, 10);
    expect(r.totalVariancePp2).toBeCloseTo(13.583333333333334, 9);
    expect(r.axes.map((a) => a.axis)).toEqual(['method', 'training.learningRate']);
    expect(r.axes.find((a) => a.axis === 'mode')).toBeUndefined(); // constant
  });

  it('is null when nothing varies', () => {
    expect(parameterImportance(outcomes.filter((t) => t.method === 'a' && t.params['training.learningRate'] === 0.001))).toBeNull();
  });
});

describe('Pareto front', () => {
  it('keeps the points no other beats on accuracy, chip time and read-out bytes', () => {
    const outcomes = [
      ...outcomesOf('surrogate', 'in-the-loop', [0.9, 0.9]),
      ...outcomesOf('spike-time', 'in-the-loop', [0.88, 0.88]),
      ...outcomesOf('spike-time', 'transfer', [0.8, 0.8]),
      ...outcomesOf('eventprop', 'in-the-loop', [0.87, 0.87]),
    ];
    const groups = [
      groupOf('surrogate', 'in-the-loop', outcomes, { hw: 600, bytes: 6560 }),
      groupOf('spike-time', 'in-the-loop', outcomes, { hw: 880, bytes: 489 }),
      groupOf('spike-time', 'transfer', outcomes, { hw: 260, bytes: 489 }),
      groupOf('eventprop', 'in-the-loop', outcomes, { hw: 900, bytes: 500 }),
    ];
    const front = paretoFront(groups);
    const on = front.filter((p) => p.onFront).map((p) => `${p.method}/${p.mode}`).sort();
    expect(on).toEqual(['spike-time/in-the-loop', 'spike-time/transfer', 'surrogate/in-the-loop']);
    expect(front.find((p) => p.method === 'eventprop')!.dominatedBy).toEqual([{ method: 'spike-time', mode: 'in-the-loop' }]);
  });
});

describe('sweeps side by side', () => {
  it('differences to the first sweep: paired on shared chips and seeds, else Welch', () => {
    const first = outcomesOf('surrogate', 'in-the-loop', base);
    const again = outcomesOf('surrogate', 'in-the-loop', base.map((x, i) => x + d[i]! / 100));
    const otherChips = outcomesOf('surrogate', 'in-the-loop', [0.752, 0.779, 0.742, 0.788], { mismatchSeed: 50 }).map((t, i) => ({ ...t, seed: i }));
    const sweep = (id: string, o: TrialOutcome[]) => ({ summary: { sweepId: id, name: id, planned: o.length, groups: [groupOf('surrogate', 'in-the-loop', o)] }, outcomes: o, recommendation: null });
    const c = compareSweeps([sweep('a', first), sweep('b', again), sweep('c', otherChips)]);
    expect(c.sweeps.map((s) => s.sweepId)).toEqual(['a', 'b', 'c']);
    expect(c.rows).toHaveLength(1);
    const [paired, welch] = c.rows[0]!.differences;
    expect(paired!.ciMethod).toBe('paired t (Student, n − 1 df)');
    expect(paired!.ci95Pp![0]).toBeCloseTo(-0.6826225611164651, 8);
    expect(welch!.ciMethod).toBe('Welch t (Welch–Satterthwaite df)');
    // scipy.stats.ttest_ind(c, a, equal_var=False).confidence_interval(0.95), in pp:
    // c = [75.2, 77.9, 74.2, 78.8], a = [80, 76, 83, 79, 85, 77] (SciPy 1.17.1: −7.5909 to 0.6409 pp)
    expect(welch!.ci95Pp![0]).toBeCloseTo(WELCH_C_MINUS_A[0], 8);
    expect(welch!.ci95Pp![1]).toBeCloseTo(WELCH_C_MINUS_A[1], 8);
  });
});

const WELCH_C_MINUS_A: [number, number] = [-7.590854112583857, 0.6408541125838685];

describe('cost model', () => {
  it('counts chip presentations as the engine does (quick study: 14,700 in the loop, 4,300 transfer)', () => {
    const config = (mode: string) =>
      TrialConfig.parse({ method: 'surrogate', mode, training: { epochs: 8 }, dataset: { trainSize: 1000, validationSize: 300, testSize: 1000 }, evaluateOnChips: [100, 101] }) as unknown as Record<string, unknown>;
    expect(estimateTrialCost(config('in-the-loop')).chipRuns).toBe(14_700);
    expect(estimateTrialCost(config('transfer')).chipRuns).toBe(4300);
    expect(estimateTrialCost(config('simulation')).chipRuns).toBe(2000);
    // surrogate: 40 steps of 1 ms per presentation → 14,700 × 40 ms / 1000 = 588 ms (measured in the quick study: 588 ms)
    expect(estimateTrialCost(config('in-the-loop')).hardwareTimeMs).toBeCloseTo(588, 9);
    const spike = TrialConfig.parse({ method: 'spike-time', mode: 'transfer', training: { epochs: 8 }, dataset: { trainSize: 1000, validationSize: 300, testSize: 1000 }, evaluateOnChips: [100, 101] });
    expect(estimateTrialCost(spike as unknown as Record<string, unknown>).hardwareTimeMs).toBeCloseTo(258, 9); // measured: 258 ms
    expect(estimateTrialCost(config('in-the-loop')).cpuMs).toBeGreaterThan(estimateTrialCost(config('transfer')).cpuMs);
  });
});

describe('number formats', () => {
  it('reads the same everywhere', () => {
    expect(formatPp(4.62)).toBe('+4.6 pp');
    expect(formatPp(-0.04)).toBe('±0.0 pp');
    expect(formatInterval([-2.14, 11.3])).toBe('−2.1 to +11.3 pp');
    expect(formatDurationMs(59_960)).toBe('1 min 00 s');
    expect(formatDurationMs(119_600)).toBe('2 min 00 s');
    expect(formatDurationMs(12_345)).toBe('12.3 s');
    expect(formatDurationMs(7_380_000)).toBe('2 h 03 min');
    expect(formatDurationMs(Number.NaN)).toBe('–');
    expect(formatBytes(6560)).toBe('6.6 kB');
    expect(formatBytes(489)).toBe('489 B');
  });
});

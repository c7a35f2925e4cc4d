/**
 * Paired comparison of two groups on the trials they share (see PairedComparison): unit i is a
 * (training seed, chip) pair both groups ran; acc_g,i is the mean test accuracy of group g's
 * completed trials on that unit (the mean over swept hyperparameters, if any);
 * d_i = 100 (acc_a,i − acc_b,i) pp. Interval: paired t; p: exact sign-flip test (./stats.ts).
 */
import { mean, pairedTInterval95, pairsForDecisive, sampleSd, signFlipPValue } from './stats.ts';
import type { GroupKey, PairedComparison, TrialOutcome } from './types.ts';

const unitKey = (t: Pick<TrialOutcome, 'seed' | 'mismatchSeed'>) => `${t.seed}|${t.mismatchSeed}`;

/** Per (seed, chip) unit: the mean completed test accuracy of the group there. */
export function unitMeans(group: GroupKey, outcomes: readonly TrialOutcome[]): Map<string, { seed: number; mismatchSeed: number; accuracy: number }> {
  const sums = new Map<string, { seed: number; mismatchSeed: number; sum: number; n: number }>();
  for (const t of outcomes) {
    if (t.method !== group.method || t.mode !== group.mode || t.status !== 'completed' || t.testAccuracy === null) continue;
    const key = unitKey(t);
    const s = sums.get(key) ?? { seed: t.seed, mismatchSeed: t.mismatchSeed, sum: 0, n: 0 };
    s.sum += t.testAccuracy;
    s.n += 1;
    sums.set(key, s);
  }
  return new Map([...sums].map(([k, s]) => [k, { seed: s.seed, mismatchSeed: s.mismatchSeed, accuracy: s.sum / s.n }]));
}

/** Paired differences a − b in pp on shared units, in a stable order (by seed, then chip). */
export function pairedDifferencesPp(a: GroupKey, b: GroupKey, outcomes: readonly TrialOutcome[]): { seed: number; mismatchSeed: number; differencePp: number }[] {
  const ua = unitMeans(a, outcomes);
  const ub = unitMeans(b, outcomes);
  const out: { seed: number; mismatchSeed: number; differencePp: number }[] = [];
  for (const [key, x] of ua) {
    const y = ub.get(key);
    if (y) out.push({ seed: x.seed, mismatchSeed: x.mismatchSeed, differencePp: 100 * (x.accuracy - y.accuracy) });
  }
  return out.sort((p, q) => p.seed - q.seed || p.mismatchSeed - q.mismatchSeed);
}

/** The paired comparison of a against b (see PairedComparison for every field). */
export function comparePaired(a: GroupKey, b: GroupKey, outcomes: readonly TrialOutcome[]): PairedComparison {
  const pairs = pairedDifferencesPp(a, b, outcomes);
  const d = pairs.map((p) => p.differencePp);
  const chips = new Set(pairs.map((p) => p.mismatchSeed)).size;
  const seeds = new Set(pairs.map((p) => p.seed)).size;
  const ci95Pp = pairedTInterval95(d);
  const decisive = ci95Pp !== null && (ci95Pp[0] > 0 || ci95Pp[1] < 0);
  const m = mean(d);
  const sd = sampleSd(d);
  let morePairsNeeded: number | null = null;
  let moreChipsNeeded: number | null = null;
  let moreSeedsNeeded: number | null = null;
  if (!decisive && m !== null && sd !== null && d.length >= 2) {
    const needed = pairsForDecisive(m, sd);
    if (needed !== null) {
      morePairsNeeded = Math.max(1, needed - d.length);
      moreChipsNeeded = Math.ceil(morePairsNeeded / Math.max(1, seeds));
      moreSeedsNeeded = Math.ceil(morePairsNeeded / Math.max(1, chips));
    }
  }
  return {
    a: { method: a.method, mode: a.mode },
    b: { method: b.method, mode: b.mode },
    pairs: d.length,
    chips,
    seeds,
    meanDifferencePp: m,
    sdDifferencePp: sd,
    ci95Pp,
    ciMethod: 'paired t (Student, n − 1 df)',
    pValue: signFlipPValue(d),
    decisive,
    morePairsNeeded,
    moreChipsNeeded,
    moreSeedsNeeded,
  };
}

/**
 * Two or more sweeps side by side (two device batches, two dates). For each method × mode the
 * difference of sweep k to the first sweep (k ≥ 1): paired t on the (seed, chip) units both
 * sweeps ran when they share at least 2 (the same chips re-measured), else Welch's two-sample
 * interval over the trials (different chips). See ./stats.ts for both.
 */
import { pairedDifferencesPp } from './paired.ts';
import { pairedTInterval95, mean, welchInterval95 } from './stats.ts';
import { spreadsOf } from './spreads.ts';
import type { GroupSummary, SweepSummary } from '../store/types.ts';
import type { Recommendation, SweepComparison, TrialOutcome, UnpairedComparison } from './types.ts';

export interface ComparedSweep {
  summary: Pick<SweepSummary, 'sweepId' | 'name' | 'planned' | 'groups'>;
  outcomes: readonly TrialOutcome[];
  recommendation: Recommendation | null;
}

const completedAccuracies = (outcomes: readonly TrialOutcome[], g: { method: string; mode: string }) =>
  outcomes.filter((t) => t.method === g.method && t.mode === g.mode && t.status === 'completed' && t.testAccuracy !== null).map((t) => 100 * t.testAccuracy!);

/** Sweep b's group minus sweep a's group (see the module comment). */
export function compareAcrossSweeps(
  key: { method: string; mode: string },
  a: { sweepId: string; outcomes: readonly TrialOutcome[] },
  b: { sweepId: string; outcomes: readonly TrialOutcome[] },
): UnpairedComparison | null {
  const xa = completedAccuracies(a.outcomes, key);
  const xb = completedAccuracies(b.outcomes, key);
  if (xa.length === 0 || xb.length === 0) return null;
  // Pair units across the sweeps: tag each sweep's outcomes with a distinct mode, then reuse the paired logic.
  const tagged = [
    ...a.outcomes.filter((t) => t.method === key.method && t.mode === key.mode).map((t) => ({ ...t, mode: 'a' })),
    ...b.outcomes.filter((t) => t.method === key.method && t.mode === key.mode).map((t) => ({ ...t, mode: 'b' })),
  ];
  const pairs = pairedDifferencesPp({ method: key.method, mode: 'b' }, { method: key.method, mode: 'a' }, tagged).map((p) => p.differencePp);
  const paired = pairs.length >= 2;
  const ci95Pp = paired ? pairedTInterval95(pairs) : welchInterval95(xb, xa);
  return {
    a: { ...key, sweepId: a.sweepId },
    b: { ...key, sweepId: b.sweepId },
    nA: paired ? pairs.length : xa.length,
    nB: paired ? pairs.length : xb.length,
    meanDifferencePp: paired ? mean(pairs) : mean(xb)! - mean(xa)!,
    ci95Pp,
    ciMethod: paired ? 'paired t (Student, n − 1 df)' : 'Welch t (Welch–Satterthwaite df)',
    decisive: ci95Pp !== null && (ci95Pp[0] > 0 || ci95Pp[1] < 0),
  };
}

export function compareSweeps(sweeps: readonly ComparedSweep[]): SweepComparison {
  const keys = new Map<string, { method: string; mode: string }>();
  for (const s of sweeps) for (const g of s.summary.groups) keys.set(`${g.method}|${g.mode}`, { method: g.method, mode: g.mode });
  const sorted = [...keys.values()].sort((a, b) => a.method.localeCompare(b.method) || a.mode.localeCompare(b.mode));
  const groupOf = (s: ComparedSweep, k: { method: string; mode: string }): GroupSummary | undefined =>
    s.summary.groups.find((g) => g.method === k.method && g.mode === k.mode);
  const first = sweeps[0];
  return {
    sweeps: sweeps.map((s) => ({
      sweepId: s.summary.sweepId,
      name: s.summary.name,
      completed: s.summary.groups.reduce((a, g) => a + g.completed, 0),
      planned: s.summary.planned,
    })),
    rows: sorted.map((k) => ({
      ...k,
      perSweep: sweeps.map((s) => {
        const g = groupOf(s, k);
        return g ? { sweepId: s.summary.sweepId, meanAccuracy: g.accuracy.mean, completed: g.completed, spreads: spreadsOf(g) } : null;
      }),
      differences: sweeps.slice(1).map((s) =>
        first ? compareAcrossSweeps(k, { sweepId: first.summary.sweepId, outcomes: first.outcomes }, { sweepId: s.summary.sweepId, outcomes: s.outcomes }) : null,
      ),
    })),
    recommendations: sweeps.map((s) => s.recommendation),
  };
}

/**
 * Pure aggregation logic of the store: which pre-aggregated summary documents a finished
 * trial contributes to, and how summary documents turn into the numbers the dashboard shows.
 *
 * The computed pattern. Each summary document holds, per metric x, the moments
 *   n = Σ 1,  s = Σ x,  q = Σ x²,  lo = min x,  hi = max x
 * maintained on write with `$inc`, `$min`, `$max` (no aggregation accumulators beyond `$sum`
 * are needed, so this runs on FerretDB 1.24 as on MongoDB 7). From them:
 *   mean = s / n,   sd = √( max(0, q − s²/n) / (n − 1) )  (sample sd; 0 when n = 1).
 * Spread across device instances: the chip's mean accuracy m_c = s_c / n_c is computed for each
 * chip c (mismatch seed) from its own summary document; the spread is the sample sd of the m_c
 * and the worst device is argmin_c m_c. The same for training seeds.
 *
 * The median of a group's test accuracy comes from a histogram of exact values kept in the group
 * document (`h.<value>` += 1), so no order statistic needs a scan of the trials.
 *
 * Convergence: the first epoch e whose validation accuracy reaches 90 % (95 %), and the wall
 * time Σ_{k ≤ e} wallTimeMs_k of epochs 1..e (EpochMetrics.wallTimeMs is the time of that epoch).

 * ROI, the recommendation and every other judgement of these numbers: shared/analysis.
 */
import { createHash } from 'node:crypto';
import { canonicalJson, type EpochMetrics, type TrialResult } from '../contracts/index.ts';
import type { GroupSummary, Stats, StatsWithMedian } from './types.ts';

export const FINAL_STATUSES = ['completed', 'failed', 'diverged', 'pruned'] as const;
export const ACTIVE_STATUSES = ['pending', 'running'] as const;

export type SummaryKind = 'group' | 'chip' | 'seed' | 'hp' | 'grid' | 'axis' | 'curve';

/** One summary document a trial adds itself to. */
export interface Contribution {
  id: string;
  kind: SummaryKind;
  key: Record<string, unknown>;
  /** metric name → the trial's value (adds to n, s, q, lo, hi). */
  values: Record<string, number>;
  /** counter name → increment. */
  counters: Record<string, number>;
  /** Values counted in the document's histogram `h` (exact order statistics). */
  histogram?: number[];
}

/** What the contribution logic needs to know about a finished trial. */
export interface FinishedTrial {
  trialId: string;
  method: string;
  mode: string;
  seed: number;
  mismatchSeed: number;
  config: Record<string, unknown>;
  result: Omit<TrialResult, 'epochs'>;
  epochs: readonly EpochMetrics[];
}

/** Axes that identify repetitions (seeds, chips) rather than hyperparameters. */
const NON_HYPERPARAMETER_AXES = new Set(['seed', 'chip.mismatchSeed', 'evaluateOnChips', 'method', 'mode']);

export function valueAt(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

export function summaryId(sweepId: string, kind: SummaryKind, key: Record<string, unknown>): string {
  const digest = createHash('sha256').update(canonicalJson(key)).digest('hex').slice(0, 20);
  return `${sweepId}|${kind}|${digest}`;
}

/**
 * Histogram key of a value: its shortest round-trip decimal form with '.' → '_' (field names
 * must not contain dots). Exact: valueOfHistogramKey(histogramKey(x)) === x. Test accuracies are
 * multiples of 1/testSize, so a group's histogram has at most testSize + 1 keys.
 */
export function histogramKey(x: number): string {
  return `v${String(x).replace('.', '_')}`;
}

export function valueOfHistogramKey(key: string): number {
  return Number(key.slice(1).replace('_', '.'));
}

/** Field-name-safe key of a trial id for the `applied` map of a summary document. */
export function appliedKey(trialId: string): string {
  return /^[A-Za-z0-9_-]{1,64}$/.test(trialId) ? `t${trialId}` : `h${createHash('sha256').update(trialId).digest('hex').slice(0, 32)}`;
}

/** First epoch reaching `threshold` validation accuracy and the wall time up to it; null if never. */
export function timeToReach(epochs: readonly EpochMetrics[], threshold: number): { epochs: number; wallTimeMs: number } | null {
  let wall = 0;
  for (const e of [...epochs].sort((a, b) => a.epoch - b.epoch)) {
    wall += e.wallTimeMs;
    if (e.validationAccuracy >= threshold) return { epochs: e.epoch, wallTimeMs: wall };
  }
  return null;
}

/** The chips a completed trial was tested on: its own (unless simulation) and chipEvaluations. */
export function chipAccuracies(t: Pick<FinishedTrial, 'mode' | 'mismatchSeed' | 'result'>): { mismatchSeed: number; testAccuracy: number }[] {
  const out = new Map<number, number>();
  if (t.mode !== 'simulation' && t.result.testAccuracy !== null) out.set(t.mismatchSeed, t.result.testAccuracy);
  for (const e of t.result.chipEvaluations) if (!out.has(e.mismatchSeed)) out.set(e.mismatchSeed, e.testAccuracy);
  return [...out].map(([mismatchSeed, testAccuracy]) => ({ mismatchSeed, testAccuracy }));
}

/** The swept hyperparameters of a trial (axis values other than seeds and chips). */
export function hyperparametersOf(config: Record<string, unknown>, axes: readonly string[]): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const axis of axes) if (!NON_HYPERPARAMETER_AXES.has(axis)) params[axis] = valueAt(config, axis) ?? null;
  return params;
}

/** Every summary document a finished trial adds to, for one sweep with the given axes. */
export function contributionsOf(sweepId: string, t: FinishedTrial, axes: readonly string[]): Contribution[] {
  const out: Contribution[] = [];
  const add = (kind: SummaryKind, key: Record<string, unknown>, values: Record<string, number>, counters: Record<string, number> = {}, histogram?: number[]) =>
    out.push({ id: summaryId(sweepId, kind, { kind, ...key }), kind, key, values, counters, ...(histogram ? { histogram } : {}) });
  const g = { method: t.method, mode: t.mode };
  const r = t.result;
  const completed = r.status === 'completed' && r.testAccuracy !== null;

  const groupValues: Record<string, number> = {
    wallTimeMs: r.wallTimeMs,
    hardwareTimeMs: r.hardwareTimeMs,
    energyJ: r.energyJ,
    chipRuns: r.chipRuns,
    readoutBytesPerSample: r.readoutBytesPerSample,
  };
  if (completed && r.testAccuracy !== null) {
    groupValues.accuracy = r.testAccuracy;
    for (const [name, threshold] of [['to90', 0.9], ['to95', 0.95]] as const) {
      const reached = timeToReach(t.epochs, threshold);
      if (reached) {
        groupValues[`${name}Epochs`] = reached.epochs;
        groupValues[`${name}WallTimeMs`] = reached.wallTimeMs;
      }
    }
  }
  add('group', g, groupValues, { finished: 1, [r.status]: 1 }, completed && r.testAccuracy !== null ? [r.testAccuracy] : undefined);
  if (!completed || r.testAccuracy === null) return out;
  const accuracy = r.testAccuracy;

  for (const chip of chipAccuracies(t)) add('chip', { ...g, mismatchSeed: chip.mismatchSeed }, { accuracy: chip.testAccuracy });
  add('seed', { ...g, seed: t.seed }, { accuracy });
  // as a list of {axis, value}: axis paths contain dots, which document keys must not
  const params = Object.entries(hyperparametersOf(t.config, axes)).map(([axis, value]) => ({ axis, value }));
  add('hp', { ...g, params }, { accuracy });
  const learningRate = valueAt(t.config, 'training.learningRate');
  const beta = valueAt(t.config, 'surrogate.beta');
  if (typeof learningRate === 'number' && typeof beta === 'number') add('grid', { ...g, learningRate, beta }, { accuracy });
  for (const axis of axes) {
    if (axis === 'method' || axis === 'mode') continue; // the group itself
    const value = valueAt(t.config, axis);
    if (value !== undefined) add('axis', { ...g, axis, value: JSON.stringify(value) }, { accuracy });
  }
  const curve: Record<string, number> = {};
  for (const e of t.epochs) curve[`e${e.epoch}`] = e.validationAccuracy;
  if (t.epochs.length > 0) add('curve', g, curve);
  return out;
}

/** The moments of one metric as stored in a summary document. */
export interface Moments {
  n: number;
  s: number;
  q: number;
  lo: number;
  hi: number;
}

export function statsOf(m: Partial<Moments> | undefined): Stats {
  const n = m?.n ?? 0;
  if (!m || n === 0 || m.s === undefined || m.q === undefined) return { count: 0, mean: null, sd: null, min: null, max: null };
  const mean = m.s / n;
  const sd = n < 2 ? 0 : Math.sqrt(Math.max(0, m.q - (m.s * m.s) / n) / (n - 1));
  return { count: n, mean, sd, min: m.lo ?? null, max: m.hi ?? null };
}

export function withMedian(stats: Stats, median: number | null): StatsWithMedian {
  return { ...stats, median };
}

/** What the lab must read off the device (docs/science/gradients.md#what-each-method-needs-from-the-device). */
export function measurementOf(method: string): GroupSummary['measurement'] {
  return method === 'surrogate' ? 'dense membrane traces' : 'spike times only';
}

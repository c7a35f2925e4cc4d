/**
 * Test helper: the sweep summary recomputed from raw TrialResults in plain TypeScript (two-pass
 * means and sds, sorting for medians), independent of the store's documents, and a comparison
 * that names the first field that differs. Used by the store's unit and contract tests.
 */
import type { SweepRecord, TrialResult } from '../../contracts/index.ts';
import type { Stats, SweepSummary } from '../types.ts';

function stats(values: number[]): Stats & { median: number | null } {
  const n = values.length;
  if (n === 0) return { count: 0, mean: null, sd: null, min: null, max: null, median: null };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n < 2 ? 0 : Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  const sorted = [...values].sort((a, b) => a - b);
  const median = n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return { count: n, mean, sd, min: sorted[0]!, max: sorted[n - 1]!, median };
}

const get = (o: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((c, k) => (c && typeof c === 'object' ? (c as Record<string, unknown>)[k] : undefined), o);

export interface ReferenceSummary {
  groups: Record<
    string,
    {
      finished: number;
      completed: number;
      failed: number;
      diverged: number;
      accuracy: ReturnType<typeof stats>;
      devices: ReturnType<typeof stats>;
      worstChip: number | null;
      seeds: ReturnType<typeof stats>;
      to90Epochs: ReturnType<typeof stats>;
      to95WallTimeMs: ReturnType<typeof stats>;
      wallTimeMs: ReturnType<typeof stats>;
      hardwareTimeMs: ReturnType<typeof stats>;
      energyJ: ReturnType<typeof stats>;
      chipRuns: ReturnType<typeof stats>;
      readoutBytesPerSample: ReturnType<typeof stats>;
    }
  >;
  grid: Record<string, ReturnType<typeof stats>>;
  axis: Record<string, ReturnType<typeof stats>>;
  chips: Record<string, ReturnType<typeof stats>>;
}

export function referenceSummary(sweep: SweepRecord, results: readonly TrialResult[]): ReferenceSummary {
  const planned = new Set(sweep.trials.map((t) => t.trialId));
  const mine = results.filter((r) => planned.has(r.trialId));
  const keyOf = (r: TrialResult) => `${String(r.config.method)}|${String(r.config.mode)}`;
  const out: ReferenceSummary = { groups: {}, grid: {}, axis: {}, chips: {} };
  const push = (m: Map<string, number[]>, k: string, v: number) => m.set(k, [...(m.get(k) ?? []), v]);
  for (const key of new Set(mine.map(keyOf))) {
    const rs = mine.filter((r) => keyOf(r) === key);
    const done = rs.filter((r) => r.status === 'completed' && r.testAccuracy !== null);
    const perChip = new Map<string, number[]>();
    const perSeed = new Map<string, number[]>();
    const to90: number[] = [];
    const to95Wall: number[] = [];
    for (const r of done) {
      const own = Number(get(r.config, 'chip.mismatchSeed'));
      const seen = new Set<number>();
      if (r.config.mode !== 'simulation') {
        push(perChip, String(own), r.testAccuracy!);
        seen.add(own);
      }
      for (const e of r.chipEvaluations) if (!seen.has(e.mismatchSeed)) push(perChip, String(e.mismatchSeed), e.testAccuracy);
      push(perSeed, String(r.config.seed), r.testAccuracy!);
      const i90 = r.epochs.findIndex((e) => e.validationAccuracy >= 0.9);
      if (i90 >= 0) to90.push(r.epochs[i90]!.epoch);
      const i95 = r.epochs.findIndex((e) => e.validationAccuracy >= 0.95);
      if (i95 >= 0) to95Wall.push(r.epochs.slice(0, i95 + 1).reduce((a, e) => a + e.wallTimeMs, 0));
    }
    const chipMeans = [...perChip].map(([seed, v]) => ({ seed: Number(seed), mean: stats(v).mean! }));
    chipMeans.sort((a, b) => a.mean - b.mean || a.seed - b.seed);
    out.groups[key] = {
      finished: rs.length,
      completed: done.length,
      failed: rs.filter((r) => r.status === 'failed').length,
      diverged: rs.filter((r) => r.status === 'diverged').length,
      accuracy: stats(done.map((r) => r.testAccuracy!)),
      devices: stats(chipMeans.map((c) => c.mean)),
      worstChip: chipMeans[0]?.seed ?? null,
      seeds: stats([...perSeed.values()].map((v) => stats(v).mean!)),
      to90Epochs: stats(to90),
      to95WallTimeMs: stats(to95Wall),
      wallTimeMs: stats(rs.map((r) => r.wallTimeMs)),
      hardwareTimeMs: stats(rs.map((r) => r.hardwareTimeMs)),
      energyJ: stats(rs.map((r) => r.energyJ)),
      chipRuns: stats(rs.map((r) => r.chipRuns)),
      readoutBytesPerSample: stats(rs.map((r) => r.readoutBytesPerSample)),
    };
    for (const [seed, v] of perChip) out.chips[`${key}|${seed}`] = stats(v);
  }
  const grid = new Map<string, number[]>();
  const axis = new Map<string, number[]>();
  for (const r of mine) {
    if (r.status !== 'completed' || r.testAccuracy === null) continue;
    push(grid, `${keyOf(r)}|${String(get(r.config, 'training.learningRate'))}|${String(get(r.config, 'surrogate.beta'))}`, r.testAccuracy);
    for (const a of sweep.axes.filter((x) => x !== 'method' && x !== 'mode')) push(axis, `${keyOf(r)}|${a}|${JSON.stringify(get(r.config, a))}`, r.testAccuracy);
  }
  for (const [k, v] of grid) out.grid[k] = stats(v);
  for (const [k, v] of axis) out.axis[k] = stats(v);
  return out;
}

/** The store's summary in the reference's shape (so the two can be compared field by field). */
export function summaryAsReference(s: SweepSummary): ReferenceSummary {
  const out: ReferenceSummary = { groups: {}, grid: {}, axis: {}, chips: {} };
  for (const g of s.groups) {
    out.groups[`${g.method}|${g.mode}`] = {
      finished: g.finished,
      completed: g.completed,
      failed: g.failed,
      diverged: g.diverged,
      accuracy: g.accuracy,
      devices: { count: g.devices.count, mean: g.devices.mean, sd: g.devices.sd, min: g.devices.min, max: g.devices.max, median: null },
      worstChip: g.devices.worst?.mismatchSeed ?? null,
      seeds: { ...g.seeds, median: null },
      to90Epochs: { ...g.convergence.to90.epochs, median: null },
      to95WallTimeMs: { ...g.convergence.to95.wallTimeMs, median: null },
      wallTimeMs: { ...g.cost.wallTimeMs, median: null },
      hardwareTimeMs: { ...g.cost.hardwareTimeMs, median: null },
      energyJ: { ...g.cost.energyJ, median: null },
      chipRuns: { ...g.cost.chipRuns, median: null },
      readoutBytesPerSample: { ...g.cost.readoutBytesPerSample, median: null },
    };
  }
  for (const c of s.chips) out.chips[`${c.method}|${c.mode}|${c.mismatchSeed}`] = { ...c.accuracy, median: null };
  for (const c of s.lrBetaGrid) out.grid[`${c.method}|${c.mode}|${c.learningRate}|${c.beta}`] = { ...c.accuracy, median: null };
  for (const c of s.byAxis) out.axis[`${c.method}|${c.mode}|${c.axis}|${JSON.stringify(c.value)}`] = { ...c.accuracy, median: null };
  return out;
}

/**
 * Differences between two summaries in reference shape, numbers compared with a relative
 * tolerance (sums of squares in a different order differ in the last bits). A `median: null`
 * on either side is not compared (the store keeps medians only for group accuracy).
 */
export function differences(a: unknown, b: unknown, tolerance = 1e-9, path = ''): string[] {
  if (typeof a === 'number' && typeof b === 'number') {
    return Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(a), Math.abs(b)) ? [] : [`${path}: ${a} ≠ ${b}`];
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    const out: string[] = [];
    for (const k of keys) {
      const x = (a as Record<string, unknown>)[k];
      const y = (b as Record<string, unknown>)[k];
      if (k === 'median' && (x === null || y === null)) continue;
      out.push(...differences(x, y, tolerance, path ? `${path}.${k}` : k));
    }
    return out;
  }
  return a === b ? [] : [`${path}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`];
}

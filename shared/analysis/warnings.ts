/**
 * Warnings that lead the page and the CLI summary, most severe first:
 *
 * - `sweep-incomplete` (critical): finished trials n < planned N; every number rests on n.
 * - `unconverged`: a group's mean validation accuracy still rises at the end of training —
 *   least-squares slope over the last min(4, E) epochs ≥ 0.3 pp per epoch (E epochs, E ≥ 3).
 * - `small-split`: a dataset split smaller than the Yin-Yang publication's (the DatasetConfig
 *   defaults: 5000 train, 1000 validation, 1000 test); the message gives the binomial standard
 *   error √(a(1 − a)/n_test) of one trial's test accuracy a.
 * - `diverged-trials`: trials that diverged or failed (they are not in the accuracy numbers);
 *   critical when they are more than a fifth of the finished trials.
 */
import { DatasetConfig } from '../contracts/trial-common.ts';
import type { GroupSummary, SweepSummary } from '../store/types.ts';
import { formatPercent, groupLabel } from './format.ts';
import type { AnalysisWarning, GroupKey, Stats } from './types.ts';

export const UNCONVERGED_WINDOW_EPOCHS = 4;
export const UNCONVERGED_SLOPE_PP_PER_EPOCH = 0.3;

/** Mean validation accuracy per epoch of a group (the store's curve bands). */
export interface CurveBand extends GroupKey {
  epochs: { epoch: number; accuracy: Stats }[];
}

export interface DatasetSizes {
  trainSize: number;
  validationSize: number;
  testSize: number;
}

/** Least-squares slope of y over x; null with fewer than 2 points. */
export function slope(points: readonly { x: number; y: number }[]): number | null {
  const n = points.length;
  if (n < 2) return null;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
  }
  return sxx === 0 ? null : sxy / sxx;
}

/** Slope in pp per epoch of the mean validation accuracy over the last epochs; null when too short. */
export function endSlopePpPerEpoch(band: CurveBand): number | null {
  const points = band.epochs
    .filter((e) => e.accuracy.mean !== null)
    .sort((a, b) => a.epoch - b.epoch)
    .slice(-UNCONVERGED_WINDOW_EPOCHS)
    .map((e) => ({ x: e.epoch, y: 100 * (e.accuracy.mean ?? 0) }));
  return points.length >= 3 ? slope(points) : null;
}

export function sweepWarnings(input: {
  summary: Pick<SweepSummary, 'planned' | 'byStatus' | 'groups'>;
  curveBands: readonly CurveBand[];
  datasets: readonly DatasetSizes[];
}): AnalysisWarning[] {
  const { summary } = input;
  const warnings: AnalysisWarning[] = [];
  const s = summary.byStatus;
  const finished = s.completed + s.failed + s.diverged + s.pruned;
  if (summary.planned > 0 && finished < summary.planned) {
    const open = [s.running > 0 ? `${s.running} running` : '', s.pending > 0 ? `${s.pending} pending` : ''].filter(Boolean).join(', ');
    warnings.push({
      code: 'sweep-incomplete',
      severity: 'critical',
      message: `Sweep incomplete: ${finished} of ${summary.planned} trials finished${open ? ` (${open})` : ''}; every number below rests on those ${finished}.`,
      groups: [],
    });
  }

  const rising = input.curveBands
    .map((band) => ({ band, slope: endSlopePpPerEpoch(band) }))
    .filter((x): x is { band: CurveBand; slope: number } => x.slope !== null && x.slope >= UNCONVERGED_SLOPE_PP_PER_EPOCH);
  if (rising.length > 0) {
    const lastEpoch = Math.max(...rising.map((r) => Math.max(...r.band.epochs.map((e) => e.epoch))));
    warnings.push({
      code: 'unconverged',
      severity: 'warning',
      message:
        `Unconverged: validation accuracy still rising after ${lastEpoch} epochs for ` +
        rising.map((r) => `${groupLabel(r.band)} (+${r.slope.toFixed(1)} pp/epoch)`).join(', ') +
        '; longer training may change the ranking.',
      groups: rising.map((r) => ({ method: r.band.method, mode: r.band.mode })),
    });
  }

  const reference = DatasetConfig.parse({});
  const small = input.datasets.filter(
    (d) => d.trainSize < reference.trainSize || d.validationSize < reference.validationSize || d.testSize < reference.testSize,
  );
  if (small.length > 0) {
    const d = [...small].sort((a, b) => a.testSize - b.testSize || a.trainSize - b.trainSize)[0]!;
    const accuracy = bestAccuracy(summary.groups) ?? 0.9;
    const sePp = 100 * Math.sqrt((accuracy * (1 - accuracy)) / d.testSize);
    warnings.push({
      code: 'small-split',
      severity: 'warning',
      message:
        `Small splits: ${d.trainSize} train / ${d.validationSize} validation / ${d.testSize} test samples ` +
        `(the Yin-Yang publication uses ${reference.trainSize} / ${reference.validationSize} / ${reference.testSize}); ` +
        `one trial's test accuracy near ${formatPercent(accuracy)} % has a binomial standard error of ±${sePp.toFixed(1)} pp.`,
      groups: [],
    });
  }

  const unstable = summary.groups.filter((g) => g.diverged + g.failed > 0);
  if (unstable.length > 0) {
    const count = unstable.reduce((a, g) => a + g.diverged + g.failed, 0);
    warnings.push({
      code: 'diverged-trials',
      severity: finished > 0 && count / finished > 0.2 ? 'critical' : 'warning',
      message:
        `${count} of ${finished} finished trials diverged or failed (` +
        unstable.map((g) => `${groupLabel(g)}: ${g.diverged} diverged, ${g.failed} failed`).join('; ') +
        '); they are left out of the accuracy numbers.',
      groups: unstable.map((g) => ({ method: g.method, mode: g.mode })),
    });
  }
  const rank = { critical: 0, warning: 1 } as const;
  return warnings.sort((a, b) => rank[a.severity] - rank[b.severity]);
}

function bestAccuracy(groups: readonly GroupSummary[]): number | null {
  const means = groups.map((g) => g.accuracy.mean).filter((m): m is number => m !== null);
  return means.length > 0 ? Math.max(...means) : null;
}

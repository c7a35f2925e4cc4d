/**
 * The recommendation and its confidence.
 *
 * Choice: among groups that ran on chips (in-the-loop, transfer; all groups if none did) with
 * a completed trial, the highest mean test accuracy; ties go to the lower mean wall time. The
 * runner-up is the best group of another method (else the next group). Cost is compared on mean
 * hardware time when both used the chip, else on mean wall time.
 *
 * Confidence: the paired comparison (./paired.ts) of the recommended group against the
 * runner-up on their shared (seed, chip) units. Decisive when the 95 % interval of the mean
 * difference excludes 0; otherwise the sentence says how many more chips or seeds would likely
 * make it so (if the observed mean and sd of the differences held).
 */
import type { GroupSummary } from '../store/types.ts';
import { formatInterval, formatPercent, formatPp, formatSpread, groupLabel } from './format.ts';
import { comparePaired } from './paired.ts';
import { roiOf } from './roi.ts';
import { headlineSpread } from './spreads.ts';
import type { Confidence, PairedComparison, Recommendation, TrialOutcome } from './types.ts';

const ON_CHIP_MODES = new Set(['in-the-loop', 'transfer', 'robust-transfer']);

/** The group a sweep recommends and the group it is weighed against; null without a completed trial. */
export function rankGroups(groups: readonly GroupSummary[]): { best: GroupSummary; runnerUp: GroupSummary | null } | null {
  const withAccuracy = groups.filter((g) => g.accuracy.mean !== null);
  const onChip = withAccuracy.filter((g) => ON_CHIP_MODES.has(g.mode));
  const candidates = [...(onChip.length > 0 ? onChip : withAccuracy)].sort(
    (a, b) => (b.accuracy.mean ?? 0) - (a.accuracy.mean ?? 0) || (a.cost.wallTimeMs.mean ?? 0) - (b.cost.wallTimeMs.mean ?? 0),
  );
  const best = candidates[0];
  if (!best) return null;
  return { best, runnerUp: candidates.find((g) => g.method !== best.method) ?? candidates[1] ?? null };
}

/** The confidence statement of a comparison of the recommended group (a) with the runner-up (b). */
export function confidenceOf(comparison: PairedComparison | null): Confidence {
  if (!comparison) return { level: 'no comparison', comparison: null, statement: 'no other group to compare with' };
  const { a, b, pairs } = comparison;
  const units = `${pairs} shared chip × seed pair${pairs === 1 ? '' : 's'}`;
  if (pairs < 2 || comparison.ci95Pp === null) {
    return {
      level: 'not decisive',
      comparison,
      statement: `not decisive: ${groupLabel(a)} and ${groupLabel(b)} share ${units}; a confidence interval needs at least 2`,
    };
  }
  const lead = `${groupLabel(a)} vs ${groupLabel(b)}: ${formatPp(comparison.meanDifferencePp)}, 95 % CI ${formatInterval(comparison.ci95Pp)} (paired over ${units})`;
  if (comparison.decisive) return { level: 'decisive', comparison, statement: `decisive: ${lead}` };
  const more =
    comparison.morePairsNeeded === null
      ? 'the difference is too small to resolve with any practical number of chips or seeds'
      : `about ${comparison.moreChipsNeeded} more chip${comparison.moreChipsNeeded === 1 ? '' : 's'} or ${comparison.moreSeedsNeeded} more seed${comparison.moreSeedsNeeded === 1 ? '' : 's'} would likely make it decisive`;
  return { level: 'not decisive', comparison, statement: `not decisive: ${lead} includes 0; ${more}` };
}

export function recommend(groups: readonly GroupSummary[], outcomes: readonly TrialOutcome[]): Recommendation | null {
  const ranked = rankGroups(groups);
  const meanAccuracy = ranked?.best.accuracy.mean ?? null;
  if (!ranked || meanAccuracy === null) return null;
  const { best, runnerUp } = ranked;
  let comparedWith: Recommendation['comparedWith'] = null;
  if (runnerUp) {
    const useHardware = (best.cost.hardwareTimeMs.mean ?? 0) > 0 && (runnerUp.cost.hardwareTimeMs.mean ?? 0) > 0;
    const measure = useHardware ? 'hardwareTimeMs' : 'wallTimeMs';
    const mine = best.cost[measure].mean ?? 0;
    const theirs = runnerUp.cost[measure].mean ?? 0;
    comparedWith = { method: runnerUp.method, mode: runnerUp.mode, costRatio: mine > 0 ? theirs / mine : null, costMeasure: measure };
  }
  const confidence = confidenceOf(runnerUp ? comparePaired(best, runnerUp, outcomes) : null);
  const spread = headlineSpread(best);
  const parts = [`${groupLabel(best)} on these devices: ${formatPercent(meanAccuracy)} % ${formatSpread(spread)}`];
  if (best.devices.worst) parts.push(`worst chip ${formatPercent(best.devices.worst.meanAccuracy)} %`);
  parts.push(`needs ${best.measurement}`);
  if (comparedWith && comparedWith.costRatio !== null && runnerUp) {
    const what = comparedWith.costMeasure === 'hardwareTimeMs' ? 'in hardware time' : 'in wall time';
    const r = comparedWith.costRatio;
    parts.push(
      r >= 1.05
        ? `${r.toFixed(1)}× cheaper ${what} than ${groupLabel(runnerUp)}`
        : r > 1 / 1.05
          ? `about as costly ${what} as ${groupLabel(runnerUp)}`
          : `${(1 / r).toFixed(1)}× costlier ${what} than ${groupLabel(runnerUp)}`,
    );
  }
  const opening = confidence.statement.charAt(0).toUpperCase() + confidence.statement.slice(1);
  return {
    method: best.method,
    mode: best.mode,
    meanAccuracy,
    spread,
    chips: best.devices.count,
    worstDevice: best.devices.worst,
    measurement: best.measurement,
    meanWallTimeMs: best.cost.wallTimeMs.mean,
    meanHardwareTimeMs: best.cost.hardwareTimeMs.mean,
    roi: roiOf(best, groups),
    comparedWith,
    confidence,
    sentence: `${opening}. ${parts.join(', ')}.`,
  };
}

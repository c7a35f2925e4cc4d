/**
 * The analysis module: what a decision rests on, computed from what the store reads. Pure
 * functions, no I/O; the CLI summary, the results API, the dashboard and the report all call
 * these, so every number and sentence reads the same everywhere.
 *
 * - statistics (./stats.ts): mean, sample sd, paired t and Welch 95 % intervals, the exact
 *   sign-flip test, pairs needed for a decisive interval
 * - spreads (./spreads.ts): the three named spreads (sd over trials, chip means, seed means)
 * - paired comparisons (./paired.ts) on the same chips and seeds; recommendation with its
 *   confidence (./recommend.ts); ROI against the transfer baseline (./roi.ts)
 * - warnings (./warnings.ts): incomplete, unconverged, small splits, diverged trials
 * - parameter importance (./importance.ts, fANOVA first-order shares on the observed grid) and
 *   the Pareto front of accuracy, chip time and read-out bytes (./pareto.ts)
 * - the cost model for planned trials (./cost-model.ts); sweeps side by side (./compare.ts)
 * - number formatting (./format.ts)
 */
export type * from './types.ts';
export { analyzeSweep, type AnalysisInput } from './analyze.ts';
export { compareAcrossSweeps, compareSweeps, type ComparedSweep } from './compare.ts';
export { COST_CONSTANTS, estimateSweepCost, estimateTrialCost } from './cost-model.ts';
export {
  formatBytes,
  formatDurationMs,
  formatEnergyJ,
  formatInterval,
  formatPercent,
  formatPp,
  formatShare,
  formatSpread,
  groupLabel,
  MISSING,
} from './format.ts';
export { parameterImportance } from './importance.ts';
export { comparePaired, pairedDifferencesPp, unitMeans } from './paired.ts';
export { paretoFront } from './pareto.ts';
export { confidenceOf, rankGroups, recommend } from './recommend.ts';
export { roiOf } from './roi.ts';
export { headlineSpread, namedSpread, SPREADS, spreadsOf } from './spreads.ts';
export { mean, pairedTInterval95, pairsForDecisive, sampleSd, signFlipPValue, statsOfValues, tQuantile, welchInterval95 } from './stats.ts';
export {
  endSlopePpPerEpoch,
  slope,
  sweepWarnings,
  UNCONVERGED_SLOPE_PP_PER_EPOCH,
  UNCONVERGED_WINDOW_EPOCHS,
  type CurveBand,
  type DatasetSizes,
} from './warnings.ts';

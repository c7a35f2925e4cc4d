/**
 * The whole analysis of one sweep from what the store reads (summary, outcomes, curve bands,
 * the planned trials' dataset sizes). Pure: the same input gives the same analysis.
 */
import type { SweepSummary } from '../store/types.ts';
import { parameterImportance } from './importance.ts';
import { comparePaired } from './paired.ts';
import { paretoFront } from './pareto.ts';
import { rankGroups, recommend } from './recommend.ts';
import { roiOf } from './roi.ts';
import { spreadsOf } from './spreads.ts';
import type { SweepAnalysis, TrialOutcome } from './types.ts';
import { sweepWarnings, type CurveBand, type DatasetSizes } from './warnings.ts';

export interface AnalysisInput {
  summary: SweepSummary;
  outcomes: readonly TrialOutcome[];
  curveBands: readonly CurveBand[];
  datasets: readonly DatasetSizes[];
}

export function analyzeSweep(input: AnalysisInput): SweepAnalysis {
  const { summary, outcomes } = input;
  const ranked = rankGroups(summary.groups);
  const best = ranked?.best ?? null;
  return {
    sweepId: summary.sweepId,
    name: summary.name,
    warnings: sweepWarnings(input),
    recommendation: recommend(summary.groups, outcomes),
    groups: summary.groups.map((g) => ({
      method: g.method,
      mode: g.mode,
      meanAccuracy: g.accuracy.mean,
      completed: g.completed,
      spreads: spreadsOf(g),
      roi: roiOf(g, summary.groups),
    })),
    comparisons: best
      ? summary.groups
          .filter((g) => !(g.method === best.method && g.mode === best.mode) && g.accuracy.mean !== null)
          .map((g) => comparePaired(best, g, outcomes))
          .filter((c) => c.pairs > 0)
      : [],
    importance: parameterImportance(outcomes),
    pareto: paretoFront(summary.groups),
  };
}

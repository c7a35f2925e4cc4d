import { analyzeSweep, roiOf, SPREADS, type Recommendation, type Roi, type SweepAnalysis } from '../analysis/index.ts';
import type { DatasetSizes } from '../analysis/warnings.ts';
import type { GroupSummary, ResultStore, SweepSummary } from '../store/types.ts';

/**
 * A sweep's summary as the CLI, the API and the dashboard show it: the store's aggregates
 * (SweepSummary) with what shared/analysis makes of them — each group's ROI, the recommendation
 * with its confidence, and the whole analysis (warnings first, named spreads, paired
 * comparisons, importance, Pareto front).
 */
export interface AnalyzedSummary extends Omit<SweepSummary, 'groups'> {
  groups: (GroupSummary & { roi: Roi | null })[];
  recommendation: Recommendation | null;
  analysis: SweepAnalysis;
  /** What each named spread is (shared/analysis SPREADS), for legends. */
  spreadDefinitions: typeof SPREADS;
}

/** Distinct dataset split sizes of a sweep's planned trials. */
export function datasetsOf(trials: readonly { config: Record<string, unknown> }[]): DatasetSizes[] {
  const seen = new Map<string, DatasetSizes>();
  for (const t of trials) {
    const d = (t.config.dataset ?? {}) as Partial<DatasetSizes>;
    const sizes = { trainSize: Number(d.trainSize ?? 5000), validationSize: Number(d.validationSize ?? 1000), testSize: Number(d.testSize ?? 1000) };
    seen.set(`${sizes.trainSize}|${sizes.validationSize}|${sizes.testSize}`, sizes);
  }
  return [...seen.values()];
}

/** Reads what the analysis needs from the store and analyses it. */
export async function readAnalyzedSummary(store: ResultStore, sweepId: string): Promise<AnalyzedSummary> {
  const [summary, outcomes, curveBands, sweep] = await Promise.all([
    store.getSummary(sweepId),
    store.getOutcomes(sweepId),
    store.getCurveBands(sweepId),
    store.getSweep(sweepId),
  ]);
  const analysis = analyzeSweep({ summary, outcomes, curveBands, datasets: datasetsOf(sweep?.trials ?? []) });
  return {
    ...summary,
    groups: summary.groups.map((g) => ({ ...g, roi: roiOf(g, summary.groups) })),
    recommendation: analysis.recommendation,
    analysis,
    spreadDefinitions: SPREADS,
  };
}

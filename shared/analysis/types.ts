/**
 * Types of the analysis module (see ./index.ts). The analysis reads what the store keeps —
 * a sweep's pre-aggregated summary and one outcome row per trial — and turns it into what a
 * decision rests on. Accuracies are fractions 0..1; differences and spreads that are shown to
 * people are in percentage points (pp) and say so in their names.
 */

/** count, mean, sd (sample, n − 1; 0 when n < 2), min, max; nulls when count is 0. */
export interface Stats {
  count: number;
  mean: number | null;
  sd: number | null;
  min: number | null;
  max: number | null;
}

export interface StatsWithMedian extends Stats {
  median: number | null;
}

/** A method × mode group. */
export interface GroupKey {
  method: string;
  mode: string;
}

/** One trial as the analysis needs it (the store's `getOutcomes`). */
export interface TrialOutcome extends GroupKey {
  trialId: string;
  /** Training seed. */
  seed: number;
  /** Mismatch seed of the chip the trial trained on (in-the-loop) or was deployed on (transfer). */
  mismatchSeed: number;
  status: 'pending' | 'running' | 'completed' | 'failed' | 'diverged' | 'pruned';
  /** Test accuracy on the trial's own chip (simulation: in simulation); null unless completed. */
  testAccuracy: number | null;
  /** Values of the sweep's axes other than method, mode, seed and chip (hyperparameters). */
  params: Record<string, unknown>;
}

/** The names of the three spreads the project shows; see SPREADS for their definitions. */
export type SpreadName = 'sdOverTrials' | 'sdOverChipMeans' | 'sdOverSeedMeans';

/** A spread with its name, what it is computed over, and its value in pp. */
export interface NamedSpread {
  name: SpreadName;
  /** Short label to print next to the number, e.g. "sd over chip means". */
  label: string;
  /** Number of values the sd is taken over (trials, chips or seeds). */
  n: number;
  /** Sample sd (n − 1) in percentage points; null when n < 2. */
  sdPp: number | null;
  /** How it is printed everywhere (formatSpread), e.g. "± 2.4 pp (sd over chip means, 5 chips)". */
  text: string;
}

export interface Roi {
  /** Which group is the baseline (`transfer` mode of the same method, else the best transfer group). */
  baseline: GroupKey;
  /** Mean accuracy minus the baseline's, in percentage points. */
  accuracyGainPp: number;
  addedWallTimeMs: number;
  addedHardwareTimeMs: number;
  addedEnergyJ: number;
  /** Gain per added unit of cost; null when the added cost is ≤ 0. */
  ppPerWallHour: number | null;
  ppPerHardwareSecond: number | null;
  ppPerJoule: number | null;
}

/**
 * Paired comparison of group `a` against group `b` on the trials they share: the same training
 * seed and the same chip (mismatch seed) and, where hyperparameters are swept, the mean over them.
 * Difference d_i = acc_a,i − acc_b,i in pp for each shared (seed, chip) unit i.
 */
export interface PairedComparison {
  a: GroupKey;
  b: GroupKey;
  /** Number of shared (seed, chip) units. */
  pairs: number;
  /** Distinct chips and seeds among the pairs. */
  chips: number;
  seeds: number;
  /** Mean paired difference, pp (a − b). */
  meanDifferencePp: number | null;
  /** Sample sd of the paired differences, pp. */
  sdDifferencePp: number | null;
  /** 95 % confidence interval of the mean difference, pp; null with fewer than 2 pairs. */
  ci95Pp: [number, number] | null;
  /** How the interval was computed. */
  ciMethod: 'paired t (Student, n − 1 df)';
  /** Two-sided p-value of the exact sign-flip permutation test (all 2^n sign patterns up to n = 16, else 2^16 seeded draws). */
  pValue: number | null;
  /** The interval excludes 0. */
  decisive: boolean;
  /**
   * When not decisive: the extra pairs, chips (each adds one pair per seed) and seeds (each adds
   * one pair per chip) after which the interval would likely exclude 0 if the observed mean and
   * sd held; null when decisive, or when the difference is too small to resolve (> 10,000 pairs).
   */
  morePairsNeeded: number | null;
  moreChipsNeeded: number | null;
  moreSeedsNeeded: number | null;
}

/** Two-sample (Welch) comparison, for groups of different sweeps that share no trials. */
export interface UnpairedComparison {
  a: GroupKey & { sweepId: string };
  b: GroupKey & { sweepId: string };
  nA: number;
  nB: number;
  meanDifferencePp: number | null;
  ci95Pp: [number, number] | null;
  ciMethod: 'Welch t (Welch–Satterthwaite df)' | 'paired t (Student, n − 1 df)';
  decisive: boolean;
}

/** How sure the recommendation is. */
export interface Confidence {
  /** decisive: the 95 % CI of the paired difference to the runner-up excludes 0. */
  level: 'decisive' | 'not decisive' | 'no comparison';
  comparison: PairedComparison | null;
  /** One sentence, e.g. "ahead by 4.6 pp (95 % CI 1.2 to 8.0, 6 pairs): decisive". */
  statement: string;
}

export interface Recommendation extends GroupKey {
  meanAccuracy: number;
  /** The spread the sentence quotes (sd over chip means when chips were evaluated, else over trials). */
  spread: NamedSpread;
  chips: number;
  worstDevice: { mismatchSeed: number; meanAccuracy: number } | null;
  measurement: 'spike times only' | 'dense membrane traces';
  meanWallTimeMs: number | null;
  meanHardwareTimeMs: number | null;
  roi: Roi | null;
  /** The runner-up it is compared with, and the cost ratio (runner-up cost / this cost). */
  comparedWith: (GroupKey & { costRatio: number | null; costMeasure: 'hardwareTimeMs' | 'wallTimeMs' }) | null;
  confidence: Confidence;
  /** One plain sentence for managers; it opens with the confidence. */
  sentence: string;
}

export type WarningCode = 'sweep-incomplete' | 'unconverged' | 'small-split' | 'diverged-trials';

/** A warning that leads the page and the CLI summary, most severe first. */
export interface AnalysisWarning {
  code: WarningCode;
  severity: 'critical' | 'warning';
  message: string;
  /** Groups it concerns (empty: the whole sweep). */
  groups: GroupKey[];
}

/** Importance of one swept axis. */
export interface AxisImportance {
  axis: string;
  /** Share of the variance of the cell means explained by this axis alone (0..1). */
  share: number;
  /** Levels of the axis seen. */
  levels: number;
}

export interface ImportanceResult {
  estimator: 'fANOVA first-order variance shares on the observed grid';
  /** Axes sorted by share, largest first. */
  axes: AxisImportance[];
  /** 1 − Σ shares: variance left to interactions (0 on an additive response). */
  interactionShare: number;
  /** Cells (distinct axis-value combinations) with a completed trial, of the full grid. */
  cells: number;
  gridCells: number;
  /** Variance of the cell means, pp². */
  totalVariancePp2: number;
}

export interface ParetoPoint extends GroupKey {
  meanAccuracy: number;
  /** Mean chip (hardware) time per trial, ms. */
  hardwareTimeMs: number;
  readoutBytesPerSample: number;
  /** Not dominated: no other point is at least as good on all three and better on one. */
  onFront: boolean;
  /** Points that dominate it. */
  dominatedBy: GroupKey[];
}

/** Everything the analysis says about one group. */
export interface GroupAnalysis extends GroupKey {
  meanAccuracy: number | null;
  completed: number;
  spreads: NamedSpread[];
  roi: Roi | null;
}

export interface SweepAnalysis {
  sweepId: string;
  name: string | null;
  /** Most severe first; the page and the CLI show them before anything else. */
  warnings: AnalysisWarning[];
  recommendation: Recommendation | null;
  groups: GroupAnalysis[];
  /** The recommended group against every other group with shared trials. */
  comparisons: PairedComparison[];
  /** Per method × mode over the swept hyperparameters; null when no hyperparameter is swept. */
  importance: ImportanceResult | null;
  pareto: ParetoPoint[];
}

/** Estimated cost of running trials before they run (the cost model). */
export interface CostEstimate {
  trials: number;
  /** CPU time, ms (single core, summed over trials). */
  cpuMs: number;
  /** Emulated chip time, ms. */
  hardwareTimeMs: number;
  /** Chip sample presentations. */
  chipRuns: number;
  byMethod: { method: string; mode: string; trials: number; cpuMs: number; hardwareTimeMs: number }[];
}

/** Two or more sweeps side by side. */
export interface SweepComparison {
  sweeps: { sweepId: string; name: string | null; completed: number; planned: number }[];
  /** Per method × mode present in any sweep: each sweep's numbers and the difference to the first sweep. */
  rows: {
    method: string;
    mode: string;
    perSweep: ({ sweepId: string; meanAccuracy: number | null; completed: number; spreads: NamedSpread[] } | null)[];
    /** Sweep k (k ≥ 1) minus sweep 0; null where either has no completed trial. */
    differences: (UnpairedComparison | null)[];
  }[];
  /** Recommendation of each sweep, in order. */
  recommendations: (Recommendation | null)[];
}

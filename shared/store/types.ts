/**
 * The result store: the one place where sweeps, trials, per-epoch metrics, per-chip
 * evaluations and pre-aggregated sweep summaries live.
 *
 * One write path, `apply(message)`, used by the results service (distributed mode, MongoDB)
 * and by the embedded runner (in process, `createEmbeddedStore`). Every message is idempotent:
 * applying it twice, or again after a crash between two writes, changes nothing.
 * Everything else reads. Both factories run the same store code over a small collection
 * interface, so embedded and distributed modes show the same numbers.
 */
import type { EpochMetrics, MethodName, Mode, ResultsMessage, SweepRecord, TrialResult } from '../contracts/index.ts';
import type { Stats, StatsWithMedian, TrialOutcome } from '../analysis/types.ts';

export type { Stats, StatsWithMedian, TrialOutcome };

/** Status of a trial document: planned (`pending`), picked up (`running`), or a final TrialStatus. */
export type StoredTrialStatus = 'pending' | 'running' | TrialResult['status'];

/** A trial as the store keeps it: planned config, progress, and (once finished) its result. */
export interface TrialRow {
  trialId: string;
  sweepIds: string[];
  method: string;
  mode: string;
  seed: number;
  mismatchSeed: number;
  config: Record<string, unknown>;
  status: StoredTrialStatus;
  attempt: number;
  workerId: string | null;
  startedAt: string | null;
  heartbeatAt: string | null;
  finishedAt: string | null;
  /** Epochs reported so far (also when still running). */
  epochsDone: number;
  /** Last validation accuracy reported by a `trial-epoch` message. */
  lastValidationAccuracy: number | null;
  /** The final result without its per-epoch array (that is in `getCurves`); null until finished. */
  result: Omit<TrialResult, 'epochs'> | null;
}

export type TrialSortField =
  | 'testAccuracy'
  | 'validationAccuracy'
  | 'wallTimeMs'
  | 'hardwareTimeMs'
  | 'energyJ'
  | 'finishedAt'
  | 'trialId'
  | 'seed'
  | 'mismatchSeed';

export interface TrialQuery {
  status?: StoredTrialStatus | StoredTrialStatus[];
  method?: string;
  mode?: string;
  sort?: { field: TrialSortField; direction: 'asc' | 'desc' };
  /** 0-based offset and page size (default 50, at most 1000). */
  offset?: number;
  limit?: number;
  /** Only these top-level TrialRow fields (trialId is always included). */
  fields?: (keyof TrialRow)[];
}

export interface TrialPage {
  total: number;
  offset: number;
  limit: number;
  trials: Partial<TrialRow>[];
}

/** Per method × mode: everything the dashboard's cards and tables show. */
export interface GroupSummary {
  method: MethodName | string;
  mode: Mode | string;
  /** Trials with a final result, by final status. */
  finished: number;
  completed: number;
  failed: number;
  diverged: number;
  pruned: number;
  /** Test accuracy of completed trials (each trial on its own chip), fractions 0..1. */
  accuracy: StatsWithMedian;
  /** Per-chip mean accuracy across device instances (from chipEvaluations and the trial's own chip). */
  devices: Stats & { worst: { mismatchSeed: number; meanAccuracy: number } | null };
  /** Per-training-seed mean accuracy across seeds. */
  seeds: Stats;
  /** Share of finished trials that diverged or failed. */
  unstableShare: number | null;
  convergence: {
    to90: { reached: number; share: number | null; epochs: Stats; wallTimeMs: Stats };
    to95: { reached: number; share: number | null; epochs: Stats; wallTimeMs: Stats };
  };
  /** Means over finished trials. */
  cost: {
    wallTimeMs: Stats;
    hardwareTimeMs: Stats;
    energyJ: Stats;
    chipRuns: Stats;
    readoutBytesPerSample: Stats;
  };
  /** What the lab must observe on the device for this method. */
  measurement: 'spike times only' | 'dense membrane traces';
}

export interface SweepSummary {
  sweepId: string;
  name: string | null;
  status: SweepRecord['status'] | null;
  planned: number;
  byStatus: Record<StoredTrialStatus, number>;
  axes: string[];
  groups: GroupSummary[];
  /** Per method: simulation mean accuracy minus each on-chip mode's mean, in percentage points. */
  simToChipGap: { method: string; mode: string; gapPp: number }[];
  /** Per method: the hyperparameter set (config without seeds and chip) with the best mean accuracy. */
  bestHyperparameters: {
    method: string;
    mode: string;
    params: Record<string, unknown>;
    accuracy: Stats;
  }[];
  /** Mean accuracy on the training.learningRate × surrogate.beta grid, per method × mode. */
  lrBetaGrid: { method: string; mode: string; learningRate: number; beta: number; accuracy: Stats }[];
  /** Accuracy against each swept axis value, per method × mode. */
  byAxis: { axis: string; value: unknown; method: string; mode: string; accuracy: Stats }[];
  /** Per chip (device instance), per method × mode. */
  chips: { mismatchSeed: number; method: string; mode: string; accuracy: Stats }[];
  /** When the summary was read (ISO time). */
  computedAt: string;
}

/** One trial's learning curve. */
export interface TrialCurve {
  trialId: string;
  epochs: EpochMetrics[];
}

export interface SweepListItem {
  sweepId: string;
  name: string;
  createdAt: string;
  status: SweepRecord['status'];
  planned: number;
  axes: string[];
}

export type { FieldSummary } from './field.ts';
import type { FieldSummary } from './field.ts';

export interface ResultStore {
  /** The single write path. Idempotent. Throws ServiceUnavailableError when the database is unreachable. */
  apply(message: ResultsMessage): Promise<void>;
  /**
   * Applies many messages with few round trips (the results service's batches); the same end
   * state as applying them one by one in any order. Idempotent, like `apply`.
   */
  applyMany(messages: readonly ResultsMessage[]): Promise<void>;
  getSweep(sweepId: string): Promise<SweepRecord | null>;
  listSweeps(options?: { offset?: number; limit?: number }): Promise<SweepListItem[]>;
  listTrials(sweepId: string, query?: TrialQuery): Promise<TrialPage>;
  /** The stored status of each given trial that the store knows (one light query per 1000 ids); for resume. */
  getStatuses(trialIds: readonly string[]): Promise<Map<string, StoredTrialStatus>>;
  /** Final results (with epochs) of the given trial ids that have finished; for resume. */
  getResults(trialIds: string[]): Promise<TrialResult[]>;
  getSummary(sweepId: string): Promise<SweepSummary>;
  /** One row per planned trial for the analysis (shared/analysis): group, seed, chip, status, accuracy, hyperparameters. */
  getOutcomes(sweepId: string): Promise<TrialOutcome[]>;
  /** Field-conditions views (accuracy vs temperature / age, maintenance policy costs) of the sweep's trials with an operation study (./field.ts). */
  getFieldSummary(sweepId: string): Promise<FieldSummary>;
  /** Learning curves of the given trials (missing ids are left out). */
  getCurves(trialIds: string[]): Promise<TrialCurve[]>;
  /**
   * Learning-curve bands per method × mode: for each epoch, mean and sd of validation
   * accuracy over the group's trials (from pre-aggregated per-epoch summaries).
   */
  getCurveBands(sweepId: string): Promise<{ method: string; mode: string; epochs: { epoch: number; accuracy: Stats }[] }[]>;
  /** Deletes and recomputes every summary of the sweep from its trial documents. */
  rebuildSummaries(sweepId: string): Promise<void>;
  /** Database reachable? */
  ping(): Promise<boolean>;
  /** Safe to call twice. */
  close(): Promise<void>;
}

export interface MongoStoreOptions {
  url: string;
  dbName: string;
}

export interface EmbeddedStoreOptions {
  /** Directory persisted to; omitted = in memory only. */
  dir?: string;
}

import { SweepRecord, TrialResult, canonicalJson, type EpochMetrics } from '../contracts/index.ts';
import { statsOfValues } from '../analysis/stats.ts';
import { FINAL_STATUSES, hyperparametersOf, measurementOf, statsOf, valueOfHistogramKey, withMedian, type Moments } from './aggregates.ts';
import type { Doc, DocCollection } from './collection.ts';
import type { StoreCollections } from './layout.ts';
import type {
  GroupSummary,
  Stats,
  StoredTrialStatus,
  SweepListItem,
  SweepSummary,
  TrialCurve,
  TrialOutcome,
  TrialPage,
  TrialQuery,
  TrialRow,
} from './types.ts';
import { fieldSummaryOf, type FieldRow, type FieldSummary } from './field.ts';

const TRIAL_ROW_DEFAULTS: Partial<TrialRow> = {
  sweepIds: [],
  status: 'pending',
  attempt: 0,
  workerId: null,
  startedAt: null,
  heartbeatAt: null,
  finishedAt: null,
  epochsDone: 0,
  lastValidationAccuracy: null,
  result: null,
};

/**
 * The store's reads: sweeps, paged trials, results and curves, and the summary of a sweep from
 * its pre-aggregated documents (./aggregates.ts) without a scan of the trials. What the numbers
 * mean for a decision (ROI, recommendation, confidence, warnings) is shared/analysis's.
 */
export class SummaryReads {
  private readonly sweeps: DocCollection;
  private readonly plans: DocCollection;
  private readonly trials: DocCollection;
  private readonly curves: DocCollection;
  private readonly chips: DocCollection;
  private readonly curveSummaries: DocCollection;
  private readonly summaries: DocCollection;
  private readonly meta: DocCollection;

  constructor(c: StoreCollections) {
    this.sweeps = c.sweeps;
    this.plans = c.plans;
    this.trials = c.trials;
    this.curves = c.curves;
    this.chips = c.chips;
    this.summaries = c.summaries;
    this.meta = c.meta;
    this.curveSummaries = c.curveSummaries;
  }


  async getSweep(sweepId: string): Promise<SweepRecord | null> {
    const doc = await this.sweeps.findOne({ _id: sweepId });
    if (!doc || typeof doc.name !== 'string') return null;
    const chunks = await this.plans.find({ sweepId }, { sort: { chunk: 1 } });
    return SweepRecord.parse({
      sweepId,
      name: doc.name,
      spec: typeof doc.spec === 'string' ? JSON.parse(doc.spec) : doc.spec,
      createdAt: doc.createdAt,
      axes: doc.axes,
      status: doc.status,
      trials: chunks.flatMap((c) => c.trials as SweepRecord['trials']),
    });
  }

  async listSweeps(options: { offset?: number; limit?: number } = {}): Promise<SweepListItem[]> {
    const docs = await this.sweeps.find(
      { name: { $exists: true } },
      { sort: { createdAt: -1, _id: 1 }, skip: options.offset ?? 0, limit: options.limit ?? 100, projection: { spec: 0 } },
    );
    return docs.map((d) => ({
      sweepId: d._id,
      name: String(d.name),
      createdAt: String(d.createdAt),
      status: d.status as SweepListItem['status'],
      planned: Number(d.planned ?? 0),
      axes: (d.axes as string[]) ?? [],
    }));
  }

  async listTrials(sweepId: string, query: TrialQuery = {}): Promise<TrialPage> {
    const filter: Record<string, unknown> = { sweepIds: sweepId };
    if (query.status !== undefined) filter.status = Array.isArray(query.status) ? { $in: query.status } : query.status;
    if (query.method !== undefined) filter.method = query.method;
    if (query.mode !== undefined) filter.mode = query.mode;
    const offset = Math.max(0, query.offset ?? 0);
    const limit = Math.min(1000, Math.max(1, query.limit ?? 50));
    const sort: Record<string, 1 | -1> = query.sort
      ? { [query.sort.field === 'trialId' ? '_id' : query.sort.field]: query.sort.direction === 'asc' ? 1 : -1 }
      : {};
    if (!('_id' in sort)) sort._id = 1;
    const projection: Record<string, 0 | 1> | undefined = query.fields
      ? Object.fromEntries(query.fields.filter((f) => f !== 'trialId').map((f) => [f, 1 as const]))
      : { contributedTo: 0, resultHash: 0 };
    const [total, docs] = await Promise.all([
      this.trials.count(filter),
      this.trials.find(filter, { sort, skip: offset, limit, projection }),
    ]);
    return { total, offset, limit, trials: docs.map((d) => SummaryReads.rowOf(d, query.fields)) };
  }

  /**
   * A trial document as a TrialRow. Fields that are null may be absent (FerretDB 1.24 drops
   * null values of `$setOnInsert`), so absent requested fields are filled with their default.
   */
  private static rowOf(d: Doc, fields: readonly string[] | undefined): Partial<TrialRow> {
    const { _id, contributedTo: _c, resultHash: _h, testAccuracy: _a, validationAccuracy: _v, wallTimeMs: _w, hardwareTimeMs: _hw, energyJ: _e, ...rest } = d;
    const defaults = Object.entries(TRIAL_ROW_DEFAULTS).filter(([k]) => !fields || fields.includes(k));
    return { trialId: _id, ...Object.fromEntries(defaults), ...(rest as Partial<TrialRow>) };
  }

  async getStatuses(trialIds: readonly string[]): Promise<Map<string, StoredTrialStatus>> {
    const out = new Map<string, StoredTrialStatus>();
    for (let i = 0; i < trialIds.length; i += 1000) {
      const docs = await this.trials.find({ _id: { $in: trialIds.slice(i, i + 1000) } }, { projection: { status: 1 } });
      for (const d of docs) out.set(d._id, (d.status as StoredTrialStatus | undefined) ?? 'pending');
    }
    return out;
  }

  async getResults(trialIds: string[]): Promise<TrialResult[]> {
    if (trialIds.length === 0) return [];
    const out: TrialResult[] = [];
    for (let i = 0; i < trialIds.length; i += 500) {
      const ids = trialIds.slice(i, i + 500);
      const docs = await this.trials.find({ _id: { $in: ids }, status: { $in: [...FINAL_STATUSES] } }, { projection: { result: 1 } });
      const curves = new Map((await this.getCurves(docs.map((d) => d._id))).map((c) => [c.trialId, c.epochs]));
      for (const d of docs) {
        if (d.result) out.push(TrialResult.parse({ ...(d.result as object), epochs: curves.get(d._id) ?? [] }));
      }
    }
    return out;
  }

  async getCurves(trialIds: string[]): Promise<TrialCurve[]> {
    if (trialIds.length === 0) return [];
    const docs = await this.curves.find({ _id: { $in: trialIds } });
    return docs.map((d) => ({
      trialId: d._id,
      epochs: Object.values((d.e as Record<string, EpochMetrics>) ?? {}).sort((a, b) => a.epoch - b.epoch),
    }));
  }

  async getCurveBands(sweepId: string): Promise<{ method: string; mode: string; epochs: { epoch: number; accuracy: Stats }[] }[]> {
    const docs = await this.curveSummaries.find({ sweepId }, { projection: { b: 0 } });
    return docs
      .map((d) => ({
        method: String(d.method),
        mode: String(d.mode),
        epochs: Object.entries((d.m as Record<string, Moments>) ?? {})
          .map(([name, m]) => ({ epoch: Number(name.slice(1)), accuracy: statsOf(m) }))
          .sort((a, b) => a.epoch - b.epoch),
      }))
      .sort((a, b) => a.method.localeCompare(b.method) || a.mode.localeCompare(b.mode));
  }

  /**
   * One row per planned trial of the sweep with what the analysis needs (group, seed, chip,
   * status, test accuracy, swept hyperparameters), read with a projection in pages.
   */
  async getOutcomes(sweepId: string): Promise<TrialOutcome[]> {
    const sweep = await this.sweeps.findOne({ _id: sweepId }, { projection: { axes: 1 } });
    const axes = (sweep?.axes as string[] | undefined) ?? [];
    const out: TrialOutcome[] = [];
    const pageSize = 2000;
    for (let skip = 0; ; skip += pageSize) {
      const docs = await this.trials.find(
        { sweepIds: sweepId },
        { sort: { _id: 1 }, skip, limit: pageSize, projection: { method: 1, mode: 1, seed: 1, mismatchSeed: 1, status: 1, testAccuracy: 1, config: 1 } },
      );
      for (const d of docs) {
        out.push({
          trialId: d._id,
          method: String(d.method),
          mode: String(d.mode),
          seed: Number(d.seed ?? 0),
          mismatchSeed: Number(d.mismatchSeed ?? 0),
          status: (d.status as TrialOutcome['status']) ?? 'pending',
          testAccuracy: d.status === 'completed' && typeof d.testAccuracy === 'number' ? d.testAccuracy : null,
          params: hyperparametersOf((d.config as Record<string, unknown>) ?? {}, axes),
        });
      }
      if (docs.length < pageSize) return out;
    }
  }

  /** Field-conditions views of the sweep's completed trials with an operation study (./field.ts). */
  async getFieldSummary(sweepId: string): Promise<FieldSummary> {
    const rows: FieldRow[] = [];
    const page = 500;
    for (let skip = 0; ; skip += page) {
      const docs = await this.trials.find(
        { sweepIds: sweepId, status: 'completed', 'result.operation': { $exists: true } },
        { sort: { _id: 1 }, skip, limit: page, projection: { method: 1, mode: 1, 'result.operation': 1 } },
      );
      for (const d of docs) {
        const operation = (d.result as { operation?: FieldRow['operation'] } | undefined)?.operation;
        if (operation) rows.push({ method: String(d.method), mode: String(d.mode), operation });
      }
      if (docs.length < page) break;
    }
    return fieldSummaryOf(rows);
  }

  /**
   * How many of a sweep's running-set entries are trials still running. An entry can outlive
   * its trial when a progress message is redelivered after the final result (a results job
   * retried after a Redis outage, say), so entries of trials with a final status do not count.
   * The set is small (the trials running now), so this is one short query.
   */
  private async runningCount(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    const ids = keys.filter((k) => k.startsWith('t')).map((k) => k.slice(1));
    const final = ids.length === 0 ? 0 : await this.trials.count({ _id: { $in: ids }, status: { $in: [...FINAL_STATUSES] } });
    return keys.length - final;
  }

  async getSummary(sweepId: string): Promise<SweepSummary> {
    const [sweep, docs] = await Promise.all([
      this.sweeps.findOne({ _id: sweepId }, { projection: { spec: 0 } }),
      this.summaries.find({ sweepId }, { projection: { b: 0 } }),
    ]);

    const ofKind = (kind: string) => docs.filter((d) => d.kind === kind);
    const accOf = (d: Doc) => statsOf((d.m as Record<string, Moments> | undefined)?.accuracy);
    const sameGroup = (d: Doc, g: { method: string; mode: string }) => d.method === g.method && d.mode === g.mode;
    const chipDocs = ofKind('chip');
    const seedDocs = ofKind('seed');

    const groups: GroupSummary[] = ofKind('group').map((d): GroupSummary => {
        const m = (d.m as Record<string, Moments>) ?? {};
        const c = (d.c as Record<string, number>) ?? {};
        const g = { method: String(d.method), mode: String(d.mode) };
        const accuracy = statsOf(m.accuracy);
        const chipMeans = chipDocs
          .filter((x) => sameGroup(x, g))
          .map((x) => ({ mismatchSeed: Number(x.mismatchSeed), meanAccuracy: accOf(x).mean ?? 0 }))
          .sort((a, b) => a.meanAccuracy - b.meanAccuracy || a.mismatchSeed - b.mismatchSeed);
        const seedMeans = seedDocs.filter((x) => sameGroup(x, g)).map((x) => accOf(x).mean ?? 0);
        const finished = c.finished ?? 0;
        const completed = c.completed ?? 0;
        const to = (name: 'to90' | 'to95') => {
          const reached = m[`${name}Epochs`]?.n ?? 0;
          return {
            reached,
            share: completed > 0 ? reached / completed : null,
            epochs: statsOf(m[`${name}Epochs`]),
            wallTimeMs: statsOf(m[`${name}WallTimeMs`]),
          };
        };
        return {
          ...g,
          finished,
          completed,
          failed: c.failed ?? 0,
          diverged: c.diverged ?? 0,
          pruned: c.pruned ?? 0,
          accuracy: withMedian(accuracy, medianOfHistogram((d.h as Record<string, number>) ?? {})),
          devices: { ...statsOfValues(chipMeans.map((x) => x.meanAccuracy)), worst: chipMeans[0] ?? null },
          seeds: statsOfValues(seedMeans),
          unstableShare: finished > 0 ? ((c.failed ?? 0) + (c.diverged ?? 0)) / finished : null,
          convergence: { to90: to('to90'), to95: to('to95') },
          cost: {
            wallTimeMs: statsOf(m.wallTimeMs),
            hardwareTimeMs: statsOf(m.hardwareTimeMs),
            energyJ: statsOf(m.energyJ),
            chipRuns: statsOf(m.chipRuns),
            readoutBytesPerSample: statsOf(m.readoutBytesPerSample),
          },
          measurement: measurementOf(g.method),
        };
    });
    groups.sort((a, b) => a.method.localeCompare(b.method) || a.mode.localeCompare(b.mode));

    // Progress without scanning trials: final statuses from the group counters, running from
    // the sweep's running set, pending the rest of the plan.
    const planned = Number(sweep?.planned ?? 0);
    const byStatus: Record<StoredTrialStatus, number> = { pending: 0, running: 0, completed: 0, failed: 0, diverged: 0, pruned: 0 };
    for (const g of groups) {
      byStatus.completed += g.completed;
      byStatus.failed += g.failed;
      byStatus.diverged += g.diverged;
      byStatus.pruned += g.pruned;
    }
    byStatus.running = await this.runningCount(Object.keys((sweep?.running as Record<string, unknown> | undefined) ?? {}));
    const finished = byStatus.completed + byStatus.failed + byStatus.diverged + byStatus.pruned;
    byStatus.pending = Math.max(0, planned - finished - byStatus.running);

    const simToChipGap: SweepSummary['simToChipGap'] = [];
    for (const sim of groups.filter((g) => g.mode === 'simulation' && g.accuracy.mean !== null)) {
      for (const chip of groups.filter((g) => g.method === sim.method && g.mode !== 'simulation' && g.accuracy.mean !== null)) {
        simToChipGap.push({ method: sim.method, mode: chip.mode, gapPp: 100 * ((sim.accuracy.mean ?? 0) - (chip.accuracy.mean ?? 0)) });
      }
    }

    const bestHyperparameters: SweepSummary['bestHyperparameters'] = [];
    for (const g of groups) {
      const best = ofKind('hp')
        .filter((d) => sameGroup(d, g))
        .map((d) => ({
          params: Object.fromEntries(((d.params as { axis: string; value: unknown }[]) ?? []).map((p) => [p.axis, p.value])),
          accuracy: accOf(d),
        }))
        .sort((a, b) => (b.accuracy.mean ?? 0) - (a.accuracy.mean ?? 0) || canonicalJson(a.params).localeCompare(canonicalJson(b.params)))[0];
      if (best) bestHyperparameters.push({ method: g.method, mode: g.mode, ...best });
    }
    const byKey = <T extends { method: string; mode: string }>(rows: T[], more: (a: T, b: T) => number) =>
      rows.sort((a, b) => a.method.localeCompare(b.method) || a.mode.localeCompare(b.mode) || more(a, b));

    return {
      sweepId,
      name: typeof sweep?.name === 'string' ? sweep.name : null,
      status: (sweep?.status as SweepSummary['status']) ?? null,
      planned,
      byStatus,
      axes: (sweep?.axes as string[]) ?? [],
      groups,
      simToChipGap,
      bestHyperparameters,
      lrBetaGrid: byKey(
        ofKind('grid').map((d) => ({
          method: String(d.method),
          mode: String(d.mode),
          learningRate: Number(d.learningRate),
          beta: Number(d.beta),
          accuracy: accOf(d),
        })),
        (a, b) => a.learningRate - b.learningRate || a.beta - b.beta,
      ),
      byAxis: byKey(
        ofKind('axis').map((d) => ({
          axis: String(d.axis),
          value: JSON.parse(String(d.value)) as unknown,
          method: String(d.method),
          mode: String(d.mode),
          accuracy: accOf(d),
        })),
        (a, b) => a.axis.localeCompare(b.axis) || String(axisSortKey(a.value)).localeCompare(String(axisSortKey(b.value)), 'en', { numeric: true }),
      ),
      chips: byKey(
        chipDocs.map((d) => ({ mismatchSeed: Number(d.mismatchSeed), method: String(d.method), mode: String(d.mode), accuracy: accOf(d) })),
        (a, b) => a.mismatchSeed - b.mismatchSeed,
      ),
      computedAt: new Date().toISOString(),
    };
  }
}

/** Exact median from a histogram {value key: count} (see histogramKey); null when empty. */
function medianOfHistogram(h: Record<string, number>): number | null {
  const bins = Object.entries(h)
    .map(([key, count]) => ({ value: valueOfHistogramKey(key), count }))
    .filter((b) => b.count > 0)
    .sort((a, b) => a.value - b.value);
  const n = bins.reduce((a, b) => a + b.count, 0);
  if (n === 0) return null;
  const at = (rank: number): number => {
    let seen = 0;
    for (const b of bins) {
      seen += b.count;
      if (rank < seen) return b.value;
    }
    return bins[bins.length - 1]!.value;
  };
  return n % 2 === 1 ? at((n - 1) / 2) : (at(n / 2 - 1) + at(n / 2)) / 2;
}

/** Sort key of an axis value: numbers and strings as themselves, the rest as JSON. */
function axisSortKey(v: unknown): string {
  return typeof v === 'number' ? v.toString().padStart(24, '0') : typeof v === 'string' ? v : JSON.stringify(v);
}

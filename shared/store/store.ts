import { createHash } from 'node:crypto';
import {
  canonicalJson,
  parseOrThrow,
  ResultsMessage,
  SweepRecord,
  TrialResult,
  type EpochMetrics,
} from '../contracts/index.ts';
import {
  ACTIVE_STATUSES,
  appliedKey,
  contributionsOf,
  histogramKey,
  valueOfHistogramKey,
  FINAL_STATUSES,
  measurementOf,
  recommend,
  roiOf,
  statsOf,
  statsOfValues,
  withMedian,
  type Contribution,
  type FinishedTrial,
  type Moments,
} from './aggregates.ts';
import type { Database, Doc, DocCollection, UpdateOp } from './collection.ts';
import { fieldSummaryOf, type FieldRow, type FieldSummary } from './field.ts';
import type {
  GroupSummary,
  ResultStore,
  Stats,
  StoredTrialStatus,
  SweepListItem,
  SweepSummary,
  TrialCurve,
  TrialPage,
  TrialQuery,
  TrialRow,
} from './types.ts';

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

/** Version of the document layout below; stored in `meta` so a later layout can migrate. */
export const STORE_SCHEMA_VERSION = 1;

/**
 * The store logic, written once against the small collection interface.
 *
 * Collections
 * - `sweeps`     {_id: sweepId, name, spec, createdAt, axes, status, statusAt, planned,
 *                 running: {<trial key>: last progress time}}: the trials running now
 * - `sweepPlans` {_id: `${sweepId}:${chunk}`, sweepId, chunk, trials[≤ 1000]}: the planned trials
 * - `trials`     {_id: trialId, sweepIds[], contributedTo[], method, mode, seed, mismatchSeed,
 *                 config, status, attempt, workerId, startedAt, heartbeatAt, finishedAt,
 *                 epochsDone, lastValidationAccuracy, result (without epochs), resultHash,
 *                 testAccuracy, validationAccuracy, wallTimeMs, hardwareTimeMs, energyJ}
 * - `curves`     {_id: trialId, final, e: {ep<epoch>: EpochMetrics}}: per-epoch metrics
 * - `chips`      {_id: `${trialId}:${mismatchSeed}`, trialId, method, mode, mismatchSeed, testAccuracy}
 * - `summaries`  {_id, sweepId, kind, <key fields>, m: {<metric>: {n, s, q, lo, hi}}, c: {<counter>},
 *                 h: {<value key>: count} (group docs: histogram of test accuracy, for the exact
 *                 median), b: {w<k>: bits}}: pre-aggregated (see ./aggregates.ts); `b` is the set of
 *                 trials already counted, one bit per trial's index in the sweep's plan
 * - `curveSummaries` like `summaries`, kind `curve` (per-epoch moments), kept apart so that
 *                 reading a summary does not load them
 * - `meta`       {_id: 'schema', version}
 *
 * Idempotency. Every write is either an upsert that only sets values derived from the message
 * (the same message sets the same values), or a conditional update. A trial's contribution to
 * a summary document is one atomic update conditional on the trial's bit (its index i in the
 * sweep's plan: word `b.w⌊i/30⌋`, mask 2^(i mod 30)) being clear, which the update sets with
 * `$bit`; so a duplicate or replayed result adds nothing, and a crash between two summary
 * writes is completed by the replay. (A bitset, not a map of trial ids: reading 10,000 trials'
 * marks costs FerretDB ~30× less.) `contributedTo` in the trial marks sweeps whose every
 * contribution is done, so a replay of a sweep registration only revisits unfinished ones.
 * A changed final result for the same trial (a failed trial re-run to completion) replaces
 * the trial and rebuilds the summaries of its sweeps.
 */
export class Store implements ResultStore {
  private readonly sweeps: DocCollection;
  private readonly plans: DocCollection;
  private readonly trials: DocCollection;
  private readonly curves: DocCollection;
  private readonly chips: DocCollection;
  private readonly curveSummaries: DocCollection;
  private readonly summaries: DocCollection;
  private readonly meta: DocCollection;
  private readonly axesCache = new Map<string, string[]>();

  constructor(private readonly db: Database) {
    this.sweeps = db.collection('sweeps');
    this.plans = db.collection('sweepPlans');
    this.trials = db.collection('trials');
    this.curves = db.collection('curves');
    this.chips = db.collection('chips');
    this.summaries = db.collection('summaries');
    this.meta = db.collection('meta');
    this.curveSummaries = db.collection('curveSummaries');
  }

  /** Creates indexes and records the schema version. Idempotent. */
  async init(): Promise<void> {
    await this.meta.bulkUpdate([{ filter: { _id: 'schema' }, update: { $set: { version: STORE_SCHEMA_VERSION } }, upsert: true }]);
    await this.trials.createIndex({ sweepIds: 1, status: 1 }, 'sweep_status');
    await this.trials.createIndex({ sweepIds: 1, method: 1, mode: 1, testAccuracy: 1 }, 'sweep_group_accuracy');
    await this.summaries.createIndex({ sweepId: 1, kind: 1 }, 'sweep_kind');
    await this.curveSummaries.createIndex({ sweepId: 1 }, 'sweep');
    await this.plans.createIndex({ sweepId: 1, chunk: 1 }, 'sweep_chunk');
    await this.chips.createIndex({ trialId: 1 }, 'trial');
  }

  // ---------------------------------------------------------------- writes

  async apply(input: ResultsMessage): Promise<void> {
    const message = parseOrThrow(ResultsMessage, input, 'spikesweep:invalid-input');
    switch (message.kind) {
      case 'sweep-registered':
        return this.registerSweep(message.sweep);
      case 'sweep-status':
        return this.sweeps.bulkUpdate([
          { filter: { _id: message.sweepId }, update: { $setOnInsert: { statusAt: '' } }, upsert: true },
          {
            filter: { _id: message.sweepId, statusAt: { $lte: message.at } },
            update: { $set: { status: message.status, statusAt: message.at } },
          },
        ]);
      case 'trial-started':
        await this.trials.bulkUpdate([
          this.ensureTrial(message.trialId),
          {
            filter: { _id: message.trialId, status: { $in: [...ACTIVE_STATUSES] } },
            update: {
              $set: { status: 'running', workerId: message.workerId, startedAt: message.at, heartbeatAt: message.at },
              $max: { attempt: message.attempt },
            },
          },
        ]);
        return this.markRunning(message.trialId, message.at);
      case 'trial-heartbeat':
        await this.trials.bulkUpdate([
          this.ensureTrial(message.trialId),
          {
            filter: { _id: message.trialId, status: { $in: [...ACTIVE_STATUSES] } },
            update: { $set: { workerId: message.workerId }, $max: { heartbeatAt: message.at } },
          },
        ]);
        return this.markRunning(message.trialId, message.at);
      case 'trial-epoch': {
        const m = message.metrics;
        await this.curves.bulkUpdate([
          { filter: { _id: message.trialId }, update: { $setOnInsert: { final: false } }, upsert: true },
          { filter: { _id: message.trialId, final: false }, update: { $set: { [`e.ep${m.epoch}`]: m } } },
        ]);
        await this.trials.bulkUpdate([
          this.ensureTrial(message.trialId),
          {
            filter: { _id: message.trialId, status: { $in: [...ACTIVE_STATUSES] }, epochsDone: { $lte: m.epoch } },
            update: { $set: { status: 'running', epochsDone: m.epoch, lastValidationAccuracy: m.validationAccuracy } },
          },
        ]);
        return this.markRunning(message.trialId, message.at);
      }
      case 'trial-finished':
        return this.finishTrial(message.result, message.at);
    }
  }

  /**
   * Keeps the set of running trials in each of the trial's sweep documents (`running.<trial>`),
   * so that progress counts need no scan of the trials; a finished trial leaves it.
   */
  private async markRunning(trialId: string, at: string): Promise<void> {
    const trial = await this.trials.findOne({ _id: trialId }, { projection: { status: 1, sweepIds: 1 } });
    if (!trial || !ACTIVE_STATUSES.includes(trial.status as (typeof ACTIVE_STATUSES)[number])) return;
    const ops = ((trial.sweepIds as string[] | undefined) ?? []).map((sweepId) => ({
      filter: { _id: sweepId },
      update: { $max: { [`running.${appliedKey(trialId)}`]: at } },
    }));
    await this.sweeps.bulkUpdate(ops);
  }

  /** Upsert of a trial document with neutral progress fields (no-op when it exists). */
  private ensureTrial(trialId: string): UpdateOp {
    return {
      filter: { _id: trialId },
      update: {
        $setOnInsert: {
          status: 'pending',
          attempt: 0,
          workerId: null,
          startedAt: null,
          heartbeatAt: null,
          finishedAt: null,
          epochsDone: 0,
          lastValidationAccuracy: null,
          result: null,
          resultHash: null,
          testAccuracy: null,
          validationAccuracy: null,
          wallTimeMs: null,
          hardwareTimeMs: null,
          energyJ: null,
        },
      },
      upsert: true,
    };
  }

  private static configFields(config: Record<string, unknown>): Record<string, unknown> {
    const chip = config.chip as { mismatchSeed?: unknown } | undefined;
    return {
      config,
      method: typeof config.method === 'string' ? config.method : 'unknown',
      mode: typeof config.mode === 'string' ? config.mode : 'simulation',
      seed: typeof config.seed === 'number' ? config.seed : 0,
      mismatchSeed: typeof chip?.mismatchSeed === 'number' ? chip.mismatchSeed : 0,
    };
  }

  private async registerSweep(sweep: SweepRecord): Promise<void> {
    const { trials, ...rest } = sweep;
    this.axesCache.delete(sweep.sweepId);
    await this.sweeps.bulkUpdate([
      {
        filter: { _id: sweep.sweepId },
        // The spec is kept as JSON text: its axis keys are config paths with dots, which FerretDB rejects as field names.
        update: { $set: { ...rest, spec: JSON.stringify(rest.spec), planned: trials.length }, $setOnInsert: { statusAt: '' } },
        upsert: true,
      },
    ]);
    const chunkSize = 1000;
    for (let start = 0, chunk = 0; start < trials.length; start += chunkSize, chunk += 1) {
      const slice = trials.slice(start, start + chunkSize);
      await this.plans.bulkUpdate([
        { filter: { _id: `${sweep.sweepId}:${chunk}` }, update: { $set: { sweepId: sweep.sweepId, chunk, trials: slice } }, upsert: true },
      ]);
      await this.trials.bulkUpdate(
        slice.map((t, j) => {
          const ensure = this.ensureTrial(t.trialId);
          return {
            filter: { _id: t.trialId },
            update: {
              ...ensure.update,
              $set: { ...Store.configFields(t.config), [`plan.${appliedKey(sweep.sweepId)}`]: start + j },
              $addToSet: { sweepIds: sweep.sweepId },
            },
            upsert: true,
          };
        }),
      );
    }
    await this.plans.deleteMany({ sweepId: sweep.sweepId, chunk: { $gte: Math.ceil(trials.length / chunkSize) } });
    await this.contributeAll(sweep.sweepId);
  }

  private async finishTrial(result: TrialResult, at: string): Promise<void> {
    const resultHash = createHash('sha256').update(canonicalJson(result)).digest('hex');
    const existing = await this.trials.findOne({ _id: result.trialId }, { projection: { status: 1, resultHash: 1, sweepIds: 1, plan: 1 } });
    const previousHash = existing?.resultHash;
    const replacing = typeof previousHash === 'string' && previousHash !== resultHash;
    // A completed result is never replaced by a worse outcome of a later attempt.
    if (replacing && existing?.status === 'completed' && result.status !== 'completed') return;

    const { epochs, ...withoutEpochs } = result;
    const fields = Store.configFields(result.config);
    const curve: Record<string, EpochMetrics> = {};
    for (const e of epochs) curve[`ep${e.epoch}`] = e;
    await this.curves.bulkUpdate([{ filter: { _id: result.trialId }, update: { $set: { final: true, e: curve } }, upsert: true }]);
    if (replacing) await this.chips.deleteMany({ trialId: result.trialId });
    await this.chips.bulkUpdate(
      withoutEpochs.chipEvaluations.map((c) => ({
        filter: { _id: `${result.trialId}:${c.mismatchSeed}` },
        update: {
          $set: { trialId: result.trialId, method: fields.method, mode: fields.mode, mismatchSeed: c.mismatchSeed, testAccuracy: c.testAccuracy },
        },
        upsert: true,
      })),
    );
    const set: Record<string, unknown> = {
      ...fields,
      status: result.status,
      finishedAt: at,
      epochsDone: epochs.length === 0 ? 0 : Math.max(...epochs.map((e) => e.epoch)),
      result: withoutEpochs,
      resultHash,
      testAccuracy: result.testAccuracy,
      validationAccuracy: result.validationAccuracy,
      wallTimeMs: result.wallTimeMs,
      hardwareTimeMs: result.hardwareTimeMs,
      energyJ: result.energyJ,
      ...(replacing ? { contributedTo: [] } : {}),
    };
    const ensure = this.ensureTrial(result.trialId).update.$setOnInsert ?? {};
    const setOnInsert = Object.fromEntries(Object.entries(ensure).filter(([k]) => !(k in set)));
    await this.trials.bulkUpdate([{ filter: { _id: result.trialId }, update: { $set: set, $setOnInsert: setOnInsert }, upsert: true }]);

    const trial: FinishedTrial = { trialId: result.trialId, ...(fields as Omit<FinishedTrial, 'trialId' | 'result' | 'epochs'>), result: withoutEpochs, epochs };
    const sweepIds = (existing?.sweepIds as string[] | undefined) ?? [];
    for (const sweepId of sweepIds) {
      if (replacing) await this.rebuildSummaries(sweepId);
      else await this.contribute(sweepId, await this.axesOf(sweepId), trial, Store.planIndex(existing, sweepId));
    }
    await this.sweeps.bulkUpdate(
      sweepIds.map((sweepId) => ({ filter: { _id: sweepId }, update: { $unset: { [`running.${appliedKey(result.trialId)}`]: '' } } })),
    );
  }

  /** A sweep's axes (fixed at registration, so cached). */
  private async axesOf(sweepId: string): Promise<string[]> {
    const cached = this.axesCache.get(sweepId);
    if (cached) return cached;
    const sweep = await this.sweeps.findOne({ _id: sweepId }, { projection: { axes: 1 } });
    const axes = (sweep?.axes as string[] | undefined) ?? [];
    if (sweep) this.axesCache.set(sweepId, axes);
    return axes;
  }

  private finishedTrialOf(doc: Doc, epochs: readonly EpochMetrics[]): FinishedTrial {
    return {
      trialId: doc._id,
      method: String(doc.method),
      mode: String(doc.mode),
      seed: Number(doc.seed),
      mismatchSeed: Number(doc.mismatchSeed),
      config: (doc.config as Record<string, unknown>) ?? {},
      result: doc.result as FinishedTrial['result'],
      epochs,
    };
  }

  /** The trial's index in the sweep's plan (set at registration); null if not planned there. */
  private static planIndex(trial: Doc | null, sweepId: string): number | null {
    const index = (trial?.plan as Record<string, unknown> | undefined)?.[appliedKey(sweepId)];
    return typeof index === 'number' ? index : null;
  }

  /**
   * Adds one finished trial to every summary of one sweep; each document at most once: one
   * upsert per summary document, conditional on the trial's bit being clear (an existing
   * document that has the bit collides on `_id` and is skipped).
   */
  private async contribute(sweepId: string, axes: readonly string[], trial: FinishedTrial, planIndex: number | null): Promise<void> {
    if (planIndex === null) return;
    const word = `b.w${Math.floor(planIndex / 30)}`;
    const mask = 2 ** (planIndex % 30);
    const contributions = contributionsOf(sweepId, trial, axes);
    const opsOf = (cs: Contribution[]): UpdateOp[] =>
      cs.map((c) => ({
        filter: { _id: c.id, $or: [{ [word]: { $exists: false } }, { [word]: { $bitsAllClear: mask } }] },
        update: { ...Store.contributionUpdate(c), $bit: { [word]: { or: mask } }, $setOnInsert: { sweepId, kind: c.kind, ...c.key } },
        upsert: true,
        skipIfUnmatched: true,
      }));
    await this.summaries.bulkUpdate(opsOf(contributions.filter((c) => c.kind !== 'curve')));
    await this.curveSummaries.bulkUpdate(opsOf(contributions.filter((c) => c.kind === 'curve')));
    await this.trials.bulkUpdate([{ filter: { _id: trial.trialId }, update: { $addToSet: { contributedTo: sweepId } } }]);
  }

  private static contributionUpdate(c: Contribution): UpdateOp['update'] {
    const inc: Record<string, number> = {};
    const min: Record<string, number> = {};
    const max: Record<string, number> = {};
    // learning-curve bands need mean and sd only: no per-epoch extremes
    const extremes = c.kind !== 'curve';
    for (const [name, x] of Object.entries(c.values)) {
      inc[`m.${name}.n`] = 1;
      inc[`m.${name}.s`] = x;
      inc[`m.${name}.q`] = x * x;
      if (extremes) {
        min[`m.${name}.lo`] = x;
        max[`m.${name}.hi`] = x;
      }
    }
    for (const [name, k] of Object.entries(c.counters)) inc[`c.${name}`] = k;
    for (const x of c.histogram ?? []) inc[`h.${histogramKey(x)}`] = (inc[`h.${histogramKey(x)}`] ?? 0) + 1;
    const update: UpdateOp['update'] = { $inc: inc };
    if (Object.keys(min).length > 0) {
      update.$min = min;
      update.$max = max;
    }
    return update;
  }

  /** Contributes every finished trial of the sweep not yet fully contributed (repair/replay). */
  private async contributeAll(sweepId: string): Promise<void> {
    const axes = await this.axesOf(sweepId);
    for (;;) {
      const batch = await this.trials.find(
        { sweepIds: sweepId, status: { $in: [...FINAL_STATUSES] }, contributedTo: { $ne: sweepId } },
        { limit: 200, sort: { _id: 1 } },
      );
      if (batch.length === 0) return;
      const curves = await this.curves.find({ _id: { $in: batch.map((t) => t._id) } });
      const epochsById = new Map(curves.map((c) => [c._id, Object.values((c.e as Record<string, EpochMetrics>) ?? {})]));
      for (const t of batch) {
        if (!t.result) continue;
        await this.contribute(sweepId, axes, this.finishedTrialOf(t, epochsById.get(t._id) ?? []), Store.planIndex(t, sweepId));
      }
      if (batch.every((t) => !t.result)) return;
    }
  }

  async rebuildSummaries(sweepId: string): Promise<void> {
    // Order matters for crash safety: forget the done-marks first, then the summaries.
    await this.trials.updateMany({ sweepIds: sweepId }, { $pull: { contributedTo: sweepId } });
    await this.summaries.deleteMany({ sweepId });
    await this.curveSummaries.deleteMany({ sweepId });
    await this.contributeAll(sweepId);
  }

  /** Completes contributions interrupted by a crash, for every sweep. */
  async repair(): Promise<void> {
    for (const sweep of await this.sweeps.find({}, { projection: { _id: 1 } })) await this.contributeAll(sweep._id);
  }

  // ---------------------------------------------------------------- reads

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
    return { total, offset, limit, trials: docs.map((d) => Store.rowOf(d, query.fields)) };
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
          roi: null,
        };
    });
    groups.sort((a, b) => a.method.localeCompare(b.method) || a.mode.localeCompare(b.mode));
    for (const g of groups) g.roi = roiOf(g, groups);

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
    byStatus.running = Object.keys((sweep?.running as Record<string, unknown> | undefined) ?? {}).length;
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
      recommendation: recommend(groups),
      computedAt: new Date().toISOString(),
    };
  }

  ping(): Promise<boolean> {
    return this.db.ping();
  }

  close(): Promise<void> {
    return this.db.close();
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

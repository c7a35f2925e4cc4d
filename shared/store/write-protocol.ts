import { createHash } from 'node:crypto';
import {
  canonicalJson,
  parseOrThrow,
  ResultsMessage,
  type SweepRecord,
  type TrialResult,
  type EpochMetrics,
} from '../contracts/index.ts';
import {
  ACTIVE_STATUSES,
  appliedKey,
  contributionsOf,
  histogramKey,
  FINAL_STATUSES,
  type Contribution,
  type FinishedTrial,
} from './aggregates.ts';
import type { Doc, DocCollection, UpdateOp } from './collection.ts';
import { STORE_SCHEMA_VERSION, type StoreCollections } from './layout.ts';

/**
 * The store's write protocol: the one write path `apply(message)`, idempotent (see the
 * document layout and the idempotency rules in ./layout.ts), and the repair and rebuild of the
 * pre-aggregated summaries.
 */
export class WriteProtocol {
  private readonly sweeps: DocCollection;
  private readonly plans: DocCollection;
  private readonly trials: DocCollection;
  private readonly curves: DocCollection;
  private readonly chips: DocCollection;
  private readonly curveSummaries: DocCollection;
  private readonly summaries: DocCollection;
  private readonly meta: DocCollection;
  private readonly axesCache = new Map<string, string[]>();

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
              $set: { ...WriteProtocol.configFields(t.config), [`plan.${appliedKey(sweep.sweepId)}`]: start + j },
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
    const fields = WriteProtocol.configFields(result.config);
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
      else await this.contribute(sweepId, await this.axesOf(sweepId), trial, WriteProtocol.planIndex(existing, sweepId));
    }
    await this.sweeps.bulkUpdate(
      sweepIds.map((sweepId) => ({ filter: { _id: sweepId }, update: { $unset: { [`running.${appliedKey(result.trialId)}`]: '' } } })),
    );
  }

  /**
   * Many messages at once, in few round trips: sweep messages first (in order), then the
   * progress messages of all trials as one bulk write per collection, then the final results
   * as one bulk write per collection (their summary contributions included). Each write is
   * the same idempotent, order-independent update `apply` makes, so the end state equals
   * applying the messages one by one. A trial finished twice in the batch (two attempts) or
   * whose result changes is applied alone, as `apply` would.
   */
  async applyMany(inputs: readonly ResultsMessage[]): Promise<void> {
    const messages = inputs.map((m) => parseOrThrow(ResultsMessage, m, 'spikesweep:invalid-input'));
    for (const m of messages) if (m.kind === 'sweep-registered' || m.kind === 'sweep-status') await this.apply(m);
    const progress = messages.filter(
      (m): m is Extract<ResultsMessage, { kind: 'trial-started' | 'trial-heartbeat' | 'trial-epoch' }> =>
        m.kind === 'trial-started' || m.kind === 'trial-heartbeat' || m.kind === 'trial-epoch',
    );
    if (progress.length > 0) await this.applyProgress(progress);
    const finished = messages.filter((m): m is Extract<ResultsMessage, { kind: 'trial-finished' }> => m.kind === 'trial-finished');
    const perTrial = new Map<string, number>();
    for (const m of finished) perTrial.set(m.result.trialId, (perTrial.get(m.result.trialId) ?? 0) + 1);
    const single = finished.filter((m) => perTrial.get(m.result.trialId) === 1);
    if (single.length > 0) await this.finishTrials(single);
    for (const m of finished.filter((x) => perTrial.get(x.result.trialId)! > 1)) await this.finishTrial(m.result, m.at);
  }

  private async applyProgress(messages: readonly Extract<ResultsMessage, { kind: 'trial-started' | 'trial-heartbeat' | 'trial-epoch' }>[]): Promise<void> {
    const active = { $in: [...ACTIVE_STATUSES] };
    const trialOps: UpdateOp[] = [];
    const ensured = new Set<string>();
    const lastAt = new Map<string, string>();
    const epochsOf = new Map<string, Record<string, EpochMetrics>>();
    for (const m of messages) {
      if (!ensured.has(m.trialId)) {
        ensured.add(m.trialId);
        trialOps.push(this.ensureTrial(m.trialId));
      }
      if ((lastAt.get(m.trialId) ?? '') < m.at) lastAt.set(m.trialId, m.at);
      if (m.kind === 'trial-started') {
        trialOps.push({
          filter: { _id: m.trialId, status: active },
          update: { $set: { status: 'running', workerId: m.workerId, startedAt: m.at, heartbeatAt: m.at }, $max: { attempt: m.attempt } },
        });
      } else if (m.kind === 'trial-heartbeat') {
        trialOps.push({ filter: { _id: m.trialId, status: active }, update: { $set: { workerId: m.workerId }, $max: { heartbeatAt: m.at } } });
      } else {
        const e = m.metrics;
        const curve = epochsOf.get(m.trialId) ?? {};
        curve[`e.ep${e.epoch}`] = e;
        epochsOf.set(m.trialId, curve);
        trialOps.push({
          filter: { _id: m.trialId, status: active, epochsDone: { $lte: e.epoch } },
          update: { $set: { status: 'running', epochsDone: e.epoch, lastValidationAccuracy: e.validationAccuracy } },
        });
      }
    }
    const curveOps: UpdateOp[] = [];
    for (const [trialId, set] of epochsOf) {
      curveOps.push({ filter: { _id: trialId }, update: { $setOnInsert: { final: false } }, upsert: true });
      curveOps.push({ filter: { _id: trialId, final: false }, update: { $set: set } });
    }
    if (curveOps.length > 0) await this.curves.bulkUpdate(curveOps);
    await this.trials.bulkUpdate(trialOps);
    // the running sets (see markRunning), for all trials at once
    const docs = await this.trials.find({ _id: { $in: [...lastAt.keys()] } }, { projection: { status: 1, sweepIds: 1 } });
    const bySweep = new Map<string, Record<string, string>>();
    for (const d of docs) {
      if (!ACTIVE_STATUSES.includes(d.status as (typeof ACTIVE_STATUSES)[number])) continue;
      for (const sweepId of (d.sweepIds as string[] | undefined) ?? []) {
        const max = bySweep.get(sweepId) ?? {};
        max[`running.${appliedKey(d._id)}`] = lastAt.get(d._id)!;
        bySweep.set(sweepId, max);
      }
    }
    await this.sweeps.bulkUpdate([...bySweep].map(([sweepId, max]) => ({ filter: { _id: sweepId }, update: { $max: max } })));
  }

  /** `finishTrial` for many trials (each once) in one bulk write per collection. */
  private async finishTrials(messages: readonly Extract<ResultsMessage, { kind: 'trial-finished' }>[]): Promise<void> {
    const ids = messages.map((m) => m.result.trialId);
    const existingDocs = await this.trials.find({ _id: { $in: ids } }, { projection: { status: 1, resultHash: 1, sweepIds: 1, plan: 1 } });
    const existingOf = new Map(existingDocs.map((d) => [d._id, d]));
    const curveOps: UpdateOp[] = [];
    const chipOps: UpdateOp[] = [];
    const trialOps: UpdateOp[] = [];
    const contributions: { sweepId: string; trial: FinishedTrial; planIndex: number | null }[] = [];
    const running = new Map<string, Record<string, ''>>();
    for (const { result, at } of messages) {
      const resultHash = createHash('sha256').update(canonicalJson(result)).digest('hex');
      const existing = existingOf.get(result.trialId) ?? null;
      const previousHash = existing?.resultHash;
      if (typeof previousHash === 'string' && previousHash !== resultHash) {
        await this.finishTrial(result, at); // a changed result: replace and rebuild, alone
        continue;
      }
      const { epochs, ...withoutEpochs } = result;
      const fields = WriteProtocol.configFields(result.config);
      const curve: Record<string, EpochMetrics> = {};
      for (const e of epochs) curve[`ep${e.epoch}`] = e;
      curveOps.push({ filter: { _id: result.trialId }, update: { $set: { final: true, e: curve } }, upsert: true });
      for (const c of withoutEpochs.chipEvaluations) {
        chipOps.push({
          filter: { _id: `${result.trialId}:${c.mismatchSeed}` },
          update: { $set: { trialId: result.trialId, method: fields.method, mode: fields.mode, mismatchSeed: c.mismatchSeed, testAccuracy: c.testAccuracy } },
          upsert: true,
        });
      }
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
      };
      const ensure = this.ensureTrial(result.trialId).update.$setOnInsert ?? {};
      const setOnInsert = Object.fromEntries(Object.entries(ensure).filter(([k]) => !(k in set)));
      trialOps.push({ filter: { _id: result.trialId }, update: { $set: set, $setOnInsert: setOnInsert }, upsert: true });
      const trial: FinishedTrial = { trialId: result.trialId, ...(fields as Omit<FinishedTrial, 'trialId' | 'result' | 'epochs'>), result: withoutEpochs, epochs };
      for (const sweepId of (existing?.sweepIds as string[] | undefined) ?? []) {
        contributions.push({ sweepId, trial, planIndex: WriteProtocol.planIndex(existing, sweepId) });
        const unset = running.get(sweepId) ?? {};
        unset[`running.${appliedKey(result.trialId)}`] = '';
        running.set(sweepId, unset);
      }
    }
    await this.curves.bulkUpdate(curveOps);
    await this.chips.bulkUpdate(chipOps);
    await this.trials.bulkUpdate(trialOps);
    const summaryOps: UpdateOp[] = [];
    const curveSummaryOps: UpdateOp[] = [];
    const contributedOps: UpdateOp[] = [];
    for (const { sweepId, trial, planIndex } of contributions) {
      const ops = this.contributionOps(sweepId, await this.axesOf(sweepId), trial, planIndex);
      if (!ops) continue;
      summaryOps.push(...ops.summaries);
      curveSummaryOps.push(...ops.curves);
      contributedOps.push({ filter: { _id: trial.trialId }, update: { $addToSet: { contributedTo: sweepId } } });
    }
    await WriteProtocol.contributeMerged(this.summaries, summaryOps);
    await WriteProtocol.contributeMerged(this.curveSummaries, curveSummaryOps);
    await this.trials.bulkUpdate(contributedOps);
    await this.sweeps.bulkUpdate([...running].map(([sweepId, unset]) => ({ filter: { _id: sweepId }, update: { $unset: unset } })));
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
    const ops = this.contributionOps(sweepId, axes, trial, planIndex);
    if (!ops) return;
    await this.summaries.bulkUpdate(ops.summaries);
    await this.curveSummaries.bulkUpdate(ops.curves);
    await this.trials.bulkUpdate([{ filter: { _id: trial.trialId }, update: { $addToSet: { contributedTo: sweepId } } }]);
  }

  /** The conditional summary updates of one trial's contribution (see `contribute`); null when not planned there. */
  private contributionOps(
    sweepId: string,
    axes: readonly string[],
    trial: FinishedTrial,
    planIndex: number | null,
  ): { summaries: UpdateOp[]; curves: UpdateOp[] } | null {
    if (planIndex === null) return null;
    const word = `b.w${Math.floor(planIndex / 30)}`;
    const mask = 2 ** (planIndex % 30);
    const contributions = contributionsOf(sweepId, trial, axes);
    const opsOf = (cs: Contribution[]): UpdateOp[] =>
      cs.map((c) => ({
        filter: { _id: c.id, $or: [{ [word]: { $exists: false } }, { [word]: { $bitsAllClear: mask } }] },
        update: { ...WriteProtocol.contributionUpdate(c), $bit: { [word]: { or: mask } }, $setOnInsert: { sweepId, kind: c.kind, ...c.key } },
        upsert: true,
        skipIfUnmatched: true,
      }));
    return { summaries: opsOf(contributions.filter((c) => c.kind !== 'curve')), curves: opsOf(contributions.filter((c) => c.kind === 'curve')) };
  }

  /**
   * Applies many trials' contribution ops (from `contributionOps`) with one update per summary
   * document: the ops of one document whose trial bits are still clear are merged ($inc summed,
   * $min/$max combined, $bit or-ed) into one upsert conditional on all those bits being clear.
   * The same end state as applying the ops one by one (sums up to rounding order), in one round
   * trip per document instead of one per trial — the database cost of an update is per
   * document, not per field. Bits still clear afterwards (the merged condition failed: another
   * writer counted some of them) are applied op by op, as before.
   */
  private static async contributeMerged(collection: DocCollection, ops: readonly UpdateOp[]): Promise<void> {
    if (ops.length === 0) return;
    const bitOf = (op: UpdateOp) => {
      const [word, spec] = Object.entries(op.update.$bit ?? {})[0] as [string, { or: number }];
      return { word, mask: spec.or };
    };
    const isSet = (doc: Doc | undefined, word: string, mask: number) => {
      let value: unknown = doc;
      for (const part of word.split('.')) value = (value as Record<string, unknown> | undefined)?.[part];
      return typeof value === 'number' && (value & mask) !== 0;
    };
    const ids = [...new Set(ops.map((op) => op.filter._id))];
    const before = new Map((await collection.find({ _id: { $in: ids } }, { projection: { b: 1 } })).map((d) => [d._id, d]));
    const byDoc = new Map<string, UpdateOp[]>();
    for (const op of ops) {
      const { word, mask } = bitOf(op);
      if (isSet(before.get(op.filter._id), word, mask)) continue; // counted already
      const list = byDoc.get(op.filter._id) ?? [];
      if (list.some((o) => bitOf(o).word === word && bitOf(o).mask === mask)) continue; // the same trial twice
      list.push(op);
      byDoc.set(op.filter._id, list);
    }
    const merged: UpdateOp[] = [];
    for (const [id, list] of byDoc) {
      const masks = new Map<string, number>();
      for (const op of list) {
        const { word, mask } = bitOf(op);
        masks.set(word, (masks.get(word) ?? 0) | mask);
      }
      const inc: Record<string, number> = {};
      const min: Record<string, number> = {};
      const max: Record<string, number> = {};
      for (const op of list) {
        for (const [k, v] of Object.entries(op.update.$inc ?? {})) inc[k] = (inc[k] ?? 0) + (v as number);
        for (const [k, v] of Object.entries(op.update.$min ?? {})) min[k] = Math.min(min[k] ?? Infinity, v as number);
        for (const [k, v] of Object.entries(op.update.$max ?? {})) max[k] = Math.max(max[k] ?? -Infinity, v as number);
      }
      const update: UpdateOp['update'] = {
        $inc: inc,
        $bit: Object.fromEntries([...masks].map(([word, mask]) => [word, { or: mask }])),
        $setOnInsert: list[0]!.update.$setOnInsert ?? {},
      };
      if (Object.keys(min).length > 0) {
        update.$min = min;
        update.$max = max;
      }
      merged.push({
        filter: { _id: id, $and: [...masks].map(([word, mask]) => ({ $or: [{ [word]: { $exists: false } }, { [word]: { $bitsAllClear: mask } }] })) },
        update,
        upsert: true,
        skipIfUnmatched: true,
      });
    }
    await collection.bulkUpdate(merged);
    // a merged update whose condition failed left its bits clear: those ops go one by one
    const after = new Map((await collection.find({ _id: { $in: [...byDoc.keys()] } }, { projection: { b: 1 } })).map((d) => [d._id, d]));
    const rest = [...byDoc.values()].flat().filter((op) => {
      const { word, mask } = bitOf(op);
      return !isSet(after.get(op.filter._id), word, mask);
    });
    await collection.bulkUpdate(rest);
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
        await this.contribute(sweepId, axes, this.finishedTrialOf(t, epochsById.get(t._id) ?? []), WriteProtocol.planIndex(t, sweepId));
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

}

import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { coerceError, NotFoundError, ServiceUnavailableError, type SweepRecord } from '../contracts/index.ts';
import type { Logger } from '../process/logger.ts';
import { enqueueTrials, removeWaitingTrials, type ResultsPublisher } from '../queue/queues.ts';
import { FinalMarkers, SweepStates, type SweepState } from '../queue/state.ts';
import type { ResultStore, StoredTrialStatus } from '../store/types.ts';
import { expandPlan, planSweepInChunks, preparePlan, type PlanHeader, type SweepPlan } from './plan.ts';
import { SpanKind, withSpan } from '../telemetry/index.ts';
import { isDone } from './run-trial.ts';

/**
 * The distributed scheduler's logic, shared by the scheduler service (HTTP) and
 * `spikesweep run --redis … --mongo …`: plan a spec, register it (a `sweep-registered` message
 * to the results service, the single writer to MongoDB), and enqueue the trials that have no
 * final result yet. Its own sweep state lives in Redis; it reads results through the store.
 */
export interface SchedulerDeps {
  redis: Redis;
  trials: Queue;
  results: ResultsPublisher;
  store: ResultStore;
  prefix?: string;
  /** The server's cap on a sweep's trial count (whatever the spec's limits.maxTrials says). */
  maxTrials?: number;
  /**
   * Sweeps with at most this many trials are planned before submit returns; larger ones are
   * accepted at once (`planning`) and planned in chunks in the background. Default 1000.
   */
  syncPlanTrials?: number;
  /** Background plans at once; more are refused with 503 until one finishes. Default 2. */
  maxConcurrentPlans?: number;
  log?: Logger;
}

export interface SubmitOutcome {
  sweepId: string;
  name: string;
  /** False when this spec was submitted before (nothing new is planned). */
  created: boolean;
  status: SweepState['status'];
  planned: number;
  /** Trials put on the queue by this call. */
  enqueued: number;
  /** Trials that already have a final result. */
  alreadyDone: number;
  /** True when the trials are being planned in the background (enqueued and alreadyDone are 0 until then). */
  planning: boolean;
}

export interface SweepProgress {
  sweepId: string;
  name: string;
  status: SweepState['status'];
  createdAt: string;
  planned: number;
  /** Trials per status as the store has them (`pending` = planned, not started). */
  counts: Record<StoredTrialStatus, number>;
  finished: number;
  /** finished / planned. */
  progress: number;
  /** Estimated time to finish from the rate so far; null before the first trial finished. */
  etaMs: number | null;
  /** The sweep's jobs by queue state; null for sweeps over 1000 trials (a round trip per trial). */
  queue: { waiting: number; active: number; delayed: number; failed: number } | null;
  /** Why planning failed (status `failed`). */
  error?: string;
}

const EMPTY_COUNTS: Record<StoredTrialStatus, number> = { pending: 0, running: 0, completed: 0, failed: 0, diverged: 0, pruned: 0 };

export class SweepScheduler {
  private readonly states: SweepStates;
  private readonly finals: FinalMarkers;

  constructor(private readonly deps: SchedulerDeps) {
    this.states = new SweepStates(deps.redis, deps.prefix);
    this.finals = new FinalMarkers(deps.redis, deps.prefix);
  }

  /**
   * Plans and submits a spec. The spec is validated and its trial count checked first, in
   * time independent of the count; a sweep over `syncPlanTrials` is then accepted at once
   * with status `planning` and planned off the caller's path. Throws ValidationError (naming
   * spec paths), TooLargeError, NotImplementedError, or ServiceUnavailableError when too many
   * sweeps are planning.
   */
  async submit(specInput: unknown): Promise<SubmitOutcome> {
    const header = preparePlan(specInput, { maxTrials: this.deps.maxTrials });
    if (header.count > (this.deps.syncPlanTrials ?? 1000)) return this.submitInBackground(header);
    const plan = expandPlan(header);
    return withSpan('sweep.submit', { 'spikesweep.sweep.id': plan.sweepId, 'spikesweep.sweep.trials': plan.trials.length }, () => this.register(plan), {
      kind: SpanKind.PRODUCER,
    });
  }

  /** Resolves when no sweep is planning in the background (tests). */
  async idle(): Promise<void> {
    while (this.planning.size > 0) await Promise.allSettled([...this.planning.values()]);
  }

  /**
   * Stops background planning between chunks and waits for it (shutdown). An interrupted
   * sweep keeps status `planning`; submitting its spec again plans it anew.
   */
  async close(): Promise<void> {
    this.stopping.abort();
    await this.idle();
  }

  private readonly planning = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();

  private async submitInBackground(header: PlanHeader): Promise<SubmitOutcome> {
    const { sweepId, spec } = header;
    const base = { sweepId, name: spec.name, enqueued: 0, alreadyDone: 0, planning: true };
    const existing = await this.states.get(sweepId);
    if (this.planning.has(sweepId)) return { ...base, created: false, status: existing?.status ?? 'planning', planned: existing?.planned ?? header.count };
    if (this.stopping.signal.aborted) throw new ServiceUnavailableError('the scheduler is shutting down');
    if (this.planning.size >= (this.deps.maxConcurrentPlans ?? 2)) {
      throw new ServiceUnavailableError(`the scheduler is planning ${this.planning.size} other sweeps; submit again later`);
    }
    const createdAt = new Date().toISOString();
    const created = await this.states.create({ sweepId, name: spec.name, status: 'planning', planned: header.count, createdAt, priority: spec.priority }, []);
    await this.deps.redis.hsetnx(`${this.keyPrefix()}:sweep:${sweepId}`, 'spec', JSON.stringify(spec));
    // A sweep whose earlier planning failed, or was cut off by a restart, plans again.
    if (!created && (existing?.status === 'failed' || existing?.status === 'planning')) await this.states.setStatus(sweepId, 'planning');
    const state = (await this.states.get(sweepId)) as SweepState;
    const job = this.planAndRegister(header, created)
      .catch(async (error: unknown) => {
        if (this.stopping.signal.aborted) {
          this.deps.log?.warn('planning interrupted by shutdown; submit the spec again to plan it', { sweepId });
          return;
        }
        const e = coerceError(error);
        this.deps.log?.error('planning failed', { sweepId, code: e.code, error: e.message });
        await this.states.setPlanningFailed(sweepId, e.message).catch(() => undefined);
      })
      .finally(() => this.planning.delete(sweepId));
    this.planning.set(sweepId, job);
    return { ...base, created, status: state.status, planned: state.planned };
  }

  private async register(plan: SweepPlan): Promise<SubmitOutcome> {
    const createdAt = new Date().toISOString();
    const created = await this.states.create(
      { sweepId: plan.sweepId, name: plan.spec.name, status: 'running', planned: plan.trials.length, createdAt, priority: plan.spec.priority },
      plan.trials.map((t) => t.trialId),
    );
    await this.deps.redis.hsetnx(`${this.keyPrefix()}:sweep:${plan.sweepId}`, 'spec', JSON.stringify(plan.spec));
    const state = (await this.states.get(plan.sweepId)) as SweepState;
    await this.deps.results.publish({ kind: 'sweep-registered', sweep: this.record(plan, state) });
    if (state.status === 'cancelled') return { ...(await this.outcome(plan, state, created)), enqueued: 0 };
    return this.enqueueRemaining(plan, state, created);
  }

  private async planAndRegister(header: PlanHeader, created: boolean): Promise<void> {
    const plan = await withSpan('sweep.plan', { 'spikesweep.sweep.id': header.sweepId, 'spikesweep.sweep.points': header.count }, () =>
      planSweepInChunks(header, { signal: this.stopping.signal }),
    );
    const ids = plan.trials.map((t) => t.trialId);
    await this.states.setPlanned(plan.sweepId, ids);
    const state = (await this.states.get(plan.sweepId)) as SweepState;
    await this.deps.results.publish({ kind: 'sweep-registered', sweep: this.record(plan, state) });
    if (state.status === 'cancelled') return;
    const outcome = await this.enqueueRemaining(plan, state, created);
    this.deps.log?.info('sweep planned', { sweepId: plan.sweepId, planned: outcome.planned, enqueued: outcome.enqueued, alreadyDone: outcome.alreadyDone });
  }

  /**
   * Re-enqueues every trial of a sweep without a final result in the store (after cancel,
   * failures, lost jobs or a lost database): finished trials are read from the store, jobs that
   * wait or run are left alone, finished jobs of trials the store lacks are re-added.
   */
  async resume(sweepId: string): Promise<SubmitOutcome> {
    const current = await this.states.get(sweepId);
    if (current?.status === 'planning' && this.planning.has(sweepId)) {
      return { sweepId, name: current.name, created: false, status: 'planning', planned: current.planned, enqueued: 0, alreadyDone: 0, planning: true };
    }
    const plan = await this.planOf(sweepId);
    await this.states.setStatus(sweepId, 'running');
    await this.deps.results.publish({ kind: 'sweep-status', sweepId, status: 'running', at: new Date().toISOString() });
    return this.enqueueRemaining(plan, (await this.states.get(sweepId)) as SweepState, false);
  }

  /** Stops a sweep: waiting trials leave the queue; running ones checkpoint and stop after their epoch. */
  async cancel(sweepId: string): Promise<{ sweepId: string; status: 'cancelled'; removedFromQueue: number }> {
    const ids = await this.trialIdsOf(sweepId);
    const before = await this.states.status(sweepId);
    await this.states.setStatus(sweepId, 'cancelled');
    const removedFromQueue = await removeWaitingTrials(this.deps.trials, ids);
    // A sweep still planning is not in the store yet; its registration carries `cancelled`.
    if (before === 'planning') return { sweepId, status: 'cancelled', removedFromQueue };
    await this.deps.results.publish({ kind: 'sweep-status', sweepId, status: 'cancelled', at: new Date().toISOString() });
    return { sweepId, status: 'cancelled', removedFromQueue };
  }

  async progress(sweepId: string): Promise<SweepProgress> {
    const state = await this.states.get(sweepId);
    if (!state) throw new NotFoundError(`no sweep ${sweepId}`);
    const ids = await this.states.trialIds(sweepId);
    const counts = { ...EMPTY_COUNTS };
    // Until the results service has written the sweep, the store does not know it: counts stay 0.
    const summary = await this.deps.store.getSummary(sweepId).catch((error: unknown) => {
      if (error instanceof NotFoundError) return null;
      throw error;
    });
    if (summary) Object.assign(counts, summary.byStatus);
    const finished = counts.completed + counts.failed + counts.diverged + counts.pruned;
    const elapsedMs = Date.now() - Date.parse(state.createdAt);
    const etaMs = finished > 0 && finished < state.planned ? Math.round((elapsedMs / finished) * (state.planned - finished)) : finished >= state.planned ? 0 : null;
    const queue = { waiting: 0, active: 0, delayed: 0, failed: 0 };
    for (const id of ids.length <= 1000 ? ids : []) {
      const job = await this.deps.trials.getJob(id);
      if (!job) continue;
      const jobState = await job.getState();
      if (jobState === 'waiting' || jobState === 'prioritized' || jobState === 'waiting-children') queue.waiting++;
      else if (jobState === 'active') queue.active++;
      else if (jobState === 'delayed') queue.delayed++;
      else if (jobState === 'failed') queue.failed++;
    }
    if (state.status === 'running' && finished >= state.planned) {
      await this.states.setStatus(sweepId, 'completed');
      await this.deps.results.publish({ kind: 'sweep-status', sweepId, status: 'completed', at: new Date().toISOString() });
      state.status = 'completed';
    }
    return {
      sweepId,
      name: state.name,
      status: state.status,
      createdAt: state.createdAt,
      planned: state.planned,
      counts,
      finished,
      progress: state.planned === 0 ? 1 : finished / state.planned,
      etaMs,
      queue: ids.length <= 1000 ? queue : null,
      ...(state.error ? { error: state.error } : {}),
    };
  }

  /**
   * Trials waiting or running across all sweeps; `depth` (= waiting + active) is what an
   * autoscaler compares with one trial per worker (KEDA metrics-api, infra/k8s).
   */
  async queueDepth(): Promise<{ waiting: number; active: number; delayed: number; depth: number }> {
    const c = await this.deps.trials.getJobCounts('wait', 'prioritized', 'active', 'delayed');
    const waiting = (c.wait ?? 0) + (c.prioritized ?? 0);
    const active = c.active ?? 0;
    return { waiting, active, delayed: c.delayed ?? 0, depth: waiting + active };
  }

  async list(offset = 0, limit = 50): Promise<SweepState[]> {
    return this.states.list(offset, Math.min(limit, 500));
  }

  private keyPrefix(): string {
    return this.deps.prefix ?? 'spikesweep';
  }

  private async trialIdsOf(sweepId: string): Promise<string[]> {
    if (!(await this.states.get(sweepId))) throw new NotFoundError(`no sweep ${sweepId}`);
    return this.states.trialIds(sweepId);
  }

  private async planOf(sweepId: string): Promise<SweepPlan> {
    const json = await this.deps.redis.hget(`${this.keyPrefix()}:sweep:${sweepId}`, 'spec');
    if (!json) throw new NotFoundError(`no sweep ${sweepId}`);
    // Chunked: resuming a large sweep does not stall the other requests.
    return planSweepInChunks(preparePlan(JSON.parse(json)));
  }

  private record(plan: SweepPlan, state: SweepState): SweepRecord {
    return {
      sweepId: plan.sweepId,
      name: plan.spec.name,
      spec: plan.spec as unknown as Record<string, unknown>,
      createdAt: state.createdAt,
      trials: plan.trials.map((t) => ({ trialId: t.trialId, config: t.config as unknown as Record<string, unknown> })),
      axes: [...plan.axes],
      status: state.status === 'cancelled' || state.status === 'completed' ? state.status : 'running',
    };
  }

  /**
   * Trials whose final result is in the store (the database is the truth). Redis' "final"
   * markers are not trusted: after a database loss they name trials whose results are gone.
   */
  private async doneIds(plan: SweepPlan): Promise<Set<string>> {
    const statuses = await this.deps.store.getStatuses(plan.trials.map((t) => t.trialId));
    const done = new Set<string>();
    for (const [id, status] of statuses) {
      if (status !== 'pending' && status !== 'running' && isDone({ status })) done.add(id);
    }
    return done;
  }

  private async outcome(plan: SweepPlan, state: SweepState, created: boolean): Promise<SubmitOutcome> {
    const done = await this.doneIds(plan);
    return { sweepId: plan.sweepId, name: plan.spec.name, created, status: state.status, planned: plan.trials.length, enqueued: 0, alreadyDone: done.size, planning: false };
  }

  private async enqueueRemaining(plan: SweepPlan, state: SweepState, created: boolean): Promise<SubmitOutcome> {
    const done = await this.doneIds(plan);
    const todo = plan.trials.filter((t) => !done.has(t.trialId));
    // Repair: a marker of a trial the store lacks would make workers skip it; remove it.
    const stale = await this.finals.which(todo.map((t) => t.trialId));
    if (stale.size > 0) await this.finals.clear([...stale]);
    const added = await enqueueTrials(this.deps.trials, plan.sweepId, plan.spec, todo, { fresh: created });
    return { sweepId: plan.sweepId, name: plan.spec.name, created, status: state.status, planned: plan.trials.length, enqueued: added.length, alreadyDone: done.size, planning: false };
  }
}

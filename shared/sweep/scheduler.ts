import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { NotFoundError, type SweepRecord } from '../contracts/index.ts';
import { enqueueTrials, removeWaitingTrials, type ResultsPublisher } from '../queue/queues.ts';
import { FinalMarkers, SweepStates, type SweepState } from '../queue/state.ts';
import type { ResultStore, StoredTrialStatus } from '../store/types.ts';
import { planSweep, type SweepPlan } from './plan.ts';
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
}

const EMPTY_COUNTS: Record<StoredTrialStatus, number> = { pending: 0, running: 0, completed: 0, failed: 0, diverged: 0, pruned: 0 };

export class SweepScheduler {
  private readonly states: SweepStates;
  private readonly finals: FinalMarkers;

  constructor(private readonly deps: SchedulerDeps) {
    this.states = new SweepStates(deps.redis, deps.prefix);
    this.finals = new FinalMarkers(deps.redis, deps.prefix);
  }

  /** Plans and submits a spec. Throws ValidationError (naming spec paths) or NotImplementedError. */
  async submit(specInput: unknown): Promise<SubmitOutcome> {
    const plan = planSweep(specInput);
    return withSpan('sweep.submit', { 'spikesweep.sweep.id': plan.sweepId, 'spikesweep.sweep.trials': plan.trials.length }, () => this.register(plan), {
      kind: SpanKind.PRODUCER,
    });
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

  /** Re-enqueues every trial of a sweep without a final result (after cancel, failures or lost jobs). */
  async resume(sweepId: string): Promise<SubmitOutcome> {
    const plan = await this.planOf(sweepId);
    await this.states.setStatus(sweepId, 'running');
    await this.deps.results.publish({ kind: 'sweep-status', sweepId, status: 'running', at: new Date().toISOString() });
    return this.enqueueRemaining(plan, (await this.states.get(sweepId)) as SweepState, false);
  }

  /** Stops a sweep: waiting trials leave the queue; running ones checkpoint and stop after their epoch. */
  async cancel(sweepId: string): Promise<{ sweepId: string; status: 'cancelled'; removedFromQueue: number }> {
    const ids = await this.trialIdsOf(sweepId);
    await this.states.setStatus(sweepId, 'cancelled');
    const removedFromQueue = await removeWaitingTrials(this.deps.trials, ids);
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
    return planSweep(JSON.parse(json));
  }

  private record(plan: SweepPlan, state: SweepState): SweepRecord {
    return {
      sweepId: plan.sweepId,
      name: plan.spec.name,
      spec: plan.spec as unknown as Record<string, unknown>,
      createdAt: state.createdAt,
      trials: plan.trials.map((t) => ({ trialId: t.trialId, config: t.config as unknown as Record<string, unknown> })),
      axes: [...plan.axes],
      status: state.status,
    };
  }

  private async doneIds(plan: SweepPlan): Promise<Set<string>> {
    const ids = plan.trials.map((t) => t.trialId);
    const done = await this.finals.which(ids);
    for (const result of await this.deps.store.getResults(ids.filter((id) => !done.has(id)))) {
      if (isDone(result)) done.add(result.trialId);
    }
    return done;
  }

  private async outcome(plan: SweepPlan, state: SweepState, created: boolean): Promise<SubmitOutcome> {
    const done = await this.doneIds(plan);
    return { sweepId: plan.sweepId, name: plan.spec.name, created, status: state.status, planned: plan.trials.length, enqueued: 0, alreadyDone: done.size };
  }

  private async enqueueRemaining(plan: SweepPlan, state: SweepState, created: boolean): Promise<SubmitOutcome> {
    const done = await this.doneIds(plan);
    const todo = plan.trials.filter((t) => !done.has(t.trialId));
    const added = await enqueueTrials(this.deps.trials, plan.sweepId, plan.spec, todo, { fresh: created });
    return { sweepId: plan.sweepId, name: plan.spec.name, created, status: state.status, planned: plan.trials.length, enqueued: added.length, alreadyDone: done.size };
  }
}

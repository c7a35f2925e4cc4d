import type { Redis } from 'ioredis';
import { DEFAULT_QUEUE_PREFIX, TrialCheckpoint, type SweepRecord } from '../contracts/index.ts';
import type { CheckpointStore } from '../sweep/checkpoints.ts';
import type { RungStore } from '../sweep/early-stopping.ts';

/**
 * Platform state that lives in Redis beside the queues, under the same prefix:
 * - `<prefix>:checkpoint:<trialId>`   latest checkpoint of a running trial (JSON)
 * - `<prefix>:rung:<sweepId>:<epoch>` hash trialId → validation accuracy (early stopping)
 * - `<prefix>:final:<trialId>`        set once a trial's final result was published
 * - `<prefix>:sweep:<sweepId>`        hash: status, name, planned, createdAt, trialIds (JSON)
 * - `<prefix>:sweeps`                 sorted set of sweep ids by creation time
 */

const CHECKPOINT_TTL_SECONDS = 14 * 24 * 3600;
const RUNG_TTL_SECONDS = 30 * 24 * 3600;
const FINAL_TTL_SECONDS = 90 * 24 * 3600;

export function keys(prefix = DEFAULT_QUEUE_PREFIX) {
  return {
    checkpoint: (trialId: string) => `${prefix}:checkpoint:${trialId}`,
    rung: (sweepId: string, epoch: number) => `${prefix}:rung:${sweepId}:${epoch}`,
    final: (trialId: string) => `${prefix}:final:${trialId}`,
    sweep: (sweepId: string) => `${prefix}:sweep:${sweepId}`,
    sweeps: `${prefix}:sweeps`,
  };
}

export class RedisCheckpointStore implements CheckpointStore {
  private readonly keys;
  constructor(private readonly redis: Redis, prefix?: string) {
    this.keys = keys(prefix);
  }
  async load(trialId: string): Promise<TrialCheckpoint | null> {
    const json = await this.redis.get(this.keys.checkpoint(trialId));
    return json === null ? null : TrialCheckpoint.parse(JSON.parse(json));
  }
  async save(checkpoint: TrialCheckpoint): Promise<void> {
    await this.redis.set(this.keys.checkpoint(checkpoint.trialId), JSON.stringify(checkpoint), 'EX', CHECKPOINT_TTL_SECONDS);
  }
  async delete(trialId: string): Promise<void> {
    await this.redis.del(this.keys.checkpoint(trialId));
  }
}

export class RedisRungStore implements RungStore {
  private readonly keys;
  constructor(private readonly redis: Redis, prefix?: string) {
    this.keys = keys(prefix);
  }
  async record(sweepId: string, epoch: number, trialId: string, value: number): Promise<number[]> {
    const key = this.keys.rung(sweepId, epoch);
    const replies = await this.redis.multi().hset(key, trialId, String(value)).expire(key, RUNG_TTL_SECONDS).hgetall(key).exec();
    const [error, rung] = (replies?.[2] ?? [null, {}]) as [Error | null, Record<string, string>];
    if (error) throw error;
    return Object.entries(rung)
      .filter(([id]) => id !== trialId)
      .map(([, v]) => Number(v));
  }
}

/** Markers of trials whose final result was published (so no worker runs them again). */
export class FinalMarkers {
  private readonly keys;
  constructor(private readonly redis: Redis, prefix?: string) {
    this.keys = keys(prefix);
  }
  async mark(trialId: string, status: string): Promise<void> {
    await this.redis.set(this.keys.final(trialId), status, 'EX', FINAL_TTL_SECONDS);
  }
  async has(trialId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.final(trialId))) === 1;
  }
  /** Removes the markers of trials to run again (their result is not in the store). */
  async clear(trialIds: readonly string[]): Promise<void> {
    for (let i = 0; i < trialIds.length; i += 1000) {
      const chunk = trialIds.slice(i, i + 1000);
      if (chunk.length > 0) await this.redis.del(...chunk.map((id) => this.keys.final(id)));
    }
  }
  /** The subset of `trialIds` with a marker. */
  async which(trialIds: readonly string[]): Promise<Set<string>> {
    if (trialIds.length === 0) return new Set();
    const values = await this.redis.mget(...trialIds.map((id) => this.keys.final(id)));
    return new Set(trialIds.filter((_, i) => values[i] !== null));
  }
}

export interface SweepState {
  sweepId: string;
  name: string;
  /**
   * The store's statuses, and two of the scheduler's own: `planning` (accepted, its trials are
   * being built in the background) and `failed` (planning found an invalid trial; see `error`).
   */
  status: SweepRecord['status'] | 'planning' | 'failed';
  /** Why planning failed (status `failed`). */
  error?: string;
  planned: number;
  createdAt: string;
  priority: number;
}

/** The scheduler's own view of the sweeps it accepted (the store has the results). */
export class SweepStates {
  private readonly keys;
  constructor(private readonly redis: Redis, prefix?: string) {
    this.keys = keys(prefix);
  }
  /** Creates the state unless it exists; returns whether it was created. */
  async create(state: SweepState, trialIds: readonly string[]): Promise<boolean> {
    const key = this.keys.sweep(state.sweepId);
    const created = await this.redis.hsetnx(key, 'sweepId', state.sweepId);
    if (created === 1) {
      await this.redis
        .multi()
        .hset(key, {
          name: state.name,
          status: state.status,
          planned: String(state.planned),
          createdAt: state.createdAt,
          priority: String(state.priority),
          trialIds: JSON.stringify(trialIds),
        })
        .zadd(this.keys.sweeps, Date.parse(state.createdAt), state.sweepId)
        .exec();
    }
    return created === 1;
  }
  async get(sweepId: string): Promise<SweepState | null> {
    const h = await this.redis.hgetall(this.keys.sweep(sweepId));
    if (!h.sweepId || !h.status) return null;
    return {
      sweepId,
      name: h.name ?? '',
      status: h.status as SweepState['status'],
      planned: Number(h.planned),
      createdAt: h.createdAt ?? '',
      priority: Number(h.priority),
      ...(h.error ? { error: h.error } : {}),
    };
  }
  /**
   * Records the trials of a sweep that was planning; `planning` becomes `running` (a sweep
   * cancelled meanwhile stays cancelled). Atomic, so it cannot undo a concurrent cancel.
   */
  async setPlanned(sweepId: string, trialIds: readonly string[]): Promise<void> {
    await this.redis.eval(
      "redis.call('hset', KEYS[1], 'trialIds', ARGV[1], 'planned', ARGV[2]) if redis.call('hget', KEYS[1], 'status') == 'planning' then redis.call('hset', KEYS[1], 'status', 'running') end return 1",
      1,
      this.keys.sweep(sweepId),
      JSON.stringify(trialIds),
      String(trialIds.length),
    );
  }
  /** Planning failed: the sweep stays, with status `failed` and the reason. */
  async setPlanningFailed(sweepId: string, error: string): Promise<void> {
    await this.redis.hset(this.keys.sweep(sweepId), { status: 'failed', error });
  }
  async trialIds(sweepId: string): Promise<string[]> {
    const json = await this.redis.hget(this.keys.sweep(sweepId), 'trialIds');
    return json ? (JSON.parse(json) as string[]) : [];
  }
  async setStatus(sweepId: string, status: SweepState['status']): Promise<void> {
    await this.redis.hset(this.keys.sweep(sweepId), 'status', status);
  }
  async status(sweepId: string): Promise<SweepState['status'] | null> {
    return (await this.redis.hget(this.keys.sweep(sweepId), 'status')) as SweepState['status'] | null;
  }
  /** Newest first. */
  async list(offset: number, limit: number): Promise<SweepState[]> {
    const ids = await this.redis.zrevrange(this.keys.sweeps, offset, offset + limit - 1);
    const states = await Promise.all(ids.map((id) => this.get(id)));
    return states.filter((s): s is SweepState => s !== null);
  }
}

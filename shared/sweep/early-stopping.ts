import type { EarlyStopping } from '../contracts/index.ts';

/**
 * Early stopping between epochs, from other trials' validation accuracy at the same epoch.
 * The rules are pure functions; where the other trials' values live (in memory for the
 * embedded mode, in Redis for the workers) is behind `RungStore`.
 */

/** Validation accuracies of a sweep's trials per epoch. */
export interface RungStore {
  /** Records `value` for the trial at `epoch` and returns the values the *other* trials recorded there. */
  record(sweepId: string, epoch: number, trialId: string, value: number): Promise<number[]>;
}

export class MemoryRungStore implements RungStore {
  private readonly rungs = new Map<string, Map<string, number>>();
  async record(sweepId: string, epoch: number, trialId: string, value: number): Promise<number[]> {
    const key = `${sweepId}:${epoch}`;
    let rung = this.rungs.get(key);
    if (!rung) this.rungs.set(key, (rung = new Map()));
    rung.set(trialId, value);
    return [...rung].filter(([id]) => id !== trialId).map(([, v]) => v);
  }
}

/** ASHA rungs: minEpochs·η^k for k = 0, 1, … strictly below the trial's epoch budget. */
export function ashaRungs(minEpochs: number, reductionFactor: number, maxEpochs: number): number[] {
  const rungs: number[] = [];
  for (let r = minEpochs; r < maxEpochs; r *= reductionFactor) rungs.push(r);
  return rungs;
}

/**
 * ASHA at a rung: of the n trials that reached it so far (this one included), the best
 * ceil(n/η) continue. Ties continue.
 */
export function ashaContinues(value: number, others: readonly number[], reductionFactor: number): boolean {
  const all = [...others, value].sort((a, b) => b - a);
  const keep = Math.ceil(all.length / reductionFactor);
  return value >= (all[keep - 1] as number);
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Median stopping: stop when the best value so far is below the others' median at this epoch. */
export function medianContinues(bestSoFar: number, others: readonly number[], minTrials: number): boolean {
  if (others.length < minTrials) return true;
  return bestSoFar >= median(others);
}

/** Per-trial state the rules need, and the decision after each epoch. */
export class EarlyStopper {
  private best = -Infinity;
  private readonly rungs: ReadonlySet<number>;

  constructor(
    private readonly rule: EarlyStopping,
    private readonly store: RungStore,
    private readonly sweepId: string,
    private readonly trialId: string,
    maxEpochs: number,
  ) {
    this.rungs = new Set(rule.kind === 'asha' ? ashaRungs(rule.minEpochs, rule.reductionFactor, maxEpochs) : []);
  }

  /** Called after every epoch (also for epochs replayed from a checkpoint, with `replay`). */
  async afterEpoch(epoch: number, validationAccuracy: number): Promise<'continue' | 'prune'> {
    this.best = Math.max(this.best, validationAccuracy);
    const rule = this.rule;
    switch (rule.kind) {
      case 'none':
        return 'continue';
      case 'median': {
        const others = await this.store.record(this.sweepId, epoch, this.trialId, validationAccuracy);
        if (epoch < rule.warmupEpochs) return 'continue';
        return medianContinues(this.best, others, rule.minTrials) ? 'continue' : 'prune';
      }
      case 'asha': {
        if (!this.rungs.has(epoch)) return 'continue';
        const others = await this.store.record(this.sweepId, epoch, this.trialId, validationAccuracy);
        return ashaContinues(validationAccuracy, others, rule.reductionFactor) ? 'continue' : 'prune';
      }
    }
  }

  /** Restores the best-so-far from epochs already run (resume), without re-deciding. */
  replay(validationAccuracies: readonly number[]): void {
    for (const v of validationAccuracies) this.best = Math.max(this.best, v);
  }
}

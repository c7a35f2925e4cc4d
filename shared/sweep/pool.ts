import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { SpikeSweepError, type ErrorCode, type EpochMetrics, type TrialCheckpoint, type TrialConfig, type TrialResult } from '../contracts/index.ts';
import { DEFAULT_ENGINE_MODULE, type FromThread, type ToThread, type TrialRunContext } from './engine.ts';

/** Decision after an epoch: go on, stop as pruned, or checkpoint and give the trial back. */
export type EpochDecision = 'continue' | 'prune' | 'release';

export interface EpochReport {
  metrics: EpochMetrics;
  /** Present every `checkpointEveryEpochs` epochs (and never after the last one). */
  checkpoint: TrialCheckpoint | null;
  finished: boolean;
}

export type TrialOutcome = { kind: 'finished'; result: TrialResult } | { kind: 'released'; checkpoint: TrialCheckpoint };

/**
 * The engine threw inside a trial thread, or the thread died. `code` is the engine error's
 * stable code when it has one; a thread that crashed or exited has `spikesweep:thread-crashed`
 * (retryable); an engine error without a code has `spikesweep:service-unavailable`.
 */
export class TrialRunError extends SpikeSweepError {
  constructor(message: string, options: { engineCode: string | null; retryable: boolean; crashed?: boolean; cause?: unknown }) {
    const code = (
      options.crashed ? 'spikesweep:thread-crashed' : options.engineCode?.startsWith('spikesweep:') ? options.engineCode : 'spikesweep:service-unavailable'
    ) as ErrorCode;
    super(code, message, options);
  }
}

/** Attempts to start a replacement thread before the pool gives up on that slot. */
export const RESPAWN_ATTEMPTS = 3;

interface Slot {
  worker: Worker;
  busy: boolean;
}

interface Request {
  start: Extract<ToThread, { type: 'start' }>;
  onEpoch: (report: EpochReport) => Promise<EpochDecision>;
  resolve: (outcome: TrialOutcome) => void;
  reject: (error: unknown) => void;
}

export interface TrialPoolOptions {
  /** Threads, i.e. trials run at once. */
  size?: number;
  /** Module with `startTrial` (default: shared/engine/trial.ts). */
  engineModule?: string;
  /**
   * Called once when a dead thread could not be replaced (RESPAWN_ATTEMPTS failed starts).
   * When no thread is left, waiting and later trials reject with the same error instead of
   * waiting forever.
   */
  onBroken?: (error: SpikeSweepError) => void;
  /** First delay between respawn attempts (doubling). */
  respawnDelayMs?: number;
}

/** Default concurrency: one trial per core. */
export function defaultConcurrency(): number {
  return Math.max(1, availableParallelism());
}

/**
 * A fixed set of worker threads running trials, one trial per thread. From the sources each
 * thread registers the tsx loader first (trial-thread-boot.js); from the compiled dist/ it
 * loads trial-thread.js directly. A thread that dies is replaced; its trial fails
 * with a retryable TrialRunError.
 */
export class TrialPool {
  readonly size: number;
  private readonly engineModule: string;
  private readonly slots: Slot[] = [];
  private readonly waiting: Request[] = [];
  private closed = false;
  private broken: SpikeSweepError | null = null;
  private readonly onBroken: ((error: SpikeSweepError) => void) | undefined;
  private readonly respawnDelayMs: number;

  constructor(options: TrialPoolOptions = {}) {
    this.size = options.size ?? defaultConcurrency();
    this.engineModule = options.engineModule ?? DEFAULT_ENGINE_MODULE;
    this.onBroken = options.onBroken;
    this.respawnDelayMs = options.respawnDelayMs ?? 200;
  }

  /** Threads alive or starting. */
  get threads(): number {
    return this.slots.length;
  }

  /** Starts the threads and waits until each has loaded the engine. */
  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.size }, () => this.spawn()));
  }

  get busy(): number {
    return this.slots.filter((s) => s.busy).length;
  }

  private spawn(): Promise<Slot> {
    const worker = new Worker(new URL(import.meta.url.endsWith('.ts') ? './trial-thread-boot.js' : './trial-thread.js', import.meta.url), {
      workerData: { engineModule: this.engineModule },
    });
    const slot: Slot = { worker, busy: true };
    this.slots.push(slot);
    return new Promise((resolve, reject) => {
      const onReady = (message: FromThread) => {
        if (message.type !== 'ready') return;
        worker.off('message', onReady);
        worker.off('error', onError);
        slot.busy = false;
        resolve(slot);
        this.dispatch();
      };
      const onError = (error: unknown) => {
        this.slots.splice(this.slots.indexOf(slot), 1);
        reject(new SpikeSweepError('spikesweep:misconfigured-service', `trial thread failed to start: ${String(error)}`, { cause: error }));
      };
      worker.on('message', onReady);
      worker.once('error', onError);
    });
  }

  /** Runs one trial; resolves when it finished or was released. */
  run(
    config: TrialConfig,
    options: { checkpoint: TrialCheckpoint | null; checkpointEveryEpochs: number; context?: TrialRunContext },
    onEpoch: (report: EpochReport) => Promise<EpochDecision>,
  ): Promise<TrialOutcome> {
    if (this.closed) return Promise.reject(new SpikeSweepError('spikesweep:service-unavailable', 'trial pool is closed'));
    if (this.broken && this.slots.length === 0) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      this.waiting.push({
        start: { type: 'start', config, checkpoint: options.checkpoint, checkpointEveryEpochs: options.checkpointEveryEpochs, ...(options.context ? { context: options.context } : {}) },
        onEpoch,
        resolve,
        reject,
      });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const request = this.waiting.shift();
      if (!request) return;
      this.runOn(slot, request);
    }
  }

  private runOn(slot: Slot, request: Request): void {
    slot.busy = true;
    const { worker } = slot;
    let settled = false;
    const done = (error: unknown, outcome?: TrialOutcome) => {
      if (settled) return;
      settled = true;
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (error) request.reject(error);
      else request.resolve(outcome as TrialOutcome);
    };
    const onMessage = (message: FromThread) => {
      switch (message.type) {
        case 'epoch':
          request
            .onEpoch({ metrics: message.metrics, checkpoint: message.checkpoint, finished: message.finished })
            .then((decision) => worker.postMessage({ type: 'decision', decision } satisfies ToThread))
            .catch((error: unknown) => {
              // The decision could not be made (e.g. the checkpoint could not be saved): stop the thread's trial.
              this.replace(slot);
              done(error);
            });
          return;
        case 'finished':
          slot.busy = false;
          done(null, { kind: 'finished', result: message.result });
          this.dispatch();
          return;
        case 'released':
          slot.busy = false;
          done(null, { kind: 'released', checkpoint: message.checkpoint });
          this.dispatch();
          return;
        case 'error':
          slot.busy = false;
          done(new TrialRunError(message.message, { engineCode: message.code, retryable: message.retryable }));
          this.dispatch();
          return;
        case 'ready':
          return;
      }
    };
    const onError = (error: unknown) => {
      done(new TrialRunError(`trial thread crashed: ${String(error)}`, { engineCode: null, retryable: true, crashed: true, cause: error }));
    };
    const onExit = (code: number) => {
      done(new TrialRunError(`trial thread exited with code ${code}`, { engineCode: null, retryable: true, crashed: true }));
      this.replace(slot);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(request.start satisfies ToThread);
  }

  /** Drops a slot's thread and, unless closed, starts a fresh one. */
  private replace(slot: Slot): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    void slot.worker.terminate();
    void this.respawn(1);
  }

  /** Starts a replacement thread, retrying with backoff; gives up after RESPAWN_ATTEMPTS and says so. */
  private async respawn(attempt: number): Promise<void> {
    if (this.closed) return;
    try {
      await this.spawn();
    } catch (error) {
      if (attempt < RESPAWN_ATTEMPTS) {
        await new Promise((resolve) => setTimeout(resolve, this.respawnDelayMs * 2 ** (attempt - 1)));
        return this.respawn(attempt + 1);
      }
      const reason = error instanceof Error ? error.message : String(error);
      const broken = new SpikeSweepError(
        'spikesweep:thread-crashed',
        `trial pool cannot replace a crashed thread after ${RESPAWN_ATTEMPTS} attempts (${this.slots.length} of ${this.size} threads left): ${reason}`,
        { cause: error },
      );
      if (!this.broken) {
        this.broken = broken;
        this.onBroken?.(broken);
      }
      if (this.slots.length === 0) for (const request of this.waiting.splice(0)) request.reject(broken);
    }
  }

  /** Terminates every thread; trials still running reject. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const request of this.waiting.splice(0)) request.reject(new SpikeSweepError('spikesweep:service-unavailable', 'trial pool closed'));
    await Promise.all(this.slots.splice(0).map((slot) => slot.worker.terminate()));
  }
}

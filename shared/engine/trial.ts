/**
 * A trial: one training run of one method, in one mode, from a TrialConfig to a TrialResult.
 *
 * `startTrial` builds the datasets, the method's model (weights from the stream
 * `streamFor(seed, 'init')`) and the mode's runtime; each `runEpoch` trains one epoch — the
 * training split in the order of `streamFor(seed, 'minibatch-order')`'s permutation, minibatches
 * of `batchSize`, one Adam step each at learning rate η·decay^(epoch−1) — and then measures
 * validation accuracy. The best-validation parameters are kept (ties keep the earlier epoch);
 * training stops after `epochs`, after `earlyStoppingPatience` epochs without improvement, or
 * when training diverges (status `diverged`, the reason names the epoch and minibatch): the
 * same test for every method and mode, in this loop, after each minibatch —
 *   - the loss or a gradient is not finite, or the mean loss per sample exceeds
 *     LOSS_LIMIT (the step is not applied);
 *   - after the step a weight is not finite, or |w| > WEIGHT_LIMIT_FACTOR · max(1, max|w₀|)
 *     for its tensor's initial weights w₀ (the step is undone).
 * The parameters therefore stay those of the last sound step, and the diverged epoch's
 * validation accuracy is measured on them.
 * `finish` restores the best parameters and measures train/validation/test accuracy and the
 * chip evaluations. A checkpoint holds everything needed to continue bit-identically.
 *
 * Errors: a divergence is a result (`diverged`, with its reason); any other error thrown while
 * training marks the session `failed` (finish() then returns a `failed` result) and is rethrown.
 * `runTrial` catches it and returns that result.
 */
import { SpikeSweepError } from '../contracts/errors.ts';
import { parseTrialConfig, trialIdOf, TrialCheckpoint, type EpochMetrics, type OperationResult, type TrialConfig, type TrialResult, type TrialStatus } from '../contracts/trial.ts';
import { parseOrThrow } from '../contracts/validate.ts';
import { generateYinYang } from './data/yinyang.ts';
import { methodFor } from './methods/index.ts';
import type { MethodModel, PreparedData } from './methods/types.ts';
import { hasSchedule, runOperation } from './operation.ts';
import { modeFor, type DeviceOpener, type ModeRuntime, type TrialContext } from './modes.ts';
import { Adam, type AdamState } from './optim/adam.ts';
import { streamFor, type Mt19937, type RandomState } from './random.ts';

/** 2: devices (device/types.ts); event terms in the energy of every method, read-out counted from replies. */
export const ENGINE_VERSION = 'spikesweep-engine/2';

export interface TrialSession {
  readonly trialId: string;
  readonly config: TrialConfig;
  readonly epochsDone: number;
  /** All epochs run, early-stopped on validation, diverged, or failed. */
  readonly finished: boolean;
  /** Trains one epoch (minibatches, Adam, lr schedule) and measures validation accuracy. */
  runEpoch(): Promise<EpochMetrics>;
  /** JSON-serialisable; resuming from it continues bit-identically. */
  checkpoint(): TrialCheckpoint;
  /** Restores the best-validation parameters; test accuracy, chip evaluations, costs. */
  finish(stop?: 'pruned'): Promise<TrialResult>;
}

/** The engine's part of a checkpoint (`TrialCheckpoint.state`). */
interface EngineState {
  readonly engineVersion: string;
  readonly params: Record<string, number[]>;
  readonly bestParams: Record<string, number[]>;
  readonly adam: AdamState;
  readonly orderRng: RandomState;
  readonly bestEpoch: number;
  readonly bestValidationAccuracy: number;
  readonly epochsWithoutImprovement: number;
  readonly stopReason: StopReason | null;
  readonly divergence: string | null;
  readonly mode: unknown;
}

type StopReason = 'epochs' | 'early-stopping' | 'diverged' | 'failed';

function copyParams(from: Readonly<Record<string, Float64Array>>, to: Readonly<Record<string, Float64Array>>): void {
  for (const [name, p] of Object.entries(from)) to[name]!.set(p);
}

function toJson(params: Readonly<Record<string, Float64Array>>): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [name, p] of Object.entries(params)) out[name] = Array.from(p);
  return out;
}

/**
 * Mean loss per sample above which training counts as exploded. Every method's loss is a
 * cross-entropy over 3 classes (ln 3 ≈ 1.1 at chance) plus small regularisers, so a sound
 * trial stays orders of magnitude below this.
 */
export const LOSS_LIMIT = 1e6;
/** A weight beyond this multiple of its tensor's initial scale, max(1, max|w₀|), counts as exploded. */
export const WEIGHT_LIMIT_FACTOR = 1e6;

/** Largest |w| allowed per tensor: WEIGHT_LIMIT_FACTOR · max(1, max|w₀|). */
function weightLimits(params: Readonly<Record<string, Float64Array>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, p] of Object.entries(params)) {
    let scale = 1;
    for (let i = 0; i < p.length; i++) if (Math.abs(p[i]!) > scale) scale = Math.abs(p[i]!);
    out[name] = WEIGHT_LIMIT_FACTOR * scale;
  }
  return out;
}

/** The first weight that is not finite or beyond its tensor's limit, as text; null when all are sound. */
function unsoundWeight(params: Readonly<Record<string, Float64Array>>, limits: Readonly<Record<string, number>>): string | null {
  for (const [name, p] of Object.entries(params)) {
    const limit = limits[name] ?? Infinity;
    for (let i = 0; i < p.length; i++) {
      const w = p[i]!;
      if (!Number.isFinite(w)) return `non-finite weight ${name}[${i}] = ${w}`;
      if (Math.abs(w) > limit) return `exploding weight ${name}[${i}] = ${w} (limit ${limit.toExponential(1)})`;
    }
  }
  return null;
}

function allFinite(params: Readonly<Record<string, Float64Array>>): string | null {
  for (const [name, p] of Object.entries(params)) {
    for (let i = 0; i < p.length; i++) if (!Number.isFinite(p[i]!)) return `${name}[${i}] = ${p[i]}`;
  }
  return null;
}

class Session implements TrialSession {
  readonly trialId: string;
  readonly config: TrialConfig;
  private readonly model: MethodModel;
  private readonly runtime: ModeRuntime;
  private readonly adam: Adam;
  private readonly orderRng: Mt19937;
  private readonly train: PreparedData;
  private readonly validation: PreparedData;
  private readonly test: PreparedData;
  private readonly bestParams: Record<string, Float64Array>;
  /** Parameters before the current step (to undo a step that made a weight explode). */
  private readonly previousParams: Record<string, Float64Array>;
  private readonly weightLimits: Record<string, number>;
  private readonly order: Int32Array;
  private readonly epochs: EpochMetrics[] = [];
  private bestEpoch = 0;
  private bestValidationAccuracy = -1;
  private epochsWithoutImprovement = 0;
  private stopReason: StopReason | null = null;
  private problem: string | null = null;
  private elapsedBeforeMs = 0;
  private readonly startedAt = performance.now();

  constructor(config: TrialConfig, resumeFrom?: TrialCheckpoint, context: TrialContext = {}) {
    this.config = config;
    this.trialId = trialIdOf(config);
    const d = config.dataset;
    const trainRaw = generateYinYang(d.trainSize, d.trainSeed);
    this.model = methodFor(config).createModel(config, streamFor(config.seed, 'init'), trainRaw);
    this.runtime = modeFor(config).start(config, this.model, context);
    if (config.evaluateOnChips.length > 0 && !this.runtime.evaluateOnChip) {
      throw new SpikeSweepError('spikesweep:not-implemented', `evaluateOnChips: mode '${config.mode}' cannot evaluate on chips yet`);
    }
    this.train = this.model.prepare(trainRaw);
    this.validation = this.model.prepare(generateYinYang(d.validationSize, d.validationSeed));
    this.test = this.model.prepare(generateYinYang(d.testSize, d.testSeed));
    const t = config.training;
    this.adam = new Adam(this.model.params, { beta1: t.adamBeta1, beta2: t.adamBeta2, epsilon: t.adamEpsilon });
    this.orderRng = streamFor(config.seed, 'minibatch-order');
    this.order = new Int32Array(this.train.size);
    this.bestParams = {};
    this.previousParams = {};
    for (const [name, p] of Object.entries(this.model.params)) {
      this.bestParams[name] = Float64Array.from(p);
      this.previousParams[name] = Float64Array.from(p);
    }
    // From the initial weights (the same stream whether or not this session resumes).
    this.weightLimits = weightLimits(this.model.params);
    if (resumeFrom) this.restore(resumeFrom);
  }

  get epochsDone(): number {
    return this.epochs.length;
  }

  get finished(): boolean {
    return this.stopReason !== null;
  }

  private restore(checkpoint: TrialCheckpoint): void {
    if (checkpoint.trialId !== this.trialId) {
      throw new SpikeSweepError('spikesweep:invalid-input', `checkpoint is of trial ${checkpoint.trialId}, not ${this.trialId}`);
    }
    const s = checkpoint.state as EngineState;
    if (!s || s.engineVersion !== ENGINE_VERSION) {
      throw new SpikeSweepError('spikesweep:invalid-input', `checkpoint engine version ${String(s?.engineVersion)} is not ${ENGINE_VERSION}`);
    }
    for (const [name, p] of Object.entries(this.model.params)) {
      p.set(s.params[name] ?? []);
      this.bestParams[name]!.set(s.bestParams[name] ?? []);
    }
    this.adam.setState(s.adam);
    this.orderRng.setState(s.orderRng);
    this.runtime.setState(s.mode);
    this.epochs.push(...checkpoint.epochs);
    this.bestEpoch = s.bestEpoch;
    this.bestValidationAccuracy = s.bestValidationAccuracy;
    this.epochsWithoutImprovement = s.epochsWithoutImprovement;
    this.stopReason = s.stopReason;
    this.problem = s.divergence;
    this.elapsedBeforeMs = checkpoint.elapsedWallTimeMs;
  }

  private elapsedMs(): number {
    return this.elapsedBeforeMs + (performance.now() - this.startedAt);
  }

  async runEpoch(): Promise<EpochMetrics> {
    if (this.finished) throw new SpikeSweepError('spikesweep:invalid-input', `trial ${this.trialId} has finished (${this.stopReason})`);
    try {
      return await this.trainEpoch();
    } catch (error) {
      this.stopReason = 'failed';
      this.problem = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw error;
    }
  }

  private async trainEpoch(): Promise<EpochMetrics> {
    const t0 = performance.now();
    const t = this.config.training;
    const epoch = this.epochs.length + 1;
    const learningRate = t.learningRate * t.lrDecayPerEpoch ** (epoch - 1);
    const n = this.train.size;
    for (let i = 0; i < n; i++) this.order[i] = i;
    this.orderRng.shuffle(this.order);
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    for (let start = 0; start < n; start += t.batchSize) {
      const count = Math.min(t.batchSize, n - start);
      const where = `epoch ${epoch}, minibatch ${start / t.batchSize + 1}`;
      const stats = await this.runtime.lossAndGradient(this.train, this.order, start, count);
      const badGradient = allFinite(this.model.grads);
      const bad = !Number.isFinite(stats.lossSum)
        ? `non-finite loss ${stats.lossSum}`
        : stats.lossSum / count > LOSS_LIMIT
          ? `exploding loss ${(stats.lossSum / count).toExponential(3)} per sample (limit ${LOSS_LIMIT.toExponential(0)})`
          : badGradient === null
            ? null
            : `non-finite gradient ${badGradient}`;
      if (bad !== null) {
        this.diverge(`${where}: ${bad}`);
        break;
      }
      copyParams(this.model.params, this.previousParams);
      this.adam.update(this.model.grads, learningRate);
      this.model.afterStep?.();
      const badWeight = unsoundWeight(this.model.params, this.weightLimits);
      if (badWeight !== null) {
        copyParams(this.previousParams, this.model.params);
        this.diverge(`${where}: ${badWeight} after the step (step undone)`);
        break;
      }
      lossSum += stats.lossSum;
      correct += stats.correct;
      seen += count;
    }
    const validationAccuracy = await this.runtime.accuracy(this.validation, 'validation');
    if (validationAccuracy > this.bestValidationAccuracy) {
      this.bestValidationAccuracy = validationAccuracy;
      this.bestEpoch = epoch;
      this.epochsWithoutImprovement = 0;
      copyParams(this.model.params, this.bestParams);
    } else {
      this.epochsWithoutImprovement++;
    }
    const metrics: EpochMetrics = {
      epoch,
      trainLoss: seen > 0 ? lossSum / seen : 0,
      trainAccuracy: seen > 0 ? correct / seen : 0,
      validationAccuracy,
      learningRate,
      wallTimeMs: performance.now() - t0,
    };
    this.epochs.push(metrics);
    if (this.stopReason === null) {
      if (epoch >= t.epochs) this.stopReason = 'epochs';
      else if (t.earlyStoppingPatience > 0 && this.epochsWithoutImprovement >= t.earlyStoppingPatience) this.stopReason = 'early-stopping';
    }
    return metrics;
  }

  private diverge(reason: string): void {
    this.stopReason = 'diverged';
    this.problem = `diverged at ${reason}`;
  }

  checkpoint(): TrialCheckpoint {
    const state: EngineState = {
      engineVersion: ENGINE_VERSION,
      params: toJson(this.model.params),
      bestParams: toJson(this.bestParams),
      adam: this.adam.getState(),
      orderRng: this.orderRng.getState(),
      bestEpoch: this.bestEpoch,
      bestValidationAccuracy: this.bestValidationAccuracy,
      epochsWithoutImprovement: this.epochsWithoutImprovement,
      stopReason: this.stopReason,
      divergence: this.problem,
      mode: this.runtime.getState(),
    };
    return { trialId: this.trialId, epochsDone: this.epochs.length, epochs: [...this.epochs], elapsedWallTimeMs: this.elapsedMs(), state };
  }

  async finish(stop?: 'pruned'): Promise<TrialResult> {
    let status: TrialStatus = stop === 'pruned' ? 'pruned' : this.stopReason === 'diverged' ? 'diverged' : this.stopReason === 'failed' ? 'failed' : 'completed';
    let error = status === 'diverged' || status === 'failed' ? this.problem : null;
    let testAccuracy: number | null = null;
    let validationAccuracy: number | null = null;
    let trainAccuracy: number | null = null;
    const chipEvaluations: { mismatchSeed: number; testAccuracy: number }[] = [];
    let operation: OperationResult | undefined;
    if (status !== 'failed' && this.bestEpoch > 0) {
      try {
        copyParams(this.bestParams, this.model.params);
        const bad = allFinite(this.model.params);
        if (bad) throw new Error(`best parameters are not finite: ${bad}`);
        testAccuracy = await this.runtime.accuracy(this.test, 'final');
        validationAccuracy = await this.runtime.accuracy(this.validation, 'final');
        trainAccuracy = await this.runtime.accuracy(this.train, 'final');
        for (const mismatchSeed of this.config.evaluateOnChips) {
          chipEvaluations.push({ mismatchSeed, testAccuracy: await this.runtime.evaluateOnChip!(mismatchSeed, this.test) });
        }
        if (hasSchedule(this.config.operation)) {
          operation = await runOperation({
            config: this.config,
            model: this.model,
            train: this.train,
            test: this.test,
            epochsRun: this.epochs.length,
            // `retrain`: the same trial in the loop on the chip at the condition, without a schedule
            retrain: (chip) => runTrial(parseTrialConfig({ ...this.config, mode: 'in-the-loop', chip, evaluateOnChips: [], operation: {} })),
          });
        }
      } catch (e) {
        status = 'failed';
        error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      }
    }
    await this.runtime.close?.().catch(() => undefined);
    const costs = this.runtime.costs();
    return {
      schemaVersion: 1,
      trialId: this.trialId,
      config: this.config as unknown as Record<string, unknown>,
      status,
      error,
      testAccuracy,
      validationAccuracy,
      trainAccuracy,
      bestEpoch: this.bestEpoch,
      epochs: [...this.epochs],
      wallTimeMs: this.elapsedMs(),
      hardwareTimeMs: costs.hardwareTimeMs,
      energyJ: costs.energyJ,
      chipRuns: costs.chipRuns,
      readoutBytesPerSample: costs.readoutBytesPerSample,
      chipEvaluations,
      ...(operation ? { operation } : {}),
      engineVersion: ENGINE_VERSION,
    };
  }
}

/**
 * Starts (or resumes) a trial. `config` must be parsed (`parseTrialConfig`); a checkpoint must
 * be of the same trial; `context` gives the address of `config.device`. Throws for an invalid
 * config or a method/mode not built yet.
 */
export function startTrial(config: TrialConfig, resumeFrom?: TrialCheckpoint, context: TrialContext = {}): TrialSession {
  const checked = parseTrialConfig(config);
  const checkpoint = resumeFrom === undefined ? undefined : parseOrThrow(TrialCheckpoint, resumeFrom, 'spikesweep:invalid-input');
  return new Session(checked, checkpoint, context);
}

/** A `failed` result for a trial that could not even start (invalid config, unbuilt mode…). */
export function failedResult(config: TrialConfig, error: unknown): TrialResult {
  return {
    schemaVersion: 1,
    trialId: trialIdOf(config),
    config: config as unknown as Record<string, unknown>,
    status: 'failed',
    error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    testAccuracy: null,
    validationAccuracy: null,
    trainAccuracy: null,
    bestEpoch: 0,
    epochs: [],
    wallTimeMs: 0,
    hardwareTimeMs: 0,
    energyJ: 0,
    chipRuns: 0,
    readoutBytesPerSample: 0,
    chipEvaluations: [],
    engineVersion: ENGINE_VERSION,
  };
}

/** Runs a trial to its end in-process (optionally from a checkpoint, checkpointing as it goes). */
export async function runTrial(
  config: TrialConfig,
  options: {
    onEpoch?(m: EpochMetrics): void;
    checkpointEveryEpochs?: number;
    onCheckpoint?(c: TrialCheckpoint): void;
    resumeFrom?: TrialCheckpoint;
    /** Where the trial reaches `config.device`. */
    context?: TrialContext;
    /** Where the trial's chips come from (default: the in-process emulated chip); same as `context.openDevice`. */
    openDevice?: DeviceOpener;
  } = {},
): Promise<TrialResult> {
  const context: TrialContext = options.openDevice ? { ...options.context, openDevice: options.openDevice } : (options.context ?? {});
  const session = startTrial(config, options.resumeFrom, context);
  const every = options.checkpointEveryEpochs ?? 0;
  try {
    while (!session.finished) {
      const m = await session.runEpoch();
      options.onEpoch?.(m);
      if (every > 0 && options.onCheckpoint && (session.epochsDone % every === 0 || session.finished)) options.onCheckpoint(session.checkpoint());
    }
  } catch {
    // The session has recorded the failure; finish() reports it.
  }
  return await session.finish();
}

/**
 * Modes: where a trial's forward passes run. `simulation` is the ideal model both ways; the
 * chip work registers `in-the-loop` (training forwards on an emulated chip, backward through
 * the model) and `transfer` (trained in simulation, deployed on chips) by adding an entry to
 * `MODES` (one import + one entry), keyed by `config.mode`.
 *
 * A `ModeRuntime` is created once per trial, after the method's model, and may install a
 * `Substrate` on the model (`model.setSubstrate`) for training; it evaluates the trained
 * network on further chips (`config.evaluateOnChips`) and reports what the chip work cost.
 */
import { NotImplementedError } from '../contracts/errors.ts';
import type { Mode, TrialConfig } from '../contracts/trial.ts';
import type { BatchStats, MethodModel, PreparedData } from './methods/types.ts';
import { inTheLoopMode, simulationWithChipsMode, transferMode } from './chip/modes.ts';
import { robustTransferMode } from './chip/robust.ts';

/** Chip costs of a trial (all zero in simulation). */
export interface ChipCosts {
  readonly hardwareTimeMs: number;
  readonly energyJ: number;
  readonly chipRuns: number;
}

export interface ModeRuntime {
  /** Called before each training epoch (e.g. to install the training chip on the model). */
  beforeTraining?(): void;
  /** Called before evaluating validation/test accuracy in the trial loop. */
  beforeEvaluation?(): void;
  /** Called instead of `beforeEvaluation` before the final test/validation/train accuracies. */
  beforeFinalEvaluation?(): void;
  /** Replaces `model.lossAndGradient` for training minibatches (e.g. a device sampled per minibatch). */
  lossAndGradient?(data: PreparedData, order: Int32Array, start: number, count: number): BatchStats;
  /** Replaces the validation accuracy of the trial loop (e.g. a mean over sampled devices). */
  validationAccuracy?(data: PreparedData): number;
  /** Test accuracy of the trained model on the chip with `mismatchSeed`; absent = not supported. */
  evaluateOnChip?(mismatchSeed: number, test: PreparedData): number;
  costs(): ChipCosts;
  /** JSON state for checkpoints (counters, noise generator states); null when stateless. */
  getState(): unknown;
  setState(state: unknown): void;
}

export interface ModeDefinition {
  readonly name: Mode;
  start(config: TrialConfig, model: MethodModel): ModeRuntime;
}

/** Fraction of `data` the model classifies correctly. */
export function accuracyOf(model: MethodModel, data: PreparedData): number {
  const out = new Int32Array(data.size);
  model.predict(data, out);
  let correct = 0;
  for (let n = 0; n < data.size; n++) if (out[n] === data.labels[n]) correct++;
  return data.size > 0 ? correct / data.size : 0;
}

export const simulationMode: ModeDefinition = {
  name: 'simulation',
  start() {
    return {
      costs: () => ({ hardwareTimeMs: 0, energyJ: 0, chipRuns: 0 }),
      getState: () => null,
      setState: () => {},
    };
  },
};

export const MODES: Partial<Record<Mode, ModeDefinition>> = {
  simulation: simulationWithChipsMode,
  'in-the-loop': inTheLoopMode,
  transfer: transferMode,
  'robust-transfer': robustTransferMode,
};

export function modeFor(config: TrialConfig): ModeDefinition {
  const mode = MODES[config.mode];
  if (!mode) throw new NotImplementedError(`mode: '${config.mode}' is not built yet`);
  return mode;
}

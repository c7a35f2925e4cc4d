/**
 * Modes: where a trial's forward passes run. `simulation` is the ideal model both ways; the
 * chip work registers `in-the-loop` (training forwards on an emulated chip, backward through
 * the model) and `transfer` (trained in simulation, deployed on chips) by adding an entry to
 * `MODES` (one import + one entry), keyed by `config.mode`.
 *
 * A `ModeRuntime` is created once per trial, after the method's model. The trial loop runs every
 * minibatch and every accuracy through it: the runtime decides whether the model computes it or
 * a device (chip/modes.ts), evaluates the trained network on further chips
 * (`config.evaluateOnChips`) and reports what the device work cost.
 */
import { NotImplementedError } from '../contracts/errors.ts';
import type { Mode, TrialConfig } from '../contracts/trial.ts';
import type { ChipConfig } from '../contracts/trial-common.ts';
import type { Device } from './device/types.ts';
import type { BatchStats, MethodModel, PreparedData } from './methods/types.ts';
import { inTheLoopMode, simulationWithChipsMode, transferMode } from './chip/modes.ts';
import { robustTransferMode } from './chip/robust.ts';

/** Device costs of a trial (all zero when nothing ran on a device). */
export interface ChipCosts {
  readonly hardwareTimeMs: number;
  readonly energyJ: number;
  readonly chipRuns: number;
  /** Bytes read off devices per presentation, over every device run of the trial (0 if none). */
  readonly readoutBytesPerSample: number;
}

export interface ModeRuntime {
  /** One minibatch: OVERWRITES model.grads, returns the summed loss and correct count. */
  lossAndGradient(data: PreparedData, order: Int32Array, start: number, count: number): Promise<BatchStats>;
  /** Accuracy on `data`: after an epoch (`validation`) or for the final figures (`final`). */
  accuracy(data: PreparedData, stage: 'validation' | 'final'): Promise<number>;
  /** Test accuracy of the trained model on the chip with `mismatchSeed`; absent = not supported. */
  evaluateOnChip?(mismatchSeed: number, test: PreparedData): Promise<number>;
  costs(): ChipCosts;
  /** JSON state for checkpoints (counters, noise generator states); null when stateless. */
  getState(): unknown;
  setState(state: unknown): void;
  /** Ends the sessions on the devices it opened (a remote device's channel); safe to call twice. */
  close?(): Promise<void>;
}

/**
 * Where a trial's chips come from: the device for chip config `chip` with its trial-noise stream
 * (`noiseSeed`, `noisePurpose`). Default: the in-process emulated chip (`emulatedChip`); a remote
 * device (e.g. the same chip served over a protocol) is a drop-in.
 */
export type DeviceOpener = (chip: ChipConfig, noise: { readonly noiseSeed: number; readonly noisePurpose: string }) => Device;

/** Where this run of a trial may reach things outside the engine. */
export interface TrialContext {
  /** The address of the physical device `config.device` names (a worker that reaches it knows it). */
  readonly device?: { readonly address: string; readonly timeoutMs?: number };
  /** Where the emulated chips of `config.chip` / `evaluateOnChips` come from (default: in process). */
  readonly openDevice?: DeviceOpener;
}

export interface ModeDefinition {
  readonly name: Mode;
  start(config: TrialConfig, model: MethodModel, context?: TrialContext): ModeRuntime;
}

/** Fraction of `data` the model classifies correctly (model path). */
export function accuracyOf(model: MethodModel, data: PreparedData): number {
  const out = new Int32Array(data.size);
  model.predict(data, out);
  let correct = 0;
  for (let n = 0; n < data.size; n++) if (out[n] === data.labels[n]) correct++;
  return data.size > 0 ? correct / data.size : 0;
}

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

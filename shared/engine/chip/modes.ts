/**
 * The chip modes of a trial (registered in ../modes.ts):
 *
 * - `in-the-loop`: every training and evaluation forward pass runs on the chip of
 *   `config.chip` (frozen mismatch, calibration when `calibrated`, 6-bit weights, trial-to-trial
 *   noise, what the lab observes); the method's backward pass goes through the model with what
 *   the chip reported. Validation (and so the kept epoch) and test accuracy are the chip's.
 * - `transfer`: trained and validated in simulation; the kept network is then deployed on the
 *   chip of `config.chip`, and test accuracy is measured there.
 * - `simulation` (chip part): nothing runs on a chip except `evaluateOnChips`.
 *
 * In every mode `evaluateOnChips` deploys the trained network on each listed chip (same chip
 * config, other mismatch seed) and measures test accuracy there. Trial-to-trial noise comes from
 * `streamFor(seed, 'chip-trial-noise:<mismatchSeed>')` while training and from
 * `'chip-eval-noise'` streams for deployments, so evaluations do not shift the training noise.
 *
 * Everything reaches a chip through the `Device` interface (device/types.ts) via a
 * `DeviceSession`: configure the method's network once, send the weights before each run, run a
 * minibatch (training) or chunks of a split (evaluation), check the reply, record it in the cost
 * ledger, and hand it to the method. The ledger sums what the devices reported (device time,
 * energy, activity) and what was read off them (read-out bytes counted from the replies); the
 * training chip's noise state and all running totals are part of the checkpoint.
 */
import { DeviceError, NotImplementedError, ValidationError } from '../../contracts/errors.ts';
import type { ChipConfig, Mode } from '../../contracts/trial-common.ts';
import type { TrialConfig } from '../../contracts/trial.ts';
import { checkRunResult, readoutOf } from '../device/batch.ts';
import type { Device, DeviceCapabilities, NetworkSpec, RunRequest, RunResult } from '../device/types.ts';
import type { BatchStats, DeviceMethod, MethodModel, PreparedData } from '../methods/types.ts';
import type { ChipCosts, DeviceOpener, ModeDefinition, ModeRuntime, TrialContext } from '../modes.ts';
import { connectDevice, withTimeout } from '../device/connect.ts';
import { deviceKey } from '../../contracts/trial-common.ts';
import { emulatedChip } from './emulated.ts';

/** Running totals of what ran on devices (JSON: part of the checkpoint). */
export interface LedgerTotals {
  runs: number;
  modelTimeMs: number;
  spikes: number;
  synapticEvents: number;
  readoutBytes: number;
  deviceTimeMs: number;
  energyJ: number;
}

export function emptyLedger(): LedgerTotals {
  return { runs: 0, modelTimeMs: 0, spikes: 0, synapticEvents: 0, readoutBytes: 0, deviceTimeMs: 0, energyJ: 0 };
}

/** Adds one reply to the ledger: presentations, their model time, activity, read-out, time and energy. */
export function recordRun(ledger: LedgerTotals, network: NetworkSpec, result: RunResult, capabilities: DeviceCapabilities): void {
  ledger.runs += result.samples;
  ledger.modelTimeMs += result.samples * network.durationMs;
  ledger.spikes += result.activity?.spikes ?? 0;
  ledger.synapticEvents += result.activity?.synapticEvents ?? 0;
  ledger.readoutBytes += readoutOf(result, capabilities.membraneBits).bytes;
  ledger.deviceTimeMs += result.deviceTimeMs ?? 0;
  ledger.energyJ += result.energyJ ?? 0;
}

/** A method's network configured on one device, with the ledger its runs go to. */
export class DeviceSession {
  private constructor(
    readonly device: Device,
    readonly method: DeviceMethod,
    readonly network: NetworkSpec,
    readonly capabilities: DeviceCapabilities,
    readonly ledger: LedgerTotals,
  ) {}

  /** Configures `method`'s network on `device`; a refusal is a `device-rejected` error with its reason. */
  static async open(device: Device, method: DeviceMethod, ledger: LedgerTotals): Promise<DeviceSession> {
    const capabilities = await device.capabilities();
    const network = method.network();
    const configured = await device.configure(network);
    if (!configured.ok) throw new DeviceError('spikesweep:device-rejected', `device ${capabilities.id} refused the network: ${configured.reason}`);
    return new DeviceSession(device, method, network, capabilities, ledger);
  }

  private async run(model: MethodModel, data: PreparedData, order: Int32Array | null, start: number, count: number, request: RunRequest): Promise<RunResult> {
    await this.device.updateWeights(model.params);
    const batch = this.method.inputs(data, order, start, count);
    const result = await this.device.run(batch, request);
    checkRunResult(this.network, batch, request, result, this.capabilities);
    recordRun(this.ledger, this.network, result, this.capabilities);
    return result;
  }

  /** One minibatch on the device: forward there, loss and gradient (into model.grads) here. */
  async lossAndGradient(model: MethodModel, data: PreparedData, order: Int32Array, start: number, count: number): Promise<BatchStats> {
    const result = await this.run(model, data, order, start, count, this.method.requests.training);
    return this.method.learn(data, order, start, count, result);
  }

  /** Predictions for every sample of `data`, in batches the device accepts. */
  async predict(model: MethodModel, data: PreparedData, out: Int32Array): Promise<void> {
    const chunk = Math.max(1, this.capabilities.maxBatchSize);
    for (let start = 0; start < data.size; start += chunk) {
      const count = Math.min(chunk, data.size - start);
      const result = await this.run(model, data, null, start, count, this.method.requests.evaluation);
      this.method.predict(result, out, start);
    }
  }

  async accuracy(model: MethodModel, data: PreparedData): Promise<number> {
    const out = new Int32Array(data.size);
    await this.predict(model, data, out);
    let correct = 0;
    for (let n = 0; n < data.size; n++) if (out[n] === data.labels[n]) correct++;
    return data.size > 0 ? correct / data.size : 0;
  }
}

function deviceMethodOf(config: TrialConfig, model: MethodModel): DeviceMethod {
  if (!model.onDevice) throw new NotImplementedError(`mode '${config.mode}': method '${config.method}' cannot run on a chip yet`);
  return model.onDevice;
}

/** The in-process emulated chip (the default `DeviceOpener`). */
export const openEmulatedChip: DeviceOpener = (chip, noise) => emulatedChip(chip, noise);

/** The chip `chip` with `model`'s network configured (noise stream by `noisePurpose`). */
export async function openChip(
  config: TrialConfig,
  model: MethodModel,
  chip: ChipConfig,
  noisePurpose: string,
  ledger: LedgerTotals,
  openDevice: DeviceOpener = openEmulatedChip,
): Promise<DeviceSession> {
  const method = deviceMethodOf(config, model);
  return DeviceSession.open(openDevice(chip, { noiseSeed: config.seed, noisePurpose }), method, ledger);
}

/** Fraction of `data` the model itself classifies correctly (no device). */
function modelAccuracy(model: MethodModel, data: PreparedData): number {
  const out = new Int32Array(data.size);
  model.predict(data, out);
  let correct = 0;
  for (let n = 0; n < data.size; n++) if (out[n] === data.labels[n]) correct++;
  return data.size > 0 ? correct / data.size : 0;
}

interface ChipModeState {
  /** Noise state of the training chip (in-the-loop), null otherwise. */
  readonly trainNoise: unknown;
  readonly trainLedger: LedgerTotals;
  readonly deployedLedger: LedgerTotals;
}

class ChipRuntime implements ModeRuntime {
  private readonly trainLedger = emptyLedger();
  private readonly deployedLedger = emptyLedger();
  /** The chip trained on (in-the-loop), opened on first use so calibration runs once. */
  private trainChip: Promise<DeviceSession> | null = null;
  /** Noise state to restore once the training chip is open (resume). */
  private pendingNoise: unknown = null;
  /** The training chip's noise state after the last evaluation (what a checkpoint holds). */
  private trainNoise: unknown = null;
  /** The deployment of `config.chip` for the final evaluation (transfer). */
  private finalChip: Promise<DeviceSession> | null = null;

  constructor(
    private readonly config: TrialConfig,
    private readonly model: MethodModel,
    private readonly mode: Mode,
    private readonly context: TrialContext,
  ) {
    if (mode !== 'simulation' || config.evaluateOnChips.length > 0) deviceMethodOf(config, model);
    if (config.device && mode !== 'in-the-loop') throw new ValidationError('spikesweep:invalid-config', [{ path: 'device', message: `only in-the-loop trials run on a device, not ${mode}` }]);
  }

  /** The device the trial trains on: `config.device` at the address the context gives, else the emulated chip. */
  private async openTraining(): Promise<DeviceSession> {
    const ref = this.config.device;
    if (!ref) return openChip(this.config, this.model, this.config.chip, 'chip-trial-noise', this.trainLedger, this.context.openDevice);
    const at = this.context.device;
    if (!at) throw new DeviceError('spikesweep:device-unavailable', `device ${deviceKey(ref)}: no address (run the trial on a worker that reaches the device)`);
    const raw = await connectDevice(at.address, { seed: this.config.seed, noisePurpose: 'chip-trial-noise' });
    const device = at.timeoutMs ? withTimeout(raw, at.timeoutMs, deviceKey(ref)) : raw;
    return DeviceSession.open(device, deviceMethodOf(this.config, this.model), this.trainLedger);
  }

  private training(): Promise<DeviceSession> {
    this.trainChip ??= this.openTraining().then(async (session) => {
      if (this.pendingNoise !== null) await session.device.setState?.(this.pendingNoise);
      return session;
    });
    return this.trainChip;
  }

  async lossAndGradient(data: PreparedData, order: Int32Array, start: number, count: number): Promise<BatchStats> {
    if (this.mode !== 'in-the-loop') return this.model.lossAndGradient(data, order, start, count);
    return (await this.training()).lossAndGradient(this.model, data, order, start, count);
  }

  async accuracy(data: PreparedData, stage: 'validation' | 'final'): Promise<number> {
    if (this.mode === 'in-the-loop') {
      const session = await this.training();
      const accuracy = await session.accuracy(this.model, data);
      this.trainNoise = (await session.device.getState?.()) ?? null;
      return accuracy;
    }
    if (this.mode === 'transfer' && stage === 'final') {
      this.finalChip ??= openChip(this.config, this.model, this.config.chip, 'chip-eval-noise', this.deployedLedger, this.context.openDevice);
      return (await this.finalChip).accuracy(this.model, data);
    }
    return modelAccuracy(this.model, data);
  }

  async evaluateOnChip(mismatchSeed: number, test: PreparedData): Promise<number> {
    const session = await openChip(this.config, this.model, { ...this.config.chip, mismatchSeed }, 'chip-eval-noise', this.deployedLedger, this.context.openDevice);
    try {
      return await session.accuracy(this.model, test);
    } finally {
      await session.device.close();
    }
  }

  costs(): ChipCosts {
    const t = this.trainLedger;
    const d = this.deployedLedger;
    const runs = t.runs + d.runs;
    return {
      hardwareTimeMs: t.deviceTimeMs + d.deviceTimeMs,
      energyJ: t.energyJ + d.energyJ,
      chipRuns: runs,
      readoutBytesPerSample: runs > 0 ? (t.readoutBytes + d.readoutBytes) / runs : 0,
    };
  }

  async close(): Promise<void> {
    const sessions = [this.trainChip, this.finalChip];
    this.trainChip = null;
    this.finalChip = null;
    for (const s of sessions) if (s) await (await s.catch(() => null))?.device.close();
  }

  getState(): ChipModeState {
    return { trainNoise: this.trainNoise, trainLedger: { ...this.trainLedger }, deployedLedger: { ...this.deployedLedger } };
  }

  setState(state: unknown): void {
    const s = state as ChipModeState | null;
    if (!s) return;
    Object.assign(this.trainLedger, s.trainLedger);
    Object.assign(this.deployedLedger, s.deployedLedger);
    this.pendingNoise = s.trainNoise ?? null;
    this.trainNoise = s.trainNoise ?? null;
  }
}

function chipMode(name: Mode): ModeDefinition {
  return { name, start: (config, model, context) => new ChipRuntime(config, model, name, context ?? {}) };
}

export const inTheLoopMode = chipMode('in-the-loop');
export const transferMode = chipMode('transfer');
/** Simulation with chip evaluations (`evaluateOnChips`): training never touches a chip. */
export const simulationWithChipsMode = chipMode('simulation');

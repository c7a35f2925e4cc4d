/**
 * `robust-transfer`: hardware-aware training in simulation, then deployment like `transfer`.
 *
 * Training never touches the deployment chips. Every minibatch (or epoch, `resample`) the forward
 * pass runs on a freshly sampled emulated device — what the chip model says a chip off the line
 * may be: a new mismatch draw (σ × `mismatchScale`), its trial-to-trial noise (× `noiseScale`),
 * the 6-bit weights with their synapse gains, and a temperature and age drawn uniformly from
 * `chip.temperatureC ± temperatureSpreadC` and `[chip.ageHours, + ageSpreadHours]` — and the
 * backward pass goes through the model with what that device reported, exactly as in the loop.
 * The sampled mismatch seeds come from `streamFor(seed, 'robust-transfer-devices')` and are
 * never the deployment chip's or an `evaluateOnChips` seed (unseen chips stay unseen).
 *
 * Optional worst case (after Büchel et al. 2021, adversarial weight perturbations relative to
 * each weight's magnitude): with ζ = `adversarialRelativeStep` > 0, after the gradient g(w) on
 * the sampled device the weights are moved one signed step up the loss,
 *
 *   w* = w + ζ · |w| · sign(g(w)),
 *
 * the gradient g(w*) is taken there on the same device, and the update uses
 * g = g(w) + β · g(w*) (β = `adversarialWeight`); w itself is restored.
 *
 * Validation (the kept epoch) runs on `validationChips` devices sampled once per trial from
 * `'robust-transfer-validation-devices'` (0 = in simulation), with fresh, identical noise each
 * epoch. Sampled devices are simulations: they add no chip time or energy. The final accuracies,
 * `evaluateOnChips` and costs are those of the `transfer` runtime this one wraps.
 */
import type { ChipConfig } from '../../contracts/trial-common.ts';
import type { TrialConfig } from '../../contracts/trial.ts';
import type { BatchStats, MethodModel, PreparedData } from '../methods/types.ts';
import type { ChipCosts, ModeDefinition, ModeRuntime } from '../modes.ts';
import { streamFor, type Mt19937, type RandomState } from '../random.ts';
import { emptyLedger, openChip, transferMode, type DeviceSession } from './modes.ts';

/** Mismatch seeds are drawn from [0, 2^31). */
const SEED_RANGE = 0x80000000;

interface RobustState {
  readonly transfer: unknown;
  readonly devices: RandomState;
}

/** Draws sampled device configs (mismatch seed, temperature, age) from `rng`, skipping `excluded` seeds. */
export function sampleDeviceConfig(config: TrialConfig, rng: Mt19937, excluded: ReadonlySet<number>): ChipConfig {
  const chip = config.chip;
  const rt = config.robustTransfer;
  let mismatchSeed: number;
  do mismatchSeed = rng.randint(SEED_RANGE);
  while (excluded.has(mismatchSeed));
  const temperatureC = rt.temperatureSpreadC > 0 ? rng.uniform(chip.temperatureC - rt.temperatureSpreadC, chip.temperatureC + rt.temperatureSpreadC) : chip.temperatureC;
  const ageHours = rt.ageSpreadHours > 0 ? rng.uniform(chip.ageHours, chip.ageHours + rt.ageSpreadHours) : chip.ageHours;
  return {
    ...chip,
    mismatchSeed,
    mismatchScale: chip.mismatchScale * rt.mismatchScale,
    noiseScale: chip.noiseScale * rt.noiseScale,
    temperatureC,
    ageHours,
  };
}

class RobustTransferRuntime implements ModeRuntime {
  private readonly transfer: ModeRuntime;
  private readonly devices: Mt19937;
  private readonly excluded: Set<number>;
  private readonly validationChips: ChipConfig[];
  /** The device of the current epoch (resample: epoch), opened at the epoch's first minibatch. */
  private epochDevice: Promise<DeviceSession> | null = null;
  /** Sampled devices are simulations of chips off the line: their runs are not the trial's chip cost. */
  private readonly sampledLedger = emptyLedger();
  /** Scratch copy of the parameters for the worst-case step. */
  private readonly saved: Record<string, Float64Array> = {};
  private readonly naturalGrads: Record<string, Float64Array> = {};

  constructor(
    private readonly config: TrialConfig,
    private readonly model: MethodModel,
  ) {
    this.transfer = transferMode.start(config, model); // checks that the method can run on a chip
    this.devices = streamFor(config.seed, 'robust-transfer-devices');
    this.excluded = new Set([config.chip.mismatchSeed, ...config.evaluateOnChips]);
    const validation = streamFor(config.seed, 'robust-transfer-validation-devices');
    this.validationChips = [];
    for (let k = 0; k < config.robustTransfer.validationChips; k++) this.validationChips.push(sampleDeviceConfig(config, validation, this.excluded));
    for (const [name, p] of Object.entries(model.params)) {
      this.saved[name] = new Float64Array(p.length);
      this.naturalGrads[name] = new Float64Array(p.length);
    }
  }

  private sampleDevice(): Promise<DeviceSession> {
    const chip = sampleDeviceConfig(this.config, this.devices, this.excluded);
    return openChip(this.config, this.model, chip, 'robust-transfer-noise', this.sampledLedger);
  }

  async lossAndGradient(data: PreparedData, order: Int32Array, start: number, count: number): Promise<BatchStats> {
    let session: DeviceSession;
    if (this.config.robustTransfer.resample === 'epoch') {
      if (start === 0 || this.epochDevice === null) this.epochDevice = this.sampleDevice();
      session = await this.epochDevice;
    } else {
      session = await this.sampleDevice();
    }
    const stats = await session.lossAndGradient(this.model, data, order, start, count);
    const zeta = this.config.robustTransfer.adversarialRelativeStep;
    if (zeta > 0) await this.addWorstCaseGradient(session, data, order, start, count, zeta);
    return stats;
  }

  /** g ← g(w) + β g(w*), w* = w + ζ|w| sign(g(w)), on the same sampled device; w is restored. */
  private async addWorstCaseGradient(session: DeviceSession, data: PreparedData, order: Int32Array, start: number, count: number, zeta: number): Promise<void> {
    const { params, grads } = this.model;
    for (const [name, w] of Object.entries(params)) {
      const g = grads[name]!;
      this.saved[name]!.set(w);
      this.naturalGrads[name]!.set(g);
      for (let i = 0; i < w.length; i++) w[i] = w[i]! + zeta * Math.abs(w[i]!) * Math.sign(g[i]!);
    }
    await session.lossAndGradient(this.model, data, order, start, count);
    const beta = this.config.robustTransfer.adversarialWeight;
    for (const [name, w] of Object.entries(params)) {
      w.set(this.saved[name]!);
      const g = grads[name]!;
      const natural = this.naturalGrads[name]!;
      for (let i = 0; i < g.length; i++) g[i] = natural[i]! + beta * g[i]!;
    }
  }

  /**
   * Validation: the mean over the sampled validation devices (fresh, identical noise each epoch:
   * each is opened anew), or in simulation without any. Final figures are the transfer runtime's.
   */
  async accuracy(data: PreparedData, stage: 'validation' | 'final'): Promise<number> {
    if (stage === 'final' || this.validationChips.length === 0) return this.transfer.accuracy(data, stage);
    let sum = 0;
    for (const chip of this.validationChips) {
      const session = await openChip(this.config, this.model, chip, 'robust-transfer-validation-noise', this.sampledLedger);
      sum += await session.accuracy(this.model, data);
      await session.device.close();
    }
    return sum / this.validationChips.length;
  }

  evaluateOnChip(mismatchSeed: number, test: PreparedData): Promise<number> {
    return this.transfer.evaluateOnChip!(mismatchSeed, test);
  }

  costs(): ChipCosts {
    return this.transfer.costs();
  }

  getState(): RobustState {
    return { transfer: this.transfer.getState(), devices: this.devices.getState() };
  }

  setState(state: unknown): void {
    const s = state as RobustState | null;
    if (!s) return;
    this.transfer.setState(s.transfer);
    this.devices.setState(s.devices);
  }
}

export const robustTransferMode: ModeDefinition = {
  name: 'robust-transfer',
  start: (config, model) => new RobustTransferRuntime(config, model),
};

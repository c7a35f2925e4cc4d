/**
 * Deployment over a schedule (`config.operation`): the trained network on the deployment chip
 * (`config.chip`, as calibrated at `chip.calibration.temperatureC/ageHours`) at every scheduled
 * condition, and what each maintenance policy recovers and costs there.
 *
 * Conditions: each temperature of the schedule at the deployment age, and each age at the
 * deployment temperature (duplicates once; a condition on both lists is evaluated once and
 * reported on both). Every evaluation uses the noise stream
 * `streamFor(seed, 'operation-noise:<mismatchSeed>')` afresh, so conditions and policies are
 * compared on the same noise. Policies (costs = the policy's own chip work, never the test run):
 *
 * - `none`: as deployed. Cost 0.
 * - `recalibrate`: the calibration probes run at the condition (trims valid there). Cost: the
 *   probe presentations, each charged PROBE_RUN_MODEL_MS of model time (one 3 τ decay trace of
 *   the default τ = 10 ms); energy from the static power (cost.ts).
 * - `fine-tune`: `fineTuneEpochs` epochs in the loop on the drifted chip (calibration as
 *   deployed), from the deployed network, Adam restarted at the trial's last learning rate
 *   η·decay^(epochs run); the last epoch is kept. Cost: the training presentations.
 * - `retrain`: a full in-the-loop trial from scratch on the chip at the condition (calibrated
 *   there if the chip is calibrated), the trial's own training settings. Cost: that trial's.
 *
 * Derived, with tol = `tolerancePoints` and A₀ = the accuracy at the deployment conditions:
 * - temperature range: the contiguous run of scheduled temperatures around the deployment
 *   temperature with `none` ≥ A₀ − tol;
 * - hours until below tolerance: the first scheduled age with `none` < A₀ − tol;
 * - per policy: worst accuracy, largest drop, whether it keeps ≥ A₀ − tol everywhere, total cost;
 * - cheapest policy keeping accuracy: the least total hardware time among those that do.
 */
import type { ConditionOutcome, MaintenancePolicy, OperationConfig, OperationResult, PolicyOutcome, PolicySummary } from '../contracts/operation.ts';
import { OPERATION_PROFILES } from '../contracts/operation.ts';
import type { ChipConfig } from '../contracts/trial-common.ts';
import type { TrialConfig, TrialResult } from '../contracts/trial.ts';
import { energyJ, hardwareTimeMs } from './chip/cost.ts';
import { emptyLedger, openChip, type DeviceSession } from './chip/modes.ts';
import { ChipSubstrate } from './chip/substrate.ts';
import type { MethodModel, PreparedData } from './methods/types.ts';
import { Adam } from './optim/adam.ts';
import { streamFor } from './random.ts';

/** Model time charged per calibration probe presentation (one 3 τ trace at τ = 10 ms). */
export const PROBE_RUN_MODEL_MS = 30;

export interface OperationInputs {
  readonly config: TrialConfig;
  /** The deployed (kept) network; its parameters are restored after every policy. */
  readonly model: MethodModel;
  readonly train: PreparedData;
  readonly test: PreparedData;
  /** Epochs the trial ran (for the fine-tune learning rate). */
  readonly epochsRun: number;
  /** A full in-the-loop trial on `chip` (the `retrain` policy). */
  readonly retrain: (chip: ChipConfig) => Promise<TrialResult>;
}

interface Condition {
  readonly axis: 'temperature' | 'age';
  readonly temperatureC: number;
  readonly ageHours: number;
}

/** The schedule of `operation` (its own lists, or its named profile's). */
export function scheduleOf(operation: OperationConfig): { temperaturesC: readonly number[]; ageHours: readonly number[] } {
  return operation.profile === 'custom' ? operation : OPERATION_PROFILES[operation.profile];
}

/** True when the config asks for an operation study. */
export function hasSchedule(operation: OperationConfig): boolean {
  const s = scheduleOf(operation);
  return s.temperaturesC.length > 0 || s.ageHours.length > 0;
}

/** The conditions evaluated: temperatures at the deployment age, then ages at the deployment temperature. */
export function conditionsOf(config: TrialConfig): Condition[] {
  const s = scheduleOf(config.operation);
  const out: Condition[] = [];
  const seen = new Set<string>();
  const add = (c: Condition) => {
    const key = `${c.axis}:${c.temperatureC}:${c.ageHours}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(c);
    }
  };
  for (const t of s.temperaturesC) add({ axis: 'temperature', temperatureC: t, ageHours: config.chip.ageHours });
  for (const h of s.ageHours) add({ axis: 'age', temperatureC: config.chip.temperatureC, ageHours: h });
  return out;
}

/** Chip work in cost-ledger terms. */
interface Cost {
  hardwareTimeMs: number;
  energyJ: number;
  chipRuns: number;
}

/** The cost of `probeRuns` calibration probe presentations. */
export function recalibrationCost(probeRuns: number): Cost {
  const t = hardwareTimeMs(probeRuns * PROBE_RUN_MODEL_MS);
  return { hardwareTimeMs: t, energyJ: energyJ({ hardwareTimeMs: t, spikes: 0, synapticEvents: 0 }), chipRuns: probeRuns };
}

/** Summaries over the schedule and the derived ranges (pure; exported for tests). */
export function summarise(deploymentAccuracy: number, tolerancePoints: number, deploymentTemperatureC: number, conditions: readonly ConditionOutcome[]): Omit<OperationResult, 'conditions'> {
  const floor = deploymentAccuracy - tolerancePoints / 100;
  const kept = (a: number) => a >= floor - 1e-12;
  const noneAt = (c: ConditionOutcome) => c.policies.find((p) => p.policy === 'none')?.testAccuracy;

  const temps = conditions.filter((c) => c.axis === 'temperature' && noneAt(c) !== undefined).sort((a, b) => a.temperatureC - b.temperatureC);
  let temperatureRangeC: [number, number] | null = null;
  if (temps.length > 0) {
    let k = 0;
    for (let i = 1; i < temps.length; i++) if (Math.abs(temps[i]!.temperatureC - deploymentTemperatureC) < Math.abs(temps[k]!.temperatureC - deploymentTemperatureC)) k = i;
    if (kept(noneAt(temps[k]!)!)) {
      let lo = k;
      let hi = k;
      while (lo > 0 && kept(noneAt(temps[lo - 1]!)!)) lo--;
      while (hi < temps.length - 1 && kept(noneAt(temps[hi + 1]!)!)) hi++;
      temperatureRangeC = [temps[lo]!.temperatureC, temps[hi]!.temperatureC];
    }
  }
  const ages = conditions.filter((c) => c.axis === 'age' && noneAt(c) !== undefined).sort((a, b) => a.ageHours - b.ageHours);
  const below = ages.find((c) => !kept(noneAt(c)!));
  const hoursUntilBelowTolerance = below ? below.ageHours : null;

  const policies: PolicySummary[] = [];
  const names = [...new Set(conditions.flatMap((c) => c.policies.map((p) => p.policy)))];
  for (const policy of names) {
    const outcomes = conditions.flatMap((c) => c.policies.filter((p) => p.policy === policy));
    const worst = Math.min(...outcomes.map((o) => o.testAccuracy));
    policies.push({
      policy,
      worstAccuracy: worst,
      maxDropPoints: 100 * (deploymentAccuracy - worst),
      keepsAccuracy: outcomes.every((o) => kept(o.testAccuracy)),
      hardwareTimeMs: outcomes.reduce((s, o) => s + o.hardwareTimeMs, 0),
      energyJ: outcomes.reduce((s, o) => s + o.energyJ, 0),
      chipRuns: outcomes.reduce((s, o) => s + o.chipRuns, 0),
    });
  }
  const keeping = policies.filter((p) => p.keepsAccuracy).sort((a, b) => a.hardwareTimeMs - b.hardwareTimeMs);
  return {
    deploymentAccuracy,
    tolerancePoints,
    temperatureRangeC,
    hoursUntilBelowTolerance,
    policies,
    cheapestPolicyKeepingAccuracy: keeping[0]?.policy ?? null,
  };
}

class Operation {
  private readonly saved: Record<string, Float64Array> = {};

  constructor(private readonly inputs: OperationInputs) {
    for (const [name, p] of Object.entries(inputs.model.params)) this.saved[name] = Float64Array.from(p);
  }

  /** The chip `chip` with the network configured (calibrated at configure when `calibrated`); runs go to `ledger`. */
  private open(chip: ChipConfig, ledger = emptyLedger()): Promise<DeviceSession> {
    const { config, model } = this.inputs;
    return openChip(config, model, chip, 'operation-noise', ledger);
  }

  /** Test accuracy on `session` (measurement is not maintenance: callers take costs before it). */
  private async evaluate(session: DeviceSession): Promise<number> {
    const { model, test } = this.inputs;
    const a = await session.accuracy(model, test);
    await session.device.close();
    return a;
  }

  private restore(): void {
    for (const [name, p] of Object.entries(this.inputs.model.params)) p.set(this.saved[name]!);
  }

  private chipAt(c: Condition): ChipConfig {
    return { ...this.inputs.config.chip, temperatureC: c.temperatureC, ageHours: c.ageHours };
  }

  async apply(policy: MaintenancePolicy, c: Condition): Promise<PolicyOutcome> {
    const chip = this.chipAt(c);
    const zero = { hardwareTimeMs: 0, energyJ: 0, chipRuns: 0 };
    switch (policy) {
      case 'none':
        return { policy, testAccuracy: await this.evaluate(await this.open(chip)), ...zero };
      case 'recalibrate': {
        const session = await this.open({ ...chip, calibrated: true, calibration: { ...chip.calibration, temperatureC: c.temperatureC, ageHours: c.ageHours } });
        const probeRuns = calibrationRunsOf(session); // configuring the network calibrated each layer
        const testAccuracy = await this.evaluate(session);
        return { policy, testAccuracy, ...recalibrationCost(probeRuns) };
      }
      case 'fine-tune':
        return this.fineTune(chip, c);
      case 'retrain': {
        const retrainChip = chip.calibrated ? { ...chip, calibration: { ...chip.calibration, temperatureC: c.temperatureC, ageHours: c.ageHours } } : chip;
        const r = await this.inputs.retrain(retrainChip);
        if (r.status !== 'completed' || r.testAccuracy === null) return { policy, testAccuracy: 0, hardwareTimeMs: r.hardwareTimeMs, energyJ: r.energyJ, chipRuns: r.chipRuns };
        return { policy, testAccuracy: r.testAccuracy, hardwareTimeMs: r.hardwareTimeMs, energyJ: r.energyJ, chipRuns: r.chipRuns };
      }
    }
  }

  private async fineTune(chip: ChipConfig, c: Condition): Promise<PolicyOutcome> {
    const { config, model, train, epochsRun } = this.inputs;
    const t = config.training;
    const ledger = emptyLedger();
    const session = await this.open(chip, ledger);
    const adam = new Adam(model.params, { beta1: t.adamBeta1, beta2: t.adamBeta2, epsilon: t.adamEpsilon });
    const order = new Int32Array(train.size);
    const rng = streamFor(config.seed, `operation-fine-tune:${c.temperatureC}:${c.ageHours}`);
    const learningRate = t.learningRate * t.lrDecayPerEpoch ** epochsRun;
    for (let e = 0; e < config.operation.fineTuneEpochs; e++) {
      for (let i = 0; i < train.size; i++) order[i] = i;
      rng.shuffle(order);
      for (let start = 0; start < train.size; start += t.batchSize) {
        const count = Math.min(t.batchSize, train.size - start);
        const stats = await session.lossAndGradient(model, train, order, start, count);
        if (!Number.isFinite(stats.lossSum)) break;
        adam.update(model.grads, learningRate);
        model.afterStep?.();
      }
    }
    const cost = { hardwareTimeMs: ledger.deviceTimeMs, energyJ: ledger.energyJ, chipRuns: ledger.runs };
    const testAccuracy = await this.evaluate(session);
    this.restore();
    return { policy: 'fine-tune', testAccuracy, ...cost };
  }
}

/** Runs the operation study of `inputs.config.operation`; the model's parameters are unchanged afterwards. */
export async function runOperation(inputs: OperationInputs): Promise<OperationResult> {
  const { config } = inputs;
  const op = new Operation(inputs);
  const deploymentAccuracy = (await op.apply('none', { axis: 'temperature', temperatureC: config.chip.temperatureC, ageHours: config.chip.ageHours })).testAccuracy;
  // a condition on both schedules (the deployment temperature at the deployment age) runs once
  const done = new Map<string, PolicyOutcome>();
  const once = async (p: MaintenancePolicy, c: Condition): Promise<PolicyOutcome> => {
    const key = `${p}:${c.temperatureC}:${c.ageHours}`;
    let outcome = done.get(key);
    if (!outcome) done.set(key, (outcome = await op.apply(p, c)));
    return outcome;
  };
  const conditions: ConditionOutcome[] = [];
  for (const c of conditionsOf(config)) {
    const policies: PolicyOutcome[] = [];
    for (const p of config.operation.policies) policies.push(await once(p, c));
    conditions.push({ ...c, policies });
  }
  return { conditions, ...summarise(deploymentAccuracy, config.operation.tolerancePoints, config.chip.temperatureC, conditions) };
}

/** Calibration probe presentations the emulated chip of `session` ran (0 for other devices). */
function calibrationRunsOf(session: DeviceSession): number {
  const circuits = (session.device as { circuits?: unknown }).circuits;
  return circuits instanceof ChipSubstrate ? circuits.calibrationRuns : 0;
}

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
 * Costs (hardware time, energy, chip runs) sum every chip used; the noise state and the running
 * totals are part of the checkpoint.
 */
import { NotImplementedError } from '../../contracts/errors.ts';
import type { ChipConfig, Mode } from '../../contracts/trial-common.ts';
import type { TrialConfig } from '../../contracts/trial.ts';
import type { MethodModel, PreparedData } from '../methods/types.ts';
import type { ChipCosts, ModeDefinition, ModeRuntime } from '../modes.ts';
import type { RandomState } from '../random.ts';
import { ChipSubstrate } from './substrate.ts';

interface Totals {
  runs: number;
  hardwareTimeMs: number;
  energyJ: number;
}

interface ChipModeState {
  readonly trainNoise: RandomState | null;
  readonly trainLedger: { runs: number; modelTimeMs: number; spikes: number; synapticEvents: number; readoutBytes: number } | null;
  readonly deployed: Totals;
}

function testAccuracy(model: MethodModel, data: PreparedData): number {
  const out = new Int32Array(data.size);
  model.predict(data, out);
  let correct = 0;
  for (let n = 0; n < data.size; n++) if (out[n] === data.labels[n]) correct++;
  return data.size > 0 ? correct / data.size : 0;
}

/** A substrate for `model` on the chip `chip`, or a clear error when the method cannot run on one. */
export function substrateFor(config: TrialConfig, model: MethodModel, chip: ChipConfig, noisePurpose: string): ChipSubstrate {
  if (!model.layout || !model.setSubstrate) {
    throw new NotImplementedError(`mode '${config.mode}': method '${config.method}' cannot run on a chip yet`);
  }
  return new ChipSubstrate(chip, model.layout, { noiseSeed: config.seed, noisePurpose });
}

class ChipRuntime implements ModeRuntime {
  private readonly config: TrialConfig;
  private readonly model: MethodModel;
  private readonly mode: Mode;
  /** The chip trained on (in-the-loop) — created at the start so calibration runs once. */
  private readonly trainChip: ChipSubstrate | null;
  private readonly deployed: Totals = { runs: 0, hardwareTimeMs: 0, energyJ: 0 };

  constructor(config: TrialConfig, model: MethodModel, mode: Mode) {
    this.config = config;
    this.model = model;
    this.mode = mode;
    this.trainChip = mode === 'in-the-loop' ? substrateFor(config, model, config.chip, 'chip-trial-noise') : null;
    if (mode === 'transfer' && (!model.layout || !model.setSubstrate)) substrateFor(config, model, config.chip, 'chip-eval-noise');
  }

  beforeTraining(): void {
    this.model.setSubstrate?.(this.trainChip);
  }

  beforeEvaluation(): void {
    this.model.setSubstrate?.(this.trainChip);
  }

  beforeFinalEvaluation(): void {
    if (this.mode === 'transfer') {
      this.model.setSubstrate!(this.deploy(this.config.chip));
    } else {
      this.model.setSubstrate?.(this.trainChip);
    }
  }

  /** A fresh deployment chip; its costs are added to the totals when the runtime reports them. */
  private deploy(chip: ChipConfig): ChipSubstrate {
    const substrate = substrateFor(this.config, this.model, chip, 'chip-eval-noise');
    this.deployments.push(substrate);
    return substrate;
  }

  private readonly deployments: ChipSubstrate[] = [];

  evaluateOnChip(mismatchSeed: number, test: PreparedData): number {
    const chip = this.deploy({ ...this.config.chip, mismatchSeed });
    this.model.setSubstrate!(chip);
    const accuracy = testAccuracy(this.model, test);
    this.model.setSubstrate!(this.mode === 'transfer' ? null : this.trainChip);
    return accuracy;
  }

  private totals(): Totals {
    const t = { ...this.deployed };
    for (const s of [this.trainChip, ...this.deployments]) {
      if (!s) continue;
      t.runs += s.ledger.runs;
      t.hardwareTimeMs += s.ledger.hardwareTimeMs;
      t.energyJ += s.ledger.energyJ;
    }
    return t;
  }

  costs(): ChipCosts {
    const t = this.totals();
    return { hardwareTimeMs: t.hardwareTimeMs, energyJ: t.energyJ, chipRuns: t.runs };
  }

  getState(): ChipModeState {
    const l = this.trainChip?.ledger;
    const deployed = this.totals();
    if (l) {
      deployed.runs -= l.runs;
      deployed.hardwareTimeMs -= l.hardwareTimeMs;
      deployed.energyJ -= l.energyJ;
    }
    return {
      trainNoise: this.trainChip ? this.trainChip.trialNoise.snapshot() : null,
      trainLedger: l ? { runs: l.runs, modelTimeMs: l.modelTimeMs, spikes: l.spikes, synapticEvents: l.synapticEvents, readoutBytes: l.readoutBytes } : null,
      deployed,
    };
  }

  setState(state: unknown): void {
    const s = state as ChipModeState | null;
    if (!s) return;
    if (this.trainChip && s.trainNoise && s.trainLedger) {
      this.trainChip.trialNoise.restore(s.trainNoise);
      Object.assign(this.trainChip.ledger, s.trainLedger);
    }
    Object.assign(this.deployed, s.deployed);
    this.deployments.length = 0;
  }
}

function chipMode(name: Mode): ModeDefinition {
  return { name, start: (config, model) => new ChipRuntime(config, model, name) };
}

export const inTheLoopMode = chipMode('in-the-loop');
export const transferMode = chipMode('transfer');
/** Simulation with chip evaluations (`evaluateOnChips`): training never touches a chip. */
export const simulationWithChipsMode = chipMode('simulation');

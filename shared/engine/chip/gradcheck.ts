/**
 * Gradient fidelity on a chip: how well a method's gradient matches the loss it is meant to
 * descend, in simulation and in the loop.
 *
 * For one minibatch (the first `batchSize` training samples) and up to `maxParameters` weights
 * (a seeded random subset):
 * - `simulation`: the method's gradient vs central finite differences of the model's own loss,
 *   step h = `simulationStep`;
 * - `in-the-loop`: the gradient the method computes from what the chip reported vs central
 *   finite differences of the CHIP's loss (the loss the method computes from the chip's
 *   outputs), with the trial-to-trial noise frozen (the same noise for every evaluation) and
 *   each weight matrix's step size frozen, the step being one synapse step (lsb): the chip
 *   cannot resolve a smaller change, as its weights are 6-bit.
 * A parameter whose one-sided differences disagree by more than half their size sits on a kink
 * (a spike appears or vanishes inside the step); such parameters are counted and left out of
 * `cosine`/`relativeError`, which `cosineAll` and `relativeErrorAll` include.
 */
import type { TrialConfig } from '../../contracts/trial.ts';
import { generateYinYang } from '../data/yinyang.ts';
import { methodFor } from '../methods/index.ts';
import type { BatchStats, MethodModel } from '../methods/types.ts';
import { streamFor } from '../random.ts';
import type { EmulatedDevice } from './emulated.ts';
import { emptyLedger, openChip } from './modes.ts';
import type { ChipSubstrate } from './substrate.ts';

export interface GradientFidelity {
  /** Cosine between the method's gradient and the finite differences, kinks left out. */
  readonly cosine: number;
  /** ‖g − g_fd‖ / ‖g_fd‖, kinks left out. */
  readonly relativeError: number;
  readonly cosineAll: number;
  readonly relativeErrorAll: number;
  readonly checkedParameters: number;
  /** Parameters on a kink (left out of `cosine` and `relativeError`). */
  readonly skippedParameters: number;
  /** Parameters whose finite difference is zero (the loss does not see them at this step). */
  readonly flatParameters: number;
}

export interface ChipGradcheckOptions {
  readonly batchSize?: number;
  readonly maxParameters?: number;
  readonly simulationStep?: number;
}

export interface ChipGradcheckReport {
  readonly method: TrialConfig['method'];
  readonly batchSize: number;
  readonly simulation: GradientFidelity;
  readonly inTheLoop: GradientFidelity & { readonly mismatchSeed: number; readonly calibrated: boolean; readonly stepLsb: Record<string, number> };
}

function compare(g: Float64Array, fd: Float64Array, kink: Uint8Array): GradientFidelity {
  const stats = (useKinks: boolean) => {
    let dot = 0;
    let gg = 0;
    let ff = 0;
    let diff = 0;
    for (let k = 0; k < g.length; k++) {
      if (!useKinks && kink[k]) continue;
      dot += g[k]! * fd[k]!;
      gg += g[k]! * g[k]!;
      ff += fd[k]! * fd[k]!;
      diff += (g[k]! - fd[k]!) ** 2;
    }
    return { cosine: gg > 0 && ff > 0 ? dot / Math.sqrt(gg * ff) : 0, relativeError: ff > 0 ? Math.sqrt(diff / ff) : Infinity };
  };
  const clean = stats(false);
  const all = stats(true);
  let skipped = 0;
  let flat = 0;
  for (let k = 0; k < g.length; k++) {
    if (kink[k]) skipped++;
    if (fd[k] === 0) flat++;
  }
  return { ...clean, cosineAll: all.cosine, relativeErrorAll: all.relativeError, checkedParameters: g.length, skippedParameters: skipped, flatParameters: flat };
}

/**
 * The method's gradient and central finite differences over `picked` parameters. `run` runs the
 * minibatch (OVERWRITING model.grads) and returns its summed loss.
 */
async function check(
  model: MethodModel,
  batchSize: number,
  picked: readonly (readonly [string, number])[],
  step: (name: string) => number,
  run: () => Promise<BatchStats> | BatchStats,
): Promise<GradientFidelity> {
  const loss = async (): Promise<number> => (await run()).lossSum / batchSize;
  await run();
  const g = Float64Array.from(picked, ([name, i]) => model.grads[name]![i]!);
  const l0 = await loss();
  const fd = new Float64Array(picked.length);
  const kink = new Uint8Array(picked.length);
  for (let k = 0; k < picked.length; k++) {
    const [name, i] = picked[k]!;
    const p = model.params[name]!;
    const w0 = p[i]!;
    const h = step(name);
    p[i] = w0 + h;
    const up = await loss();
    p[i] = w0 - h;
    const down = await loss();
    p[i] = w0;
    fd[k] = (up - down) / (2 * h);
    const right = (up - l0) / h;
    const left = (l0 - down) / h;
    kink[k] = Math.abs(right - left) > 0.5 * Math.max(Math.abs(right), Math.abs(left)) && Math.abs(right - left) > 1e-9 ? 1 : 0;
  }
  return compare(g, fd, kink);
}

/** Gradient fidelity of `config`'s method, in simulation and in the loop on `config.chip`. */
export async function chipGradientCheck(config: TrialConfig, options: ChipGradcheckOptions = {}): Promise<ChipGradcheckReport> {
  const batchSize = options.batchSize ?? 32;
  const maxParameters = options.maxParameters ?? 100;
  const d = config.dataset;
  const train = generateYinYang(d.trainSize, d.trainSeed);
  const model = methodFor(config).createModel(config, streamFor(config.seed, 'init'), train);
  const data = model.prepare({ size: Math.min(batchSize, train.size), features: train.features, labels: train.labels });
  const order = Int32Array.from({ length: data.size }, (_, k) => k);
  const b = order.length;

  const all: [string, number][] = [];
  for (const [name, p] of Object.entries(model.params)) for (let i = 0; i < p.length; i++) all.push([name, i]);
  const pick = streamFor(config.seed, 'gradcheck-parameters').permutation(all.length);
  const picked = Array.from(pick.subarray(0, Math.min(maxParameters, all.length)), (k) => all[k]!);

  const h = options.simulationStep ?? 1e-5;
  const simulation = await check(model, b, picked, () => h, () => model.lossAndGradient(data, order, 0, b));

  const session = await openChip({ ...config, mode: 'in-the-loop' }, model, config.chip, 'chip-gradcheck-noise', emptyLedger());
  const device = session.device as EmulatedDevice;
  const lsb = (device.circuits as ChipSubstrate).freezeWeightLsb(model.params);
  const noise = await device.getState();
  const inTheLoop = await check(model, b, picked, (name) => lsb.get(name)!, async () => {
    await device.setState(noise);
    return session.lossAndGradient(model, data, order, 0, b);
  });
  await device.close();
  return {
    method: config.method,
    batchSize: data.size,
    simulation,
    inTheLoop: { ...inTheLoop, mismatchSeed: config.chip.mismatchSeed, calibrated: config.chip.calibrated, stepLsb: Object.fromEntries(lsb) },
  };
}

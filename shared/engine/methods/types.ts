/**
 * The method plug-in interface: how a gradient method joins the trial loop.
 *
 * A method is one `MethodDefinition` object, registered in `methods/index.ts` under its name
 * in the typed record `METHODS` (one import + one entry); `config.method` selects it, so the
 * trial loop never compares method names. To add a method:
 * 1. Add its zod schema in `shared/contracts/methods/<name>.ts` (`method: z.literal(name)`,
 *    spread with `trialCommonShape`, every default there) and list it in `TrialConfig`.
 * 2. Write `shared/engine/methods/<name>/index.ts` exporting a `MethodDefinition<YourConfig>`:
 *    - `createModel(config, rng, train)` draws the initial network from the seeded `rng` (it may
 *      look at the training data, e.g. to raise the weights of silent neurons) and returns a
 *      `MethodModel`;
 *    - the model owns its parameters as named Float64Arrays (`params`) and same-shaped gradient
 *      buffers (`grads`): the trial's Adam updates `params` in place from `grads`, checkpoints
 *      serialise `params`, and best-validation snapshots copy them. Never replace the arrays;
 *    - `prepare(data)` turns a Yin-Yang split into the method's input form once per trial
 *      (spike rasters, spike times…);
 *    - `lossAndGradient(data, order, start, count)` runs the minibatch `order[start…start+count)`,
 *      OVERWRITES `grads` with the gradient of the MEAN loss over the minibatch and returns the
 *      summed loss and the number of correctly classified samples (from the same forward pass);
 *    - `predict(data, out)` writes the predicted class of every sample (or −1 if undecided);
 *    - optional `afterStep()` runs after each optimiser step (clipping, bumping silent neurons).
 * 3. Register it in `METHODS`, and add tests next to it.
 *
 * Devices (`in-the-loop`, `transfer`, `evaluateOnChips`) reach a method through `onDevice`: the
 * method states the network to configure (its model neuron values; weights follow by
 * `updateWeights`), packs a minibatch's input spike trains, says what it needs observed, and
 * learns from (or predicts from) what the device returned. The device runs the forward pass
 * (chip/emulated.ts is the one presentation loop); the method's backward differentiates the
 * model at what the device reported, with the device's own parameters where the device states
 * them (`internals`, emulators only) and the model's otherwise. The mode runtime (chip/modes.ts)
 * owns the loop over minibatches and the cost ledger.
 * Randomness: only from the generators the trial hands in (`rng` at creation, `noiseRng`).
 */
import type { TrialConfig } from '../../contracts/trial.ts';
import type { YinYangData } from '../data/yinyang.ts';
import type { NetworkSpec, RunRequest, RunResult, SpikeTrainBatch } from '../device/types.ts';
import type { Rng } from '../random.ts';

/** Named parameter arrays (e.g. `inputWeights`, `outputWeights`), updated in place. */
export type ParamSet = Readonly<Record<string, Float64Array>>;

/** A split in the method's own input form. Methods extend this with what they need. */
export interface PreparedData {
  readonly size: number;
  /** Class per sample, 0..2. */
  readonly labels: Int32Array;
}

/** Sums over one minibatch (the trial divides by the number of samples). */
export interface BatchStats {
  lossSum: number;
  correct: number;
}

/** One layer of a network as a chip hosts it: its name, its input weight matrix's name, sizes. */
export interface LayerLayout {
  readonly layer: string;
  readonly weights: string;
  readonly nIn: number;
  readonly nOut: number;
}

/**
 * How a method runs on a device. Every call is pure with respect to the device: the caller
 * (chip/modes.ts) configures the device with `network()`, sends `params` before each run,
 * runs `inputs(...)` with `requests.training` or `requests.evaluation`, and hands the reply here.
 */
export interface DeviceMethod {
  /** The network to configure: layers, model neuron values, grid and integration. */
  network(): NetworkSpec;
  /** Input spike trains of the samples order[start … start+count) (order null: start … start+count). */
  inputs(data: PreparedData, order: Int32Array | null, start: number, count: number): SpikeTrainBatch;
  /** What the backward pass needs observed (`training`), and what a prediction needs (`evaluation`). */
  readonly requests: { readonly training: RunRequest; readonly evaluation: RunRequest };
  /**
   * From the device's reply for the minibatch order[start … start+count): OVERWRITES `grads`
   * with the gradient of the mean loss, returns the summed loss and the correct count.
   */
  learn(data: PreparedData, order: Int32Array, start: number, count: number, observed: RunResult): BatchStats;
  /** Predicted class (−1: undecided) of every sample of the reply into out[offset …]. */
  predict(observed: RunResult, out: Int32Array, offset: number): void;
}

export interface MethodModel {
  readonly params: ParamSet;
  readonly grads: ParamSet;
  prepare(data: YinYangData): PreparedData;
  lossAndGradient(data: PreparedData, order: Int32Array, start: number, count: number): BatchStats;
  predict(data: PreparedData, out: Int32Array): void;
  afterStep?(): void;
  /** How the method runs on a device; absent = it cannot. */
  readonly onDevice?: DeviceMethod;
  /** The layers in order, input to output. */
  readonly layout?: readonly LayerLayout[];
}

export interface MethodDefinition<C extends TrialConfig = TrialConfig> {
  readonly name: C['method'];
  createModel(config: C, rng: Rng, train: YinYangData): MethodModel;
}

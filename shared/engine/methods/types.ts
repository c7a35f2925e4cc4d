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
 * Chip modes (`in-the-loop`, `transfer`) reach a method through `MethodModel.setSubstrate`:
 * a `Substrate` holds a device's per-neuron hardware values and its weight transfer, and the
 * method's forward pass uses them instead of the model values (`hardwareValue` vs
 * `modelValue`); the backward pass always differentiates the model.
 * Randomness: only from the generators the trial hands in (`rng` at creation, `noiseRng`).
 */
import type { TrialConfig } from '../../contracts/trial.ts';
import type { YinYangData } from '../data/yinyang.ts';
import type { NeuronParams } from '../discrete/lif.ts';
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

/**
 * An emulated device as a forward pass sees it: per layer (by the model's layer name) the
 * per-neuron parameters the circuits actually have, and the weights as the synapses apply them.
 */
export interface Substrate {
  /** Hardware values of a layer's neurons; `model` are its model values (same lengths). */
  neuronParams(layer: string, model: NeuronParams): NeuronParams;
  /**
   * The weights the device applies for the named weight matrix ([nOut × nIn] row-major), written
   * into `out` (e.g. 6-bit quantisation and per-synapse gain mismatch).
   */
  applyWeights(name: string, model: Float64Array, out: Float64Array): void;
  /** Generator for trial-to-trial noise of forward passes; null = noise-free. */
  readonly noiseRng: Rng | null;
  // Chip hooks (shared/engine/chip/substrate.ts); a method calls those that apply to it.
  /** This presentation's thresholds of a layer (hardware values + trial-to-trial noise) into `out`. */
  sampleThresholds?(layer: string, out: Float64Array): void;
  /** Recorded potentials of a layer, in place, as the lab reads them (8-bit ADC window, read-out noise); neuron = index mod n. */
  observeMembrane?(layer: string, values: Float64Array, n: number): void;
  /** Spike-time jitter, in place, on a layer's spike times (slot = neuron · maxSpikesPerNeuron + k; Infinity = none). */
  jitterSpikeTimes?(layer: string, times: Float64Array, maxSpikesPerNeuron: number): void;
  /** Records `runs` presentations and their activity (hidden+output spikes, synaptic events) for the cost model. */
  recordRuns?(activity: { runs: number; modelTimeMsPerRun: number; spikes?: number; synapticEvents?: number }): void;
}

/** One layer of a network as a chip hosts it: its name, its input weight matrix's name, sizes. */
export interface LayerLayout {
  readonly layer: string;
  readonly weights: string;
  readonly nIn: number;
  readonly nOut: number;
}

/** What a method requires the lab to observe on the device per sample. */
export interface MeasurementNeeds {
  /** `spike-times` only, or dense `membrane-traces` as well. */
  readonly observables: 'spike-times' | 'membrane-traces';
  /** Bytes read off the device per sample (spike events 4 B, membrane samples 1 B each). */
  readonly readoutBytesPerSample: number;
}

export interface MethodModel {
  readonly params: ParamSet;
  readonly grads: ParamSet;
  readonly measurement: MeasurementNeeds;
  prepare(data: YinYangData): PreparedData;
  lossAndGradient(data: PreparedData, order: Int32Array, start: number, count: number): BatchStats;
  predict(data: PreparedData, out: Int32Array): void;
  afterStep?(): void;
  /** Runs subsequent forward passes on a device (null: the ideal model). */
  setSubstrate?(substrate: Substrate | null): void;
  /** The layers in order, input to output (needed to run on a chip). */
  readonly layout?: readonly LayerLayout[];
}

export interface MethodDefinition<C extends TrialConfig = TrialConfig> {
  readonly name: C['method'];
  createModel(config: C, rng: Rng, train: YinYangData): MethodModel;
}

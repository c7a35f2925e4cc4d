/**
 * The Device interface: the one place where a forward pass meets its substrate. The ideal
 * simulation, the in-process emulated chip and a remote device (served over the device
 * protocol) all implement `Device`; a trial talks to nothing else.
 *
 * Life cycle: `capabilities()` → `configure(network)` → (`updateWeights` · `run`)* → `close()`;
 * `probe` (calibration stimuli) and `reset` may come at any point after `configure`.
 * Every method returns a Promise, so a device behind an RPC fits the same shape; in-process
 * devices resolve at once. Calls on one device never overlap (the caller awaits each one).
 *
 * Every value is a plain object, a number, a string or a typed array (no classes, no maps, no
 * functions), so each request and reply can be carried over the wire as it is: arrays travel
 * as packed typed arrays, `Infinity` means "no spike". Shapes are stated per field; matrices
 * are row-major.
 *
 * Units (the engine's model units, the same on every device):
 * - time: ms of MODEL (biological) time. A device that runs faster reports its own wall time
 *   separately (`deviceTimeMs`) and states the ratio in `capabilities.timeScale`.
 * - potentials: the model's voltage unit (the unit of `vThreshold`, `vLeak`, `vReset`);
 *   R = 1, so a weight is the jump of the synaptic current I in voltage units (τ_m dV/dt =
 *   −(V − E_L) + I, τ_s dI/dt = −I, I ← I + w at an input spike).
 * - energy: J; device time: ms of the device's wall clock.
 *
 * The network maps onto a NIR graph one to one: each `LayerSpec` is an `Affine` node (weight =
 * the layer's matrix [size × inputs], bias 0) followed by a `CubaLIF` node with tau_mem =
 * tauMemMs, tau_syn = tauSynMs, v_leak = vLeak, v_threshold = vThreshold, v_reset = vReset,
 * r = 1, w_in = 1 (per neuron arrays); a layer with vThreshold = ∞ is a leaky integrator (NIR
 * `CubaLI`). The graph is `input → layer 0 → layer 1 → … → output`; a layer's optional bias
 * spike is one more input channel that spikes once at `biasSpikeTimeMs` (last column of its
 * matrix). NIR's time unit is seconds: divide the times here by 1000.
 *
 * Trial-to-trial variability belongs to the device. The emulated chip draws it inside `run`,
 * from its own seeded stream, per presentation in this order: each spiking layer's thresholds
 * (ϑ_run = ϑ_hw + σ_ϑ·s·ξ), then the layer's dynamics, then spike-time jitter on a layer's
 * emitted spikes before the next layer sees them (σ_t·τ_s·ξ, one deviate per spike slot), and
 * read-out noise plus the 8-bit ADC on every membrane value it returns. Its fixed-pattern
 * mismatch and 6-bit weights are what `configure`/`updateWeights` set up. A physical device
 * simply has these effects; `getState`/`setState` let a deterministic device checkpoint its
 * noise stream, so a resumed trial continues bit-identically.
 */

/** The neuron model every device speaks: current-based LIF with exponential synapses. */
export type NeuronModel = 'cuba-lif';

/**
 * What a device can report per sample:
 * - `spikes`: spike events (neuron, time) of every layer;
 * - `membrane`: membrane potentials on the network's time grid (t = k·dtMs, k = 0…steps) of
 *   the layers asked for, as read (e.g. through an ADC);
 * - `peak`: per neuron of a non-spiking layer, the maximum over the grid of its potential and
 *   the grid step where it occurred (a max-over-time readout), as read;
 * - `internals`: the parameters the device actually ran with (per-neuron values, per-sample
 *   thresholds, the weights as applied). Only an emulator knows them; a backward pass uses them
 *   in place of the model when offered, and the nominal model (or a fitted twin) otherwise.
 */
export type Observable = 'spikes' | 'membrane' | 'peak' | 'internals';

/** How a device that simulates integrates the dynamics; a physical device ignores it. */
export type Integration =
  /** Exact event-driven integration (closed-form between events). */
  | 'exact'
  /** Fixed grid of `dtMs` (exact exponential decay per step, inputs at their sub-step offsets). */
  | 'grid';

export interface DeviceCapabilities {
  /** Kind of device (`simulation`, `emulated-chip`, `brian2`, a lab's name…). */
  readonly kind: string;
  /**
   * Identity of this physical (or emulated) instance, stable across restarts — part of a
   * result, e.g. `emulated-chip:mismatch-7`.
   */
  readonly id: string;
  readonly neuronModel: NeuronModel;
  /** Neuron circuits available in total, and at most per layer. */
  readonly maxNeurons: number;
  /** Inputs (synapse rows) available in total over all layers, bias channels included. */
  readonly maxInputs: number;
  readonly maxLayers: number;
  /**
   * Weight resolution: `bits` of magnitude (6 on BSS-2: q ∈ {−63…63}) with a sign; null =
   * continuous (floating point). A device quantises what `updateWeights` sends.
   */
  readonly weightBits: number | null;
  readonly observables: readonly Observable[];
  /** Bits per membrane sample it returns (8 for an 8-bit ADC); null = full precision. */
  readonly membraneBits: number | null;
  /** Model ms per device ms: 1000 for BSS-2 (1000× faster than biology), 1 for real time. */
  readonly timeScale: number;
  /** Most samples one `run` accepts. */
  readonly maxBatchSize: number;
  /** Integrations it can simulate (empty for a physical device: it runs in continuous time). */
  readonly integrations: readonly Integration[];
}

/** Per-neuron LIF parameters of one layer (model units; arrays of length `size`). */
export interface LayerNeurons {
  /** ϑ; Infinity = never spikes (leaky-integrator readout). */
  readonly vThreshold: Float64Array;
  /** E_L. */
  readonly vLeak: Float64Array;
  /** V_r, the potential after a spike. */
  readonly vReset: Float64Array;
  readonly tauMemMs: Float64Array;
  readonly tauSynMs: Float64Array;
}

export interface LayerSpec {
  /** Name of the layer (e.g. `hidden`, `output`); observations are keyed by it. */
  readonly name: string;
  /** Name of its input weight matrix (e.g. `inputWeights`); `updateWeights` is keyed by it. */
  readonly weights: string;
  /** Neurons of the layer. */
  readonly size: number;
  /**
   * Inputs of the layer: the previous layer's neurons (or the network inputs for layer 0),
   * plus one bias channel when `biasSpikeTimeMs` is set. Its matrix is [size × inputs].
   */
  readonly inputs: number;
  /** Spike time of the bias channel (ms after sample onset), or null for none. */
  readonly biasSpikeTimeMs: number | null;
  readonly neurons: LayerNeurons;
}

/** A feed-forward network, input → layers[0] → … → layers[L−1]. */
export interface NetworkSpec {
  /** Input channels of the network (= layers[0].inputs minus its bias channel). */
  readonly inputs: number;
  readonly layers: readonly LayerSpec[];
  /** Length of one presentation, ms of model time. */
  readonly durationMs: number;
  /** Time grid of membrane observations (and of `grid` integration), ms. */
  readonly dtMs: number;
  /** Grid steps per presentation (durationMs = steps · dtMs for `grid` integration). */
  readonly steps: number;
  /** Integration a simulating device should use (ignored by a physical device). */
  readonly integration: Integration;
  /** Most spikes recorded per neuron and presentation (1 = first spike only). */
  readonly maxSpikesPerNeuron: number;
}

export interface ConfigureResult {
  readonly ok: boolean;
  /** Why the device refused (network too large, unsupported integration…); '' when ok. */
  readonly reason: string;
}

/** Weight matrices by name (LayerSpec.weights), [size × inputs] row-major, model units. */
export type WeightSet = Readonly<Record<string, Float64Array>>;

/**
 * A batch of input spike trains, packed (CSR over samples): sample n's events are
 * [offsets[n], offsets[n+1]) of `channels` / `timesMs`, in any order. Channels are
 * 0…NetworkSpec.inputs−1; times are ms after the sample's onset.
 */
export interface SpikeTrainBatch {
  readonly samples: number;
  /** Length samples + 1, offsets[0] = 0. */
  readonly offsets: Int32Array;
  readonly channels: Int32Array;
  readonly timesMs: Float64Array;
}

export interface RunRequest {
  /** Layers whose membranes to return (needs `membrane`); empty for none. */
  readonly membrane: readonly string[];
  /** Non-spiking layers whose peak to return (needs `peak`); empty for none. */
  readonly peak: readonly string[];
  /** Return `internals` too (ignored when not offered). */
  readonly internals: boolean;
}

/**
 * Spike events of one layer over a batch, packed like the input: sample n's events are
 * [offsets[n], offsets[n+1]), with `slots` = neuron · maxSpikesPerNeuron + k (the k-th spike
 * of that neuron, k from 0) and `timesMs`, in slot order.
 */
export interface LayerSpikes {
  readonly offsets: Int32Array;
  readonly slots: Int32Array;
  readonly timesMs: Float64Array;
}

/** Membrane samples of one layer: [samples × (steps + 1) × size], t = k·dtMs. */
export interface LayerMembrane {
  readonly values: Float64Array;
}

/** Per-neuron peak of a non-spiking layer: values [samples × size], grid steps [samples × size]. */
export interface LayerPeak {
  readonly values: Float64Array;
  readonly steps: Int32Array;
}

/** What a device ran with (emulators only; see `Observable`). */
export interface DeviceInternals {
  /** Per layer: the per-neuron values of its circuits (thresholds without trial noise). */
  readonly neurons: Readonly<Record<string, LayerNeurons>>;
  /** Per spiking layer: the thresholds of each presentation, [samples × size]. */
  readonly thresholds: Readonly<Record<string, Float64Array>>;
  /** Per weight matrix: the weights as the synapses applied them (same shape as sent). */
  readonly weights: WeightSet;
}

/** What the device did while running a batch (its own count; for the energy model). */
export interface RunActivity {
  /** Spikes emitted by the network's neurons (inputs not included). */
  readonly spikes: number;
  /** Spikes delivered to synapses: Σ over layers of presynaptic spikes (bias and inputs too) × layer size. */
  readonly synapticEvents: number;
}

export interface RunResult {
  readonly samples: number;
  /** Spikes by layer name (every layer when `spikes` is offered). */
  readonly spikes: Readonly<Record<string, LayerSpikes>>;
  readonly membrane: Readonly<Record<string, LayerMembrane>>;
  readonly peak: Readonly<Record<string, LayerPeak>>;
  readonly internals: DeviceInternals | null;
  readonly activity: RunActivity | null;
  /** Wall time the device spent on the batch, ms of device time; null = not reported. */
  readonly deviceTimeMs: number | null;
  /** Energy the batch took, J (measured or the device's own model); null = not reported. */
  readonly energyJ: number | null;
}

/**
 * Calibration stimuli on the circuits of one configured layer, each neuron probed alone:
 * - `rest`: no input (the trace gives E_L);
 * - `psp`: one input spike of `weight` at each of `inputTimesMs` (τ_m, τ_s, synaptic gain);
 * - `drive`: the same, strong enough to make the neuron fire (ϑ, V_r).
 * The membrane is returned on the network's grid for `durationMs`.
 */
export interface ProbeRequest {
  readonly kind: 'rest' | 'psp' | 'drive';
  readonly layer: string;
  readonly weight: number;
  readonly inputTimesMs: Float64Array;
  readonly durationMs: number;
  /** Presentations per neuron (trial-to-trial noise averages out). */
  readonly repetitions: number;
}

export interface ProbeResult {
  /** Neurons of the layer (all were probed). */
  readonly size: number;
  readonly steps: number;
  readonly dtMs: number;
  /** [repetitions × (steps + 1) × size]. */
  readonly membrane: Float64Array;
  /** Spikes per repetition (a batch of `repetitions` samples). */
  readonly spikes: LayerSpikes;
}

export interface Device {
  capabilities(): Promise<DeviceCapabilities>;
  /** Sets up the network (placement, neuron parameters, calibration). Weights start at 0. */
  configure(network: NetworkSpec): Promise<ConfigureResult>;
  /** Replaces the named weight matrices (the cheap path between runs; others keep their values). */
  updateWeights(weights: WeightSet): Promise<void>;
  /** Presents every sample of the batch once, in order. */
  run(batch: SpikeTrainBatch, request: RunRequest): Promise<RunResult>;
  probe(request: ProbeRequest): Promise<ProbeResult>;
  /** Back to the state right after `configure` (weights kept, noise stream unchanged). */
  reset(): Promise<void>;
  close(): Promise<void>;
  /** JSON state for checkpoints (e.g. the noise stream); absent = nothing to keep. */
  getState?(): Promise<unknown>;
  setState?(state: unknown): Promise<void>;
}

/**
 * In-process devices: the ideal simulation and the emulated chip, one `Device` implementation
 * (device/types.ts) with the circuits as the only difference. This is the one presentation
 * loop of the engine: every forward pass that runs "on a device" runs here.
 *
 * `configure` places the layers and asks the circuits for each layer's per-neuron values (the
 * chip calibrates there); `updateWeights` maps the weights onto the synapses (6-bit steps ×
 * frozen gains on the chip); `run` presents each sample in turn:
 *   1. each spiking layer's thresholds for this presentation (chip: + trial-to-trial noise),
 *   2. the network's dynamics with those values: `grid` integration by the discrete-time
 *      kernel (a spiking layer, then a leaky-integrator readout), `exact` integration by the
 *      closed-form first-spike kernel (maxSpikesPerNeuron = 1; first spikes are reported
 *      whenever they occur) or by exact event simulation (maxSpikesPerNeuron > 1; spikes after
 *      `durationMs` are not reported), spike-time jitter on the hidden spikes before the next
 *      layer sees them,
 *   3. what is read: the spikes, the membranes asked for (chip: read-out noise and the 8-bit
 *      ADC, in place), the readout peaks asked for (likewise),
 * `probe` runs calibration stimuli on one layer's circuits, each neuron alone (see `probeNow`),
 * and `run` counts the activity (spikes, synaptic events) for the energy model: E = P_static ·
 * t_hw + E_spike · spikes + E_syn · synaptic events (cost.ts), t_hw = model time / 1000.
 *
 * The networks these kernels simulate are the methods' own (methods/surrogate/kernel.ts,
 * methods/spike-time/network.ts, methods/eventprop/network.ts), so a method's forward on the
 * ideal device is bit-identical to its forward on the model.
 */
import { DeviceError } from '../../contracts/errors.ts';
import type { ChipConfig } from '../../contracts/trial-common.ts';
import { discretize, type LifCoefficients, type NeuronParams } from '../discrete/lif.ts';
import { unpackInputTimes } from '../device/batch.ts';
import type {
  ConfigureResult,
  Device,
  DeviceCapabilities,
  DeviceInternals,
  LayerNeurons,
  LayerSpikes,
  NetworkSpec,
  ProbeRequest,
  ProbeResult,
  RunRequest,
  RunResult,
  SpikeTrainBatch,
  WeightSet,
} from '../device/types.ts';
import { toEventParams } from '../event/first-spike-model.ts';
import { pspKernel } from '../event/lif.ts';
import type { SpikeNetwork, TtfsLayerParams, TtfsWeights } from '../event/spike-network.ts';
import { EventPropNetwork } from '../methods/eventprop/network.ts';
import { TtfsNetwork } from '../methods/spike-time/network.ts';
import { SurrogateKernel, type KernelSide } from '../methods/surrogate/kernel.ts';
import { inputEvents } from '../methods/surrogate/reference.ts';
import { energyJ, hardwareTimeMs } from './cost.ts';
import { CHIP_NEURONS, CHIP_SYNAPSE_ROWS } from './device.ts';
import { ChipSubstrate, type ChipLayerLayout } from './substrate.ts';
import { WEIGHT_MAX_STEPS } from './weights.ts';
import { ADC_BITS } from './observe.ts';

/** What a device's circuits do to the network (ChipSubstrate on the chip; identity ideally). */
export interface Circuits {
  /** The per-neuron values a layer's circuits have when asked for `model`. */
  neuronParams(layer: string, model: NeuronParams): NeuronParams;
  /** The weights as the synapses apply them, into `out`. */
  applyWeights(name: string, model: Float64Array, out: Float64Array): void;
  /** This presentation's thresholds of a spiking layer into `out`. */
  sampleThresholds?(layer: string, out: Float64Array): void;
  /** Spike-time jitter in place (slot = neuron · maxSpikesPerNeuron + k; Infinity = none). */
  jitterSpikeTimes?(layer: string, times: Float64Array, maxSpikesPerNeuron: number): void;
  /** Membrane values as read, in place (neuron = index mod n). */
  observeMembrane?(layer: string, values: Float64Array, n: number): void;
}

/** The ideal circuits: the model values, the weights as given, no noise, full precision. */
class IdealCircuits implements Circuits {
  neuronParams(_layer: string, model: NeuronParams): NeuronParams {
    return model;
  }

  applyWeights(_name: string, model: Float64Array, out: Float64Array): void {
    out.set(model);
  }
}

interface Placed {
  readonly network: NetworkSpec;
  /** Per layer: the circuits' values (thresholds without trial noise). */
  readonly hardware: NeuronParams[];
  /** Per layer: the weights as applied. */
  readonly weights: Float64Array[];
  readonly runner: Runner;
}

/** One presentation's output of a runner (views valid until the next presentation). */
interface Presentation {
  /** Per layer: dense spike slots (Infinity = none), length size · maxSpikesPerNeuron. */
  readonly slots: readonly Float64Array[];
  /** Per layer: membrane on the grid [(steps + 1) × size] (grid runner, spiking layers), or null. */
  readonly membrane: readonly (Float64Array | null)[];
  /** Per layer: peak values and steps (grid runner, non-spiking layers), or null. */
  readonly peak: readonly ({ values: Float64Array; steps: Int32Array } | null)[];
}

interface Runner {
  /** Writes this presentation's thresholds of layer l (hardware voltages) into the runner's own. */
  thresholds(l: number): Float64Array | null;
  present(inputs: Float64Array, jitter: ((times: Float64Array, maxSpikesPerNeuron: number) => void) | null): Presentation;
}

const HEAVISIDE = { shape: 'superspike', beta: 1, resetGradient: 'detached', forward: 'heaviside' } as const;

/** Grid integration of [spiking layer → leaky-integrator readout] (the surrogate's network). */
class GridRunner implements Runner {
  private readonly kernel: SurrogateKernel;
  private readonly side: KernelSide;
  private readonly slots: Float64Array[];
  private readonly peakSteps: Int32Array;
  private readonly step: Int32Array;
  private readonly delta: Float64Array;

  constructor(
    private readonly network: NetworkSpec,
    hardware: NeuronParams[],
    weights: Float64Array[],
  ) {
    const [h, o] = network.layers as [NetworkSpec['layers'][0], NetworkSpec['layers'][0]];
    this.kernel = new SurrogateKernel(network.inputs, h.size, o.size, network.steps, HEAVISIDE);
    this.side = {
      // own copy of the thresholds: the presentation's thresholds are written into it
      hidden: discretize({ ...hardware[0]!, vThreshold: hardware[0]!.vThreshold.slice() }, network.dtMs),
      output: discretize(hardware[1]!, network.dtMs),
      inputWeights: weights[0]!,
      outputWeights: weights[1]!,
    };
    this.slots = [new Float64Array(h.size * network.maxSpikesPerNeuron), new Float64Array(0)];
    this.peakSteps = new Int32Array(o.size);
    this.step = new Int32Array(network.inputs);
    this.delta = new Float64Array(network.inputs);
  }

  thresholds(l: number): Float64Array | null {
    return l === 0 ? (this.side.hidden as LifCoefficients).vThreshold : null;
  }

  present(inputs: Float64Array): Presentation {
    const ev = inputEvents(inputs, this.network.dtMs);
    this.step.set(ev.step);
    this.delta.set(ev.deltaMs);
    const k = this.kernel;
    k.forward(this.step, this.delta, 0, this.side);
    const { u, s } = k.traces();
    const nH = k.nH;
    const T = k.timeSteps;
    const maxSpikes = this.network.maxSpikesPerNeuron;
    const slots = this.slots[0]!;
    slots.fill(Infinity);
    for (let h = 0; h < nH; h++) {
      let c = 0;
      for (let t = 1; t <= T && c < maxSpikes; t++) if (s[t * nH + h] !== 0) slots[h * maxSpikes + c++] = t * this.network.dtMs;
    }
    this.peakSteps.set(k.peakSteps());
    return { slots: this.slots, membrane: [u, null], peak: [null, { values: k.logits, steps: this.peakSteps }] };
  }
}

/** Exact integration: first spikes in closed form (1 spike) or event simulation (several). */
class ExactRunner implements Runner {
  private readonly net: SpikeNetwork & { hiddenTimesView(): Float64Array };
  private readonly params: TtfsLayerParams;
  private readonly weights: TtfsWeights;
  private readonly leaks: Float64Array[];
  private readonly slots: Float64Array[];
  private readonly hw: Float64Array[];

  constructor(network: NetworkSpec, hardware: NeuronParams[], weights: Float64Array[]) {
    const [h, o] = network.layers as [NetworkSpec['layers'][0], NetworkSpec['layers'][0]];
    const bias = o.biasSpikeTimeMs;
    const m = network.maxSpikesPerNeuron;
    this.net = m === 1 ? firstSpikeNet(new TtfsNetwork(network.inputs, h.size, o.size, bias)) : eventNet(new EventPropNetwork(network.inputs, h.size, o.size, bias, m, network.durationMs));
    const hidden = toEventParams(hardware[0]!);
    const output = toEventParams(hardware[1]!);
    this.params = { hidden: { ...hidden, vThreshold: new Float64Array(hidden.vThreshold) }, output: { ...output, vThreshold: new Float64Array(output.vThreshold) } };
    this.weights = { hiddenWeights: weights[0]!, outputWeights: weights[1]! };
    this.leaks = [hardware[0]!.vLeak, hardware[1]!.vLeak];
    this.hw = [hardware[0]!.vThreshold.slice(), hardware[1]!.vThreshold.slice()];
    this.slots = [new Float64Array(h.size * m), new Float64Array(o.size * m)];
  }

  /** Hardware thresholds of layer l for this presentation (shifted to E_L = 0 in `present`). */
  thresholds(l: number): Float64Array {
    return this.hw[l]!;
  }

  present(inputs: Float64Array, jitter: ((times: Float64Array, maxSpikesPerNeuron: number) => void) | null): Presentation {
    for (let l = 0; l < 2; l++) {
      const theta = (l === 0 ? this.params.hidden : this.params.output).vThreshold as Float64Array;
      const hw = this.hw[l]!;
      const leak = this.leaks[l]!;
      for (let n = 0; n < theta.length; n++) theta[n] = hw[n]! - leak[n]!;
    }
    const net = this.net;
    net.forward(inputs, 0, this.weights, this.params, jitter ?? undefined);
    this.slots[0]!.set(net.hiddenTimesView());
    const out = this.slots[1]!;
    out.fill(Infinity);
    const m = out.length / net.nOut;
    for (let k = 0; k < net.nOut; k++) out[k * m] = net.outputTimes[k]!;
    return { slots: this.slots, membrane: [null, null], peak: [null, null] };
  }
}

function firstSpikeNet(net: TtfsNetwork): TtfsNetwork & { hiddenTimesView(): Float64Array } {
  const view = net.hiddenTimes.subarray(0, net.nHidden);
  return Object.assign(net, { hiddenTimesView: () => view });
}

function eventNet(net: EventPropNetwork): EventPropNetwork & { hiddenTimesView(): Float64Array } {
  return Object.assign(net, { hiddenTimesView: () => net.hiddenSpikes.times });
}

export interface EmulatedDeviceOptions {
  readonly kind: string;
  readonly id: string;
  /** The circuits for a network placed with this layout. */
  circuits(layout: readonly ChipLayerLayout[]): Circuits;
  readonly weightBits: number | null;
  readonly membraneBits: number | null;
  /** Model ms per device ms; null = the device reports no time and no energy. */
  readonly timeScale: number | null;
  readonly maxNeurons: number;
  readonly maxInputs: number;
  /** Checkpoint state of the circuits (the noise stream). */
  getState?(circuits: Circuits): unknown;
  setState?(circuits: Circuits, state: unknown): void;
}

const MAX_BATCH = 1 << 16;

export class EmulatedDevice implements Device {
  private placed: Placed | null = null;
  /** The circuits of the configured network (null before `configure`). */
  circuits: Circuits | null = null;

  constructor(private readonly options: EmulatedDeviceOptions) {}

  capabilities(): Promise<DeviceCapabilities> {
    return Promise.resolve(this.capabilitiesNow());
  }

  capabilitiesNow(): DeviceCapabilities {
    const o = this.options;
    return {
      kind: o.kind,
      id: o.id,
      neuronModel: 'cuba-lif',
      maxNeurons: o.maxNeurons,
      maxInputs: o.maxInputs,
      maxLayers: 2,
      weightBits: o.weightBits,
      observables: ['spikes', 'membrane', 'peak', 'internals'],
      membraneBits: o.membraneBits,
      timeScale: o.timeScale ?? 1,
      maxBatchSize: MAX_BATCH,
      integrations: ['grid', 'exact'],
    };
  }

  /** Why this device cannot host `network` ('' when it can). */
  private refusal(network: NetworkSpec): string {
    const ls = network.layers;
    if (ls.length !== 2) return `hosts networks of 2 layers (hidden → output), got ${ls.length}`;
    const [h, o] = ls as [NetworkSpec['layers'][0], NetworkSpec['layers'][0]];
    if (h.inputs !== network.inputs + (h.biasSpikeTimeMs === null ? 0 : 1)) return `layer '${h.name}' must take the ${network.inputs} network inputs`;
    if (h.biasSpikeTimeMs !== null) return `layer '${h.name}': a bias channel is only supported on the second layer`;
    if (o.inputs !== h.size + (o.biasSpikeTimeMs === null ? 0 : 1)) return `layer '${o.name}' must take the ${h.size} neurons of '${h.name}' (plus its bias)`;
    const neurons = h.size + o.size;
    const rows = h.inputs + o.inputs;
    if (neurons > this.options.maxNeurons || rows > this.options.maxInputs) {
      return `network needs ${rows} synapse rows and ${neurons} neurons; the device has ${this.options.maxInputs} and ${this.options.maxNeurons}`;
    }
    if (network.integration === 'grid') {
      if (o.biasSpikeTimeMs !== null) return 'grid integration: no bias channel on the readout';
      if (o.neurons.vThreshold.some((x) => x !== Infinity)) return `grid integration: layer '${o.name}' must be a leaky-integrator readout (vThreshold = Infinity)`;
      if (!(network.steps >= 1 && network.dtMs > 0)) return 'grid integration needs steps ≥ 1 and dtMs > 0';
    }
    for (const l of ls) {
      for (const [k, a] of Object.entries(l.neurons)) if (a.length !== l.size) return `layer '${l.name}': neurons.${k} has ${a.length} values for ${l.size} neurons`;
    }
    return '';
  }

  configure(network: NetworkSpec): Promise<ConfigureResult> {
    const reason = this.refusal(network);
    if (reason) return Promise.resolve({ ok: false, reason });
    const layout: ChipLayerLayout[] = network.layers.map((l) => ({ layer: l.name, weights: l.weights, nIn: l.inputs, nOut: l.size }));
    const circuits = this.options.circuits(layout);
    const hardware = network.layers.map((l) => circuits.neuronParams(l.name, l.neurons));
    const weights = network.layers.map((l) => new Float64Array(l.size * l.inputs));
    const runner = network.integration === 'grid' ? new GridRunner(network, hardware, weights) : new ExactRunner(network, hardware, weights);
    this.circuits = circuits;
    this.placed = { network, hardware, weights, runner };
    return Promise.resolve({ ok: true, reason: '' });
  }

  private configured(): Placed {
    if (!this.placed) throw new DeviceError('spikesweep:device-rejected', `device ${this.options.id}: not configured`);
    return this.placed;
  }

  async updateWeights(weights: WeightSet): Promise<void> {
    const p = this.configured();
    p.network.layers.forEach((l, k) => {
      const w = weights[l.weights];
      if (!w) return;
      if (w.length !== l.size * l.inputs) throw new DeviceError('spikesweep:device-rejected', `device ${this.options.id}: weights '${l.weights}' need ${l.size * l.inputs} values, got ${w.length}`);
      this.circuits!.applyWeights(l.weights, w, p.weights[k]!);
    });
  }

  async run(batch: SpikeTrainBatch, request: RunRequest): Promise<RunResult> {
    return this.runNow(batch, request);
  }

  /** `run`, synchronously (in-process callers). */
  runNow(batch: SpikeTrainBatch, request: RunRequest): RunResult {
    const p = this.configured();
    const { network, runner } = p;
    const layers = network.layers;
    const B = batch.samples;
    const grid = network.integration === 'grid';
    for (const name of request.membrane) {
      const l = layers.findIndex((x) => x.name === name);
      if (l < 0 || !grid || l !== 0) throw new DeviceError('spikesweep:device-rejected', `device ${this.options.id}: membrane of '${name}' is recorded only on the grid, for the spiking layer '${layers[0]!.name}'`);
    }
    for (const name of request.peak) {
      const l = layers.findIndex((x) => x.name === name);
      if (l < 0 || !grid || l !== 1) throw new DeviceError('spikesweep:device-rejected', `device ${this.options.id}: peaks of '${name}' are recorded only on the grid, for the readout '${layers[1]!.name}'`);
    }
    const circuits = this.circuits!;
    const m = network.maxSpikesPerNeuron;
    const inputs = new Float64Array(network.inputs);
    const spikeTimes: number[][] = layers.map(() => []);
    const spikeSlots: number[][] = layers.map(() => []);
    const offsets = layers.map(() => new Int32Array(B + 1));
    const membrane: Record<string, { values: Float64Array }> = {};
    for (const name of request.membrane) membrane[name] = { values: new Float64Array(B * (network.steps + 1) * layers[0]!.size) };
    const peak: Record<string, { values: Float64Array; steps: Int32Array }> = {};
    for (const name of request.peak) peak[name] = { values: new Float64Array(B * layers[1]!.size), steps: new Int32Array(B * layers[1]!.size) };
    const thresholds: Record<string, Float64Array> = {};
    const spiking = layers.map((l) => l.neurons.vThreshold.some((x) => x !== Infinity));
    if (request.internals) layers.forEach((l, k) => spiking[k] && (thresholds[l.name] = new Float64Array(B * l.size)));
    const hiddenName = layers[0]!.name;
    const jitter = circuits.jitterSpikeTimes ? (times: Float64Array, max: number) => circuits.jitterSpikeTimes!(hiddenName, times, max) : null;
    let spikes = 0;
    let synapticEvents = 0;
    for (let n = 0; n < B; n++) {
      unpackInputTimes(batch, n, network.inputs, inputs, 0);
      // 1. this presentation's thresholds
      layers.forEach((l, k) => {
        const theta = runner.thresholds(k);
        if (!theta || !spiking[k]) return;
        if (circuits.sampleThresholds) circuits.sampleThresholds(l.name, theta);
        if (request.internals) thresholds[l.name]!.set(theta, n * l.size);
      });
      // 2. the dynamics
      const out = runner.present(inputs, jitter);
      // 3. what is read, and the activity
      let presynaptic = 0;
      for (let i = 0; i < network.inputs; i++) if (inputs[i]! < Infinity) presynaptic++;
      layers.forEach((l, k) => {
        const slots = out.slots[k]!;
        let emitted = 0;
        for (let s = 0; s < slots.length; s++) {
          if (slots[s]! < Infinity) {
            spikeSlots[k]!.push(s);
            spikeTimes[k]!.push(slots[s]!);
            emitted++;
          }
        }
        offsets[k]![n + 1] = spikeSlots[k]!.length;
        synapticEvents += (presynaptic + (l.biasSpikeTimeMs === null ? 0 : 1)) * l.size;
        spikes += emitted;
        presynaptic = emitted;
        const mem = membrane[l.name];
        if (mem) {
          const view = mem.values.subarray(n * (network.steps + 1) * l.size, (n + 1) * (network.steps + 1) * l.size);
          view.set(out.membrane[k]!);
          circuits.observeMembrane?.(l.name, view, l.size);
        }
        const pk = peak[l.name];
        if (pk) {
          const view = pk.values.subarray(n * l.size, (n + 1) * l.size);
          view.set(out.peak[k]!.values);
          pk.steps.set(out.peak[k]!.steps, n * l.size);
          circuits.observeMembrane?.(l.name, view, l.size);
        }
      });
    }
    const spikesOut: Record<string, LayerSpikes> = {};
    layers.forEach((l, k) => {
      spikesOut[l.name] = { offsets: offsets[k]!, slots: Int32Array.from(spikeSlots[k]!), timesMs: Float64Array.from(spikeTimes[k]!) };
    });
    void m;
    let internals: DeviceInternals | null = null;
    if (request.internals) {
      const neurons: Record<string, LayerNeurons> = {};
      const weights: Record<string, Float64Array> = {};
      layers.forEach((l, k) => {
        neurons[l.name] = p.hardware[k]!;
        weights[l.weights] = p.weights[k]!.slice();
      });
      internals = { neurons, thresholds, weights };
    }
    const scale = this.options.timeScale;
    const hwMs = scale === null ? null : hardwareTimeMs(B * network.durationMs);
    return {
      samples: B,
      spikes: spikesOut,
      membrane,
      peak,
      internals,
      activity: { spikes, synapticEvents },
      deviceTimeMs: hwMs,
      energyJ: hwMs === null ? null : energyJ({ hardwareTimeMs: hwMs, spikes, synapticEvents }),
    };
  }

  async probe(request: ProbeRequest): Promise<ProbeResult> {
    return this.probeNow(request);
  }

  /**
   * Calibration stimuli on the circuits of one configured layer, each neuron alone: its own
   * synapse (row 0 of the layer, so the weight goes through the 6-bit step and that synapse's
   * gain on the chip) receives `inputTimesMs` (none for `rest`); the membrane
   *   V(t) = E_L + (V₀ − E_L)e^{−s/τ_m} + I₀ κ(s),  I(t) = I₀ e^{−s/τ_s}   (exact between events)
   * is sampled every `dtMs` of the network grid for `durationMs`; a sample at or above this
   * repetition's threshold (chip: + trial noise) is a spike (times on the grid) and resets V to
   * V_r. Samples are read like any membrane (chip: read-out noise, 8-bit ADC).
   */
  probeNow(request: ProbeRequest): ProbeResult {
    const p = this.configured();
    const { network } = p;
    const l = network.layers.findIndex((x) => x.name === request.layer);
    if (l < 0) throw new DeviceError('spikesweep:device-rejected', `device ${this.options.id}: probe of '${request.layer}': no such layer (${network.layers.map((x) => x.name).join(', ')})`);
    if (!(request.durationMs > 0) || !(request.repetitions >= 1) || !Number.isInteger(request.repetitions) || !Number.isFinite(request.weight)) {
      throw new DeviceError('spikesweep:device-rejected', `device ${this.options.id}: probe needs durationMs > 0, an integer repetitions ≥ 1 and a finite weight`);
    }
    const layer = network.layers[l]!;
    const hw = p.hardware[l]!;
    const circuits = this.circuits!;
    const n = layer.size;
    const dt = network.dtMs;
    const steps = Math.max(1, Math.round(request.durationMs / dt));
    // the probe weight as the neuron's first synapse applies it
    const matrix = new Float64Array(n * layer.inputs);
    for (let j = 0; j < n; j++) matrix[j * layer.inputs] = request.weight;
    const applied = new Float64Array(matrix.length);
    circuits.applyWeights(layer.weights, matrix, applied);
    const times = request.kind === 'rest' ? [] : Array.from(request.inputTimesMs).filter((t) => t >= 0 && t <= steps * dt).sort((x, y) => x - y);
    const m = network.maxSpikesPerNeuron;
    const membrane = new Float64Array(request.repetitions * (steps + 1) * n);
    const offsets = new Int32Array(request.repetitions + 1);
    const slots: number[] = [];
    const spikeTimes: number[] = [];
    const theta = hw.vThreshold.slice();
    for (let r = 0; r < request.repetitions; r++) {
      circuits.sampleThresholds?.(layer.name, theta);
      const trace = membrane.subarray(r * (steps + 1) * n, (r + 1) * (steps + 1) * n);
      const spikes: [number, number][] = [];
      for (let j = 0; j < n; j++) {
        const tm = hw.tauMemMs[j]!;
        const ts = hw.tauSynMs[j]!;
        const el = hw.vLeak[j]!;
        const w = applied[j * layer.inputs]!;
        let v = el;
        let cur = 0;
        let t = 0;
        let next = 0;
        let count = 0;
        trace[j] = v;
        for (let k = 1; k <= steps; k++) {
          const tk = k * dt;
          // advance exactly through the input events up to the sample time
          while (next < times.length && times[next]! <= tk) {
            const s = times[next]! - t;
            v = el + (v - el) * Math.exp(-s / tm) + cur * pspKernel(s, tm, ts);
            cur = cur * Math.exp(-s / ts) + w;
            t = times[next]!;
            next++;
          }
          const s = tk - t;
          v = el + (v - el) * Math.exp(-s / tm) + cur * pspKernel(s, tm, ts);
          cur *= Math.exp(-s / ts);
          t = tk;
          trace[k * n + j] = v;
          if (v >= theta[j]!) {
            if (count < m) spikes.push([j * m + count, tk]);
            count++;
            v = hw.vReset[j]!;
          }
        }
      }
      spikes.sort((x, y) => x[0] - y[0]);
      for (const [slot, time] of spikes) {
        slots.push(slot);
        spikeTimes.push(time);
      }
      offsets[r + 1] = slots.length;
      circuits.observeMembrane?.(layer.name, trace, n);
    }
    return { size: n, steps, dtMs: dt, membrane, spikes: { offsets, slots: Int32Array.from(slots), timesMs: Float64Array.from(spikeTimes) } };
  }

  reset(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.placed = null;
    this.circuits = null;
    return Promise.resolve();
  }

  getState(): Promise<unknown> {
    return Promise.resolve(this.circuits && this.options.getState ? this.options.getState(this.circuits) : null);
  }

  setState(state: unknown): Promise<void> {
    if (state !== null && state !== undefined && this.circuits && this.options.setState) this.options.setState(this.circuits, state);
    return Promise.resolve();
  }
}

/** The ideal simulation as a device: model values, weights as given, no noise, full precision. */
export function simulationDevice(): EmulatedDevice {
  return new EmulatedDevice({
    kind: 'simulation',
    id: 'simulation',
    circuits: () => new IdealCircuits(),
    weightBits: null,
    membraneBits: null,
    timeScale: null,
    maxNeurons: Number.MAX_SAFE_INTEGER,
    maxInputs: Number.MAX_SAFE_INTEGER,
  });
}

/**
 * The emulated chip of `config` as a device (mismatch from `config.mismatchSeed`; trial noise
 * from `streamFor(noiseSeed, '<noisePurpose>:<mismatchSeed>')`).
 */
export function emulatedChip(config: ChipConfig, options: { noiseSeed: number; noisePurpose: string }): EmulatedDevice {
  return new EmulatedDevice({
    kind: 'emulated-chip',
    id: `emulated-chip:mismatch-${config.mismatchSeed}`,
    circuits: (layout) => new ChipSubstrate(config, layout, options),
    weightBits: Math.ceil(Math.log2(WEIGHT_MAX_STEPS + 1)),
    membraneBits: ADC_BITS,
    timeScale: 1000,
    maxNeurons: CHIP_NEURONS,
    maxInputs: CHIP_SYNAPSE_ROWS,
    getState: (c) => (c as ChipSubstrate).trialNoise.snapshot(),
    setState: (c, s) => (c as ChipSubstrate).trialNoise.restore(s as Parameters<ChipSubstrate['trialNoise']['restore']>[0]),
  });
}

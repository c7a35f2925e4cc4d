/**
 * Between the engine's `Device` types (shared/engine/device/types.ts) and the protocol's wire
 * messages (wire.ts), both ways, checking every field on the way in.
 *
 * Arrays are packed little-endian typed arrays in `bytes` fields; reading one checks its byte
 * length against the shape the message implies and copies it into an aligned typed array. A
 * value that does not fit throws `WireFormatError` naming the field (`Run.spikes[hidden].index:
 * 7 bytes is not a whole number of int32 values`); the client turns it into a
 * `spikesweep:device-malformed` error, the server into gRPC INVALID_ARGUMENT.
 *
 * The network travels as a NIR graph (device.proto): `in` → Affine `<weights>` → `<layer>`
 * (CubaLIF, or CubaLI when ϑ = ∞) → … → `out`, and a layer with a bias spike gets an Input
 * `<layer>.bias` of size 1 with `constant_spike_time_ms` feeding it through the Affine
 * `<weights>.bias` [size × 1]; the engine's [size × (inputs + 1)] matrix is split into those two
 * (and joined again on the other side).
 */
import { endianness } from 'node:os';
import type {
  ConfigureResult,
  DeviceCapabilities,
  DeviceInternals,
  Integration,
  LayerNeurons,
  LayerSpec,
  NetworkSpec,
  Observable,
  ProbeRequest,
  ProbeResult,
  RunRequest,
  RunResult,
  SpikeTrainBatch,
  WeightSet,
} from '../engine/device/types.ts';
import {
  PROTOCOL_VERSION,
  type WireCapabilities,
  type WireConfigureRequest,
  type WireGraph,
  type WireLayerNeurons,
  type WireNode,
  type WireProbeReply,
  type WireProbeRequest,
  type WireRunReply,
  type WireRunRequest,
  type WireSpikeTrains,
  type WireWeightMatrix,
} from './wire.ts';

if (endianness() !== 'LE') throw new Error('device protocol: typed arrays are sent as they lie in memory, which needs a little-endian host');

/** A message field that does not fit the protocol; `message` names the field. */
export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';
}

export const INPUT_NODE = 'in';
export const OUTPUT_NODE = 'out';
export const BIAS_SUFFIX = '.bias';

// ------------------------------------------------------------------ typed arrays

export function bytesOf(a: Float64Array | Int32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function readArray<T extends Float64Array | Int32Array>(make: new (n: number) => T, width: number, type: string, buf: Buffer | null | undefined, field: string, length?: number): T {
  const bytes = buf ?? Buffer.alloc(0);
  if (bytes.length % width !== 0) throw new WireFormatError(`${field}: ${bytes.length} bytes is not a whole number of ${type} values`);
  const n = bytes.length / width;
  if (length !== undefined && n !== length) throw new WireFormatError(`${field}: expected ${length} ${type} values, got ${n}`);
  const out = new make(n);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

export function readF64(buf: Buffer | null | undefined, field: string, length?: number): Float64Array {
  return readArray(Float64Array, 8, 'float64', buf, field, length);
}

export function readI32(buf: Buffer | null | undefined, field: string, length?: number): Int32Array {
  return readArray(Int32Array, 4, 'int32', buf, field, length);
}

function finite(a: Float64Array, field: string): Float64Array {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) throw new WireFormatError(`${field}[${i}]: ${a[i]} is not a finite number`);
  return a;
}

function need<T>(value: T | null | undefined, field: string): T {
  if (value === null || value === undefined) throw new WireFormatError(`${field}: missing`);
  return value;
}

// ------------------------------------------------------------------ capabilities

const OBSERVABLES: Record<Observable, string> = { spikes: 'SPIKES', membrane: 'MEMBRANE', peak: 'PEAK', internals: 'INTERNALS' };
const INTEGRATIONS: Record<Integration, string> = { exact: 'EXACT', grid: 'GRID' };

function fromEnum<T extends string>(table: Record<T, string>, wire: string, field: string): T {
  for (const [k, v] of Object.entries(table) as [T, string][]) if (v === wire) return k;
  throw new WireFormatError(`${field}: '${wire}' is not one of ${Object.values(table).join(', ')}`);
}

export function capabilitiesToWire(c: DeviceCapabilities, description = ''): WireCapabilities {
  return {
    protocol_version: PROTOCOL_VERSION,
    kind: c.kind,
    id: c.id,
    description,
    neuron_model: c.neuronModel,
    max_neurons: c.maxNeurons,
    max_inputs: c.maxInputs,
    max_layers: c.maxLayers,
    ...(c.weightBits === null ? {} : { weight_bits: c.weightBits }),
    observables: c.observables.map((o) => OBSERVABLES[o]),
    ...(c.membraneBits === null ? {} : { membrane_bits: c.membraneBits }),
    time_scale: c.timeScale,
    max_batch_size: c.maxBatchSize,
    integrations: c.integrations.map((i) => INTEGRATIONS[i]),
  };
}

export function capabilitiesFromWire(w: WireCapabilities): DeviceCapabilities {
  const f = 'GetCapabilities';
  if (w.protocol_version !== PROTOCOL_VERSION) throw new WireFormatError(`${f}.protocol_version: the device speaks version ${w.protocol_version}, this client ${PROTOCOL_VERSION}`);
  if (!w.id) throw new WireFormatError(`${f}.id: empty (a device must name its instance)`);
  if (w.neuron_model !== 'cuba-lif') throw new WireFormatError(`${f}.neuron_model: '${w.neuron_model}' is not 'cuba-lif'`);
  for (const k of ['max_neurons', 'max_inputs', 'max_layers', 'max_batch_size'] as const) {
    if (!(w[k] > 0)) throw new WireFormatError(`${f}.${k}: must be > 0, got ${w[k]}`);
  }
  if (!(w.time_scale > 0)) throw new WireFormatError(`${f}.time_scale: must be > 0, got ${w.time_scale}`);
  const observables = w.observables.map((o, i) => fromEnum(OBSERVABLES, o, `${f}.observables[${i}]`));
  if (!observables.includes('spikes')) throw new WireFormatError(`${f}.observables: must include SPIKES`);
  return {
    kind: w.kind,
    id: w.id,
    neuronModel: 'cuba-lif',
    maxNeurons: w.max_neurons,
    maxInputs: w.max_inputs,
    maxLayers: w.max_layers,
    weightBits: w.weight_bits ?? null,
    observables,
    membraneBits: w.membrane_bits ?? null,
    timeScale: w.time_scale,
    maxBatchSize: w.max_batch_size,
    integrations: w.integrations.map((i, k) => fromEnum(INTEGRATIONS, i, `${f}.integrations[${k}]`)),
  };
}

// ------------------------------------------------------------------ network ⇄ NIR graph

/** The engine's network as a NIR graph (weights all zero: `configure` starts there). */
export function networkToWire(network: NetworkSpec, options: unknown = {}): WireConfigureRequest {
  const nodes: WireNode[] = [{ name: INPUT_NODE, input: { size: network.inputs } }];
  const edges: { source: string; target: string }[] = [];
  let previous = INPUT_NODE;
  let previousSize = network.inputs;
  for (const layer of network.layers) {
    const n = layer.neurons;
    const zeros = (k: number) => bytesOf(new Float64Array(k));
    nodes.push({ name: layer.weights, affine: { n_out: layer.size, n_in: previousSize, weight: zeros(layer.size * previousSize) } });
    edges.push({ source: previous, target: layer.weights }, { source: layer.weights, target: layer.name });
    const r = bytesOf(new Float64Array(layer.size).fill(1));
    const spiking = n.vThreshold.some((v) => Number.isFinite(v));
    nodes.push(
      spiking
        ? { name: layer.name, cuba_lif: { size: layer.size, tau_syn_ms: bytesOf(n.tauSynMs), tau_mem_ms: bytesOf(n.tauMemMs), r, v_leak: bytesOf(n.vLeak), v_threshold: bytesOf(n.vThreshold), v_reset: bytesOf(n.vReset) } }
        : { name: layer.name, cuba_li: { size: layer.size, tau_syn_ms: bytesOf(n.tauSynMs), tau_mem_ms: bytesOf(n.tauMemMs), r, v_leak: bytesOf(n.vLeak) } },
    );
    if (layer.biasSpikeTimeMs !== null) {
      const bias = layer.name + BIAS_SUFFIX;
      const affine = layer.weights + BIAS_SUFFIX;
      nodes.push({ name: bias, input: { size: 1, constant_spike_time_ms: layer.biasSpikeTimeMs } });
      nodes.push({ name: affine, affine: { n_out: layer.size, n_in: 1, weight: zeros(layer.size) } });
      edges.push({ source: bias, target: affine }, { source: affine, target: layer.name });
    }
    previous = layer.name;
    previousSize = layer.size;
  }
  nodes.push({ name: OUTPUT_NODE, output: { size: previousSize } });
  edges.push({ source: previous, target: OUTPUT_NODE });
  return {
    graph: { nodes, edges },
    duration_ms: network.durationMs,
    dt_ms: network.dtMs,
    steps: network.steps,
    integration: INTEGRATIONS[network.integration],
    max_spikes_per_neuron: network.maxSpikesPerNeuron,
    time_unit: 'ms',
    voltage_unit: 'model',
    options_json: JSON.stringify(options ?? {}),
  };
}

/**
 * The engine's network from a NIR graph, for a device that hosts feed-forward chains; throws
 * `WireFormatError` naming the node when the graph is not one.
 */
export function networkFromWire(w: WireConfigureRequest): { network: NetworkSpec; options: unknown } {
  const f = 'Configure';
  if (w.time_unit !== 'ms') throw new WireFormatError(`${f}.time_unit: '${w.time_unit}' is not 'ms'`);
  if (w.voltage_unit !== 'model') throw new WireFormatError(`${f}.voltage_unit: '${w.voltage_unit}' is not 'model'`);
  if (!(w.duration_ms > 0)) throw new WireFormatError(`${f}.duration_ms: must be > 0`);
  if (!(w.dt_ms > 0)) throw new WireFormatError(`${f}.dt_ms: must be > 0`);
  if (!(w.max_spikes_per_neuron >= 1)) throw new WireFormatError(`${f}.max_spikes_per_neuron: must be ≥ 1`);
  const integration = fromEnum(INTEGRATIONS, w.integration, `${f}.integration`);
  const graph: WireGraph = need(w.graph, `${f}.graph`);
  const byName = new Map<string, WireNode>();
  graph.nodes.forEach((node, k) => {
    if (!node.name || byName.has(node.name)) throw new WireFormatError(`${f}.graph.nodes[${k}].name: '${node.name}' is empty or not unique`);
    byName.set(node.name, node);
  });
  const into = new Map<string, string[]>();
  const outOf = new Map<string, string[]>();
  graph.edges.forEach((e, k) => {
    for (const end of ['source', 'target'] as const) if (!byName.has(e[end])) throw new WireFormatError(`${f}.graph.edges[${k}].${end}: no node '${e[end]}'`);
    into.set(e.target, [...(into.get(e.target) ?? []), e.source]);
    outOf.set(e.source, [...(outOf.get(e.source) ?? []), e.target]);
  });
  const input = byName.get(INPUT_NODE)?.input;
  if (!input) throw new WireFormatError(`${f}.graph: needs an Input node '${INPUT_NODE}'`);
  const layers: LayerSpec[] = [];
  let previous = INPUT_NODE;
  let previousSize = input.size;
  for (;;) {
    const next = outOf.get(previous) ?? [];
    if (next.length !== 1) throw new WireFormatError(`${f}.graph: node '${previous}' must feed exactly one node (a feed-forward chain), feeds ${next.length}`);
    const affineName = next[0]!;
    if (affineName === OUTPUT_NODE) break;
    const affine = byName.get(affineName)!.affine;
    if (!affine) throw new WireFormatError(`${f}.graph: '${previous}' must feed an Affine node, '${affineName}' is not one`);
    const target = outOf.get(affineName) ?? [];
    if (target.length !== 1) throw new WireFormatError(`${f}.graph: Affine '${affineName}' must feed exactly one layer`);
    const name = target[0]!;
    const node = byName.get(name)!;
    const lif = node.cuba_lif ?? null;
    const li = node.cuba_li ?? null;
    const m = lif ?? li;
    if (!m) throw new WireFormatError(`${f}.graph: Affine '${affineName}' must feed a CubaLIF or CubaLI node, '${name}' is neither`);
    const where = `${f}.graph.nodes['${name}'].${lif ? 'cuba_lif' : 'cuba_li'}`;
    const size = m.size;
    if (affine.n_out !== size || affine.n_in !== previousSize) throw new WireFormatError(`${f}.graph.nodes['${affineName}'].affine: shape ${affine.n_out}×${affine.n_in}, the graph needs ${size}×${previousSize}`);
    const r = finite(readF64(m.r, `${where}.r`, size), `${where}.r`);
    if (r.some((x) => x !== 1)) throw new WireFormatError(`${where}.r: this device has R = 1 (weights in voltage units)`);
    const vLeak = finite(readF64(m.v_leak, `${where}.v_leak`, size), `${where}.v_leak`);
    const neurons: LayerNeurons = {
      vThreshold: lif ? readF64(lif.v_threshold, `${where}.v_threshold`, size) : new Float64Array(size).fill(Infinity),
      vLeak,
      vReset: lif ? finite(readF64(lif.v_reset, `${where}.v_reset`, size), `${where}.v_reset`) : vLeak.slice(),
      tauMemMs: finite(readF64(m.tau_mem_ms, `${where}.tau_mem_ms`, size), `${where}.tau_mem_ms`),
      tauSynMs: finite(readF64(m.tau_syn_ms, `${where}.tau_syn_ms`, size), `${where}.tau_syn_ms`),
    };
    for (const k of ['tauMemMs', 'tauSynMs'] as const) if (neurons[k].some((x) => !(x > 0))) throw new WireFormatError(`${where}.${k === 'tauMemMs' ? 'tau_mem_ms' : 'tau_syn_ms'}: every time constant must be > 0`);
    const sources = into.get(name) ?? [];
    let biasSpikeTimeMs: number | null = null;
    if (sources.length === 2) {
      const biasAffine = sources.find((s) => s !== affineName)!;
      const biasInput = (into.get(biasAffine) ?? [])[0];
      const constant = biasInput === undefined ? undefined : byName.get(biasInput)?.input;
      const ba = byName.get(biasAffine)?.affine;
      if (!ba || !constant || constant.size !== 1 || constant.constant_spike_time_ms === undefined || ba.n_out !== size || ba.n_in !== 1) {
        throw new WireFormatError(`${f}.graph: the second input of '${name}' must be a size-1 constant Input through a [${size} × 1] Affine`);
      }
      biasSpikeTimeMs = constant.constant_spike_time_ms;
    } else if (sources.length !== 1) throw new WireFormatError(`${f}.graph: layer '${name}' has ${sources.length} inputs (1, or 2 with a bias)`);
    layers.push({ name, weights: affineName, size, inputs: previousSize + (biasSpikeTimeMs === null ? 0 : 1), biasSpikeTimeMs, neurons });
    previous = name;
    previousSize = size;
  }
  if (layers.length === 0) throw new WireFormatError(`${f}.graph: no layer between '${INPUT_NODE}' and '${OUTPUT_NODE}'`);
  let options: unknown = {};
  if (w.options_json) {
    try {
      options = JSON.parse(w.options_json);
    } catch {
      throw new WireFormatError(`${f}.options_json: not JSON`);
    }
  }
  return {
    network: { inputs: input.size, layers, durationMs: w.duration_ms, dtMs: w.dt_ms, steps: w.steps, integration, maxSpikesPerNeuron: w.max_spikes_per_neuron },
    options,
  };
}

export function configureResultFromWire(w: { ok: boolean; reason: string }): ConfigureResult {
  if (!w.ok && !w.reason) throw new WireFormatError('Configure.reason: a refusal must say why');
  return { ok: w.ok, reason: w.ok ? '' : w.reason };
}

// ------------------------------------------------------------------ weights

/** The engine's weight set as Affine updates (bias columns split off into `<weights>.bias`). */
export function weightsToWire(network: NetworkSpec, weights: WeightSet): WireWeightMatrix[] {
  const out: WireWeightMatrix[] = [];
  for (const [name, values] of Object.entries(weights)) {
    const layer = network.layers.find((l) => l.weights === name);
    if (!layer) throw new WireFormatError(`UpdateWeights: no weight matrix '${name}' in the network`);
    if (values.length !== layer.size * layer.inputs) throw new WireFormatError(`UpdateWeights['${name}']: ${values.length} values, the layer needs ${layer.size}×${layer.inputs}`);
    if (layer.biasSpikeTimeMs === null) {
      out.push({ name, values: bytesOf(values) });
      continue;
    }
    const nIn = layer.inputs - 1;
    const main = new Float64Array(layer.size * nIn);
    const bias = new Float64Array(layer.size);
    for (let j = 0; j < layer.size; j++) {
      main.set(values.subarray(j * layer.inputs, j * layer.inputs + nIn), j * nIn);
      bias[j] = values[j * layer.inputs + nIn]!;
    }
    out.push({ name, values: bytesOf(main) }, { name: name + BIAS_SUFFIX, values: bytesOf(bias) });
  }
  return out;
}

/** Affine updates back into the engine's weight set; a bias Affine updates its layer's last column. */
export function weightsFromWire(network: NetworkSpec, current: WeightSet, wire: WireWeightMatrix[]): WeightSet {
  const out: Record<string, Float64Array> = {};
  wire.forEach((m, k) => {
    const isBias = m.name.endsWith(BIAS_SUFFIX);
    const base = isBias ? m.name.slice(0, -BIAS_SUFFIX.length) : m.name;
    const layer = network.layers.find((l) => l.weights === base && (!isBias || l.biasSpikeTimeMs !== null));
    if (!layer) throw new WireFormatError(`UpdateWeights.weights[${k}].name: no Affine node '${m.name}'`);
    const nIn = layer.inputs - (layer.biasSpikeTimeMs === null ? 0 : 1);
    const values = finite(readF64(m.values, `UpdateWeights.weights[${k}].values`, layer.size * (isBias ? 1 : nIn)), `UpdateWeights.weights[${k}].values`);
    const full = (out[base] ??= (current[base] ?? new Float64Array(layer.size * layer.inputs)).slice());
    for (let j = 0; j < layer.size; j++) {
      if (isBias) full[j * layer.inputs + nIn] = values[j]!;
      else full.set(values.subarray(j * nIn, (j + 1) * nIn), j * layer.inputs);
    }
  });
  return out;
}

// ------------------------------------------------------------------ spikes

function spikeTrainsToWire(samples: number, offsets: Int32Array, index: Int32Array, timesMs: Float64Array): WireSpikeTrains {
  return { samples, offsets: bytesOf(offsets), index: bytesOf(index), times_ms: bytesOf(timesMs) };
}

/** Reads packed spike trains; `limit` bounds the index (channels or slots). */
function spikeTrainsFromWire(w: WireSpikeTrains | null | undefined, field: string, samples: number, limit: number, finiteTimes: boolean): { offsets: Int32Array; index: Int32Array; timesMs: Float64Array } {
  const s = need(w, field);
  if (s.samples !== samples) throw new WireFormatError(`${field}.samples: ${s.samples}, expected ${samples}`);
  const offsets = readI32(s.offsets, `${field}.offsets`, samples + 1);
  const index = readI32(s.index, `${field}.index`);
  const timesMs = readF64(s.times_ms, `${field}.times_ms`, index.length);
  if (offsets[0] !== 0 || offsets[samples] !== index.length) throw new WireFormatError(`${field}.offsets: must start at 0 and end at the number of events (${index.length})`);
  for (let n = 0; n < samples; n++) if (offsets[n + 1]! < offsets[n]!) throw new WireFormatError(`${field}.offsets[${n + 1}]: decreases`);
  for (let e = 0; e < index.length; e++) {
    if (index[e]! < 0 || index[e]! >= limit) throw new WireFormatError(`${field}.index[${e}]: ${index[e]} is out of range 0…${limit - 1}`);
    const t = timesMs[e]!;
    if (finiteTimes ? !Number.isFinite(t) : Number.isNaN(t)) throw new WireFormatError(`${field}.times_ms[${e}]: ${t} is not a spike time`);
  }
  return { offsets, index, timesMs };
}

export function batchToWire(batch: SpikeTrainBatch): WireSpikeTrains {
  return spikeTrainsToWire(batch.samples, batch.offsets, batch.channels, batch.timesMs);
}

export function batchFromWire(w: WireSpikeTrains | null | undefined, channels: number): SpikeTrainBatch {
  const samples = need(w, 'Run.input').samples;
  const s = spikeTrainsFromWire(w, 'Run.input', samples, channels, true);
  return { samples, offsets: s.offsets, channels: s.index, timesMs: s.timesMs };
}

// ------------------------------------------------------------------ run

export function runRequestToWire(batch: SpikeTrainBatch, request: RunRequest): WireRunRequest {
  return { input: batchToWire(batch), membrane: [...request.membrane], peak: [...request.peak], internals: request.internals };
}

export function runRequestFromWire(w: WireRunRequest, network: NetworkSpec): { batch: SpikeTrainBatch; request: RunRequest } {
  const names = new Set(network.layers.map((l) => l.name));
  for (const [k, list] of [['membrane', w.membrane], ['peak', w.peak]] as const) {
    list.forEach((name, i) => {
      if (!names.has(name)) throw new WireFormatError(`Run.${k}[${i}]: no layer '${name}'`);
    });
  }
  return { batch: batchFromWire(w.input, network.inputs), request: { membrane: w.membrane, peak: w.peak, internals: w.internals } };
}

function neuronsToWire(layer: string, n: LayerNeurons): WireLayerNeurons {
  return { layer, v_threshold: bytesOf(n.vThreshold), v_leak: bytesOf(n.vLeak), v_reset: bytesOf(n.vReset), tau_mem_ms: bytesOf(n.tauMemMs), tau_syn_ms: bytesOf(n.tauSynMs) };
}

export function runResultToWire(r: RunResult): WireRunReply {
  const internals = r.internals;
  return {
    samples: r.samples,
    spikes: Object.entries(r.spikes).map(([layer, s]) => ({ layer, spikes: spikeTrainsToWire(r.samples, s.offsets, s.slots, s.timesMs) })),
    membrane: Object.entries(r.membrane).map(([layer, m]) => ({ layer, values: bytesOf(m.values) })),
    peak: Object.entries(r.peak).map(([layer, p]) => ({ layer, values: bytesOf(p.values), steps: bytesOf(p.steps) })),
    ...(internals
      ? {
          internals: {
            neurons: Object.entries(internals.neurons).map(([layer, n]) => neuronsToWire(layer, n)),
            thresholds: Object.entries(internals.thresholds).map(([layer, v]) => ({ layer, values: bytesOf(v) })),
            weights: Object.entries(internals.weights).map(([name, v]) => ({ name, values: bytesOf(v) })),
          },
        }
      : {}),
    ...(r.activity ? { activity: { spikes: r.activity.spikes, synaptic_events: r.activity.synapticEvents } } : {}),
    ...(r.deviceTimeMs === null ? {} : { device_time_ms: r.deviceTimeMs }),
    ...(r.energyJ === null ? {} : { energy_j: r.energyJ }),
  };
}

/** Unique names of a repeated keyed field, or a clear error. */
function keyed<T extends { layer: string }>(list: T[], field: string, known: Map<string, LayerSpec>): Map<string, T> {
  const out = new Map<string, T>();
  list.forEach((item, k) => {
    if (!known.has(item.layer)) throw new WireFormatError(`${field}[${k}].layer: no layer '${item.layer}' in the network`);
    if (out.has(item.layer)) throw new WireFormatError(`${field}[${k}].layer: '${item.layer}' appears twice`);
    out.set(item.layer, item);
  });
  return out;
}

/**
 * A Run reply checked against the network and the request: every layer's spikes (slots within
 * size · maxSpikesPerNeuron, times not NaN), exactly the membranes and peaks asked for with
 * [samples × (steps + 1) × size] and [samples × size] values, internals (if sent) shaped like
 * the network, counts finite and ≥ 0.
 */
export function runResultFromWire(w: WireRunReply, network: NetworkSpec, samples: number, request: RunRequest): RunResult {
  const f = 'Run';
  if (w.samples !== samples) throw new WireFormatError(`${f}.samples: ${w.samples}, the batch had ${samples}`);
  const layers = new Map(network.layers.map((l) => [l.name, l]));
  const spikeMap = keyed(w.spikes, `${f}.spikes`, layers);
  const spikes: Record<string, { offsets: Int32Array; slots: Int32Array; timesMs: Float64Array }> = {};
  for (const layer of network.layers) {
    const item = spikeMap.get(layer.name);
    if (!item) throw new WireFormatError(`${f}.spikes: layer '${layer.name}' missing`);
    const s = spikeTrainsFromWire(item.spikes, `${f}.spikes['${layer.name}']`, samples, layer.size * network.maxSpikesPerNeuron, false);
    spikes[layer.name] = { offsets: s.offsets, slots: s.index, timesMs: s.timesMs };
  }
  const membraneMap = keyed(w.membrane, `${f}.membrane`, layers);
  const membrane: Record<string, { values: Float64Array }> = {};
  for (const name of request.membrane) {
    const item = membraneMap.get(name);
    if (!item) throw new WireFormatError(`${f}.membrane: layer '${name}' was asked for and is missing`);
    const field = `${f}.membrane['${name}'].values`;
    membrane[name] = { values: finite(readF64(item.values, field, samples * (network.steps + 1) * layers.get(name)!.size), field) };
  }
  for (const name of membraneMap.keys()) if (!request.membrane.includes(name)) throw new WireFormatError(`${f}.membrane: layer '${name}' was not asked for`);
  const peakMap = keyed(w.peak, `${f}.peak`, layers);
  const peak: Record<string, { values: Float64Array; steps: Int32Array }> = {};
  for (const name of request.peak) {
    const item = peakMap.get(name);
    if (!item) throw new WireFormatError(`${f}.peak: layer '${name}' was asked for and is missing`);
    const n = samples * layers.get(name)!.size;
    const values = finite(readF64(item.values, `${f}.peak['${name}'].values`, n), `${f}.peak['${name}'].values`);
    const steps = readI32(item.steps, `${f}.peak['${name}'].steps`, n);
    for (let i = 0; i < n; i++) if (steps[i]! < 0 || steps[i]! > network.steps) throw new WireFormatError(`${f}.peak['${name}'].steps[${i}]: ${steps[i]} is off the grid 0…${network.steps}`);
    peak[name] = { values, steps };
  }
  for (const name of peakMap.keys()) if (!request.peak.includes(name)) throw new WireFormatError(`${f}.peak: layer '${name}' was not asked for`);
  let internals: DeviceInternals | null = null;
  if (w.internals) {
    const i = w.internals;
    const neurons: Record<string, LayerNeurons> = {};
    const thresholds: Record<string, Float64Array> = {};
    const weights: Record<string, Float64Array> = {};
    const nMap = keyed(i.neurons, `${f}.internals.neurons`, layers);
    const tMap = keyed(i.thresholds, `${f}.internals.thresholds`, layers);
    for (const layer of network.layers) {
      const n = nMap.get(layer.name);
      if (!n) throw new WireFormatError(`${f}.internals.neurons: layer '${layer.name}' missing`);
      const g = `${f}.internals.neurons['${layer.name}']`;
      neurons[layer.name] = {
        vThreshold: readF64(n.v_threshold, `${g}.v_threshold`, layer.size),
        vLeak: finite(readF64(n.v_leak, `${g}.v_leak`, layer.size), `${g}.v_leak`),
        vReset: finite(readF64(n.v_reset, `${g}.v_reset`, layer.size), `${g}.v_reset`),
        tauMemMs: finite(readF64(n.tau_mem_ms, `${g}.tau_mem_ms`, layer.size), `${g}.tau_mem_ms`),
        tauSynMs: finite(readF64(n.tau_syn_ms, `${g}.tau_syn_ms`, layer.size), `${g}.tau_syn_ms`),
      };
      const t = tMap.get(layer.name);
      if (t) thresholds[layer.name] = readF64(t.values, `${f}.internals.thresholds['${layer.name}'].values`, samples * layer.size);
    }
    i.weights.forEach((m, k) => {
      const layer = network.layers.find((l) => l.weights === m.name);
      if (!layer) throw new WireFormatError(`${f}.internals.weights[${k}].name: no weight matrix '${m.name}'`);
      weights[m.name] = finite(readF64(m.values, `${f}.internals.weights['${m.name}'].values`, layer.size * layer.inputs), `${f}.internals.weights['${m.name}'].values`);
    });
    internals = { neurons, thresholds, weights };
  }
  const count = (v: number | undefined, field: string): number => {
    if (v === undefined) return 0;
    if (!(Number.isFinite(v) && v >= 0)) throw new WireFormatError(`${f}.${field}: ${v} is not a count ≥ 0`);
    return v;
  };
  const activity = w.activity ? { spikes: count(w.activity.spikes, 'activity.spikes'), synapticEvents: count(w.activity.synaptic_events, 'activity.synaptic_events') } : null;
  return {
    samples,
    spikes,
    membrane,
    peak,
    internals,
    activity,
    deviceTimeMs: w.device_time_ms === undefined ? null : count(w.device_time_ms, 'device_time_ms'),
    energyJ: w.energy_j === undefined ? null : count(w.energy_j, 'energy_j'),
  };
}

// ------------------------------------------------------------------ probe

const PROBE_KINDS = { rest: 'REST', psp: 'PSP', drive: 'DRIVE' } as const;

export function probeRequestToWire(p: ProbeRequest): WireProbeRequest {
  return { kind: PROBE_KINDS[p.kind], layer: p.layer, weight: p.weight, input_times_ms: bytesOf(p.inputTimesMs), duration_ms: p.durationMs, repetitions: p.repetitions };
}

export function probeRequestFromWire(w: WireProbeRequest, network: NetworkSpec): ProbeRequest {
  const f = 'Probe';
  const kind = fromEnum(PROBE_KINDS, w.kind, `${f}.kind`);
  if (!network.layers.some((l) => l.name === w.layer)) throw new WireFormatError(`${f}.layer: no layer '${w.layer}'`);
  if (!(w.repetitions >= 1)) throw new WireFormatError(`${f}.repetitions: must be ≥ 1`);
  if (!(w.duration_ms > 0)) throw new WireFormatError(`${f}.duration_ms: must be > 0`);
  if (!Number.isFinite(w.weight)) throw new WireFormatError(`${f}.weight: not finite`);
  return { kind, layer: w.layer, weight: w.weight, inputTimesMs: finite(readF64(w.input_times_ms, `${f}.input_times_ms`), `${f}.input_times_ms`), durationMs: w.duration_ms, repetitions: w.repetitions };
}

export function probeResultToWire(r: ProbeResult, repetitions: number): WireProbeReply {
  return { size: r.size, steps: r.steps, dt_ms: r.dtMs, membrane: bytesOf(r.membrane), spikes: spikeTrainsToWire(repetitions, r.spikes.offsets, r.spikes.slots, r.spikes.timesMs) };
}

export function probeResultFromWire(w: WireProbeReply, network: NetworkSpec, request: ProbeRequest): ProbeResult {
  const f = 'Probe';
  const layer = network.layers.find((l) => l.name === request.layer)!;
  if (w.size !== layer.size) throw new WireFormatError(`${f}.size: ${w.size}, layer '${layer.name}' has ${layer.size}`);
  if (!(w.dt_ms > 0)) throw new WireFormatError(`${f}.dt_ms: must be > 0`);
  if (!(w.steps >= 1)) throw new WireFormatError(`${f}.steps: must be ≥ 1`);
  const membrane = finite(readF64(w.membrane, `${f}.membrane`, request.repetitions * (w.steps + 1) * w.size), `${f}.membrane`);
  const s = spikeTrainsFromWire(w.spikes, `${f}.spikes`, request.repetitions, layer.size * network.maxSpikesPerNeuron, false);
  return { size: w.size, steps: w.steps, dtMs: w.dt_ms, membrane, spikes: { offsets: s.offsets, slots: s.index, timesMs: s.timesMs } };
}

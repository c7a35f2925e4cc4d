/**
 * The device protocol's messages as @grpc/proto-loader hands them over (field names as in
 * device.proto, `bytes` as Buffer, enums as their names, absent `optional` fields undefined),
 * and the loaded service definition.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const PROTO_PATH = fileURLToPath(new URL('./device.proto', import.meta.url));
export const PROTOCOL_VERSION = 1;
/** Largest message either side accepts (a batch of dense membrane traces is tens of MB). */
export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

export type WireObservable = 'SPIKES' | 'MEMBRANE' | 'PEAK' | 'INTERNALS';
export type WireIntegration = 'EXACT' | 'GRID';
export type WireProbeKind = 'REST' | 'PSP' | 'DRIVE';

export interface WireCapabilities {
  protocol_version: number;
  kind: string;
  id: string;
  description: string;
  neuron_model: string;
  max_neurons: number;
  max_inputs: number;
  max_layers: number;
  weight_bits?: number;
  observables: string[];
  membrane_bits?: number;
  time_scale: number;
  max_batch_size: number;
  integrations: string[];
}

export interface WireNode {
  name: string;
  kind?: 'input' | 'affine' | 'cuba_lif' | 'cuba_li' | 'output';
  input?: { size: number; constant_spike_time_ms?: number };
  affine?: { n_out: number; n_in: number; weight: Buffer };
  cuba_lif?: { size: number; tau_syn_ms: Buffer; tau_mem_ms: Buffer; r: Buffer; v_leak: Buffer; v_threshold: Buffer; v_reset: Buffer };
  cuba_li?: { size: number; tau_syn_ms: Buffer; tau_mem_ms: Buffer; r: Buffer; v_leak: Buffer };
  output?: { size: number };
}

export interface WireGraph {
  nodes: WireNode[];
  edges: { source: string; target: string }[];
}

export interface WireConfigureRequest {
  graph: WireGraph;
  duration_ms: number;
  dt_ms: number;
  steps: number;
  integration: string;
  max_spikes_per_neuron: number;
  time_unit: string;
  voltage_unit: string;
  options_json: string;
}

export interface WireSpikeTrains {
  samples: number;
  offsets: Buffer;
  index: Buffer;
  times_ms: Buffer;
}

export interface WireWeightMatrix {
  name: string;
  values: Buffer;
}

export interface WireRunRequest {
  input: WireSpikeTrains;
  membrane: string[];
  peak: string[];
  internals: boolean;
}

export interface WireLayerNeurons {
  layer: string;
  v_threshold: Buffer;
  v_leak: Buffer;
  v_reset: Buffer;
  tau_mem_ms: Buffer;
  tau_syn_ms: Buffer;
}

export interface WireRunReply {
  samples: number;
  spikes: { layer: string; spikes: WireSpikeTrains }[];
  membrane: { layer: string; values: Buffer }[];
  peak: { layer: string; values: Buffer; steps: Buffer }[];
  internals?: { neurons: WireLayerNeurons[]; thresholds: { layer: string; values: Buffer }[]; weights: WireWeightMatrix[] };
  activity?: { spikes: number; synaptic_events: number };
  device_time_ms?: number;
  energy_j?: number;
  timings?: { build_ms: number; run_ms: number; read_ms: number };
}

export interface WireProbeRequest {
  kind: string;
  layer: string;
  weight: number;
  input_times_ms: Buffer;
  duration_ms: number;
  repetitions: number;
}

export interface WireProbeReply {
  size: number;
  steps: number;
  dt_ms: number;
  membrane: Buffer;
  spikes: WireSpikeTrains;
}

const packageDefinition = protoLoader.loadSync(PROTO_PATH, {
  keepCase: true,
  longs: Number,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
});

interface DeviceProtoPackage {
  spikesweep: { device: { v1: { Device: grpc.ServiceClientConstructor } } };
}

const loaded = grpc.loadPackageDefinition(packageDefinition) as unknown as DeviceProtoPackage;

/** The generated client constructor of `spikesweep.device.v1.Device`. */
export const DeviceClient = loaded.spikesweep.device.v1.Device;
/** The service definition a server registers handlers for. */
export const deviceService = DeviceClient.service;

/**
 * `RemoteDevice`: a `Device` (shared/engine/device/types.ts) served over the device protocol,
 * a drop-in for an in-process one.
 *
 * Every call has its own deadline (`DeviceTimeouts`; `configureMs` is separate because placing
 * and calibrating a network takes far longer than a run), and every reply is checked field by
 * field before the engine sees it (codec.ts). Failures surface as `DeviceError` with a stable
 * code: `spikesweep:device-unavailable` (unreachable, deadline exceeded: retryable),
 * `spikesweep:device-rejected` (the device refused: INVALID_ARGUMENT, FAILED_PRECONDITION,
 * UNIMPLEMENTED, a refused configure is a reply, not an error), `spikesweep:device-malformed`
 * (a reply that does not fit what was asked; the message names the field).
 */
import * as grpc from '@grpc/grpc-js';
import { DeviceError } from '../contracts/errors.ts';
import type {
  ConfigureResult,
  Device,
  DeviceCapabilities,
  NetworkSpec,
  ProbeRequest,
  ProbeResult,
  RunRequest,
  RunResult,
  SpikeTrainBatch,
  WeightSet,
} from '../engine/device/types.ts';
import {
  capabilitiesFromWire,
  configureResultFromWire,
  networkToWire,
  probeRequestToWire,
  probeResultFromWire,
  runRequestToWire,
  runResultFromWire,
  weightsToWire,
  WireFormatError,
} from './codec.ts';
import { DeviceClient, MAX_MESSAGE_BYTES, type WireCapabilities, type WireProbeReply, type WireRunReply } from './wire.ts';

export interface DeviceTimeouts {
  /** Deadline of `configure` (placement, calibration). */
  readonly configureMs: number;
  /** Deadline of every other call (`run`, `probe`, `updateWeights`…). */
  readonly callMs: number;
}

export const DEFAULT_DEVICE_TIMEOUTS: DeviceTimeouts = { configureMs: 120_000, callMs: 30_000 };

export interface RemoteDeviceOptions {
  readonly timeouts?: Partial<DeviceTimeouts>;
  /** Device-specific settings sent with `configure` (e.g. the emulated chip's trial config). */
  readonly configureOptions?: unknown;
}

type Unary = (request: unknown, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, reply: unknown) => void) => void;

const UNAVAILABLE = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.CANCELLED, grpc.status.RESOURCE_EXHAUSTED, grpc.status.ABORTED]);

export class RemoteDevice implements Device {
  readonly address: string;
  private readonly client: grpc.Client;
  private readonly timeouts: DeviceTimeouts;
  private readonly configureOptions: unknown;
  private network: NetworkSpec | null = null;
  private caps: DeviceCapabilities | null = null;
  private closed = false;

  constructor(address: string, options: RemoteDeviceOptions = {}) {
    this.address = address;
    this.timeouts = { ...DEFAULT_DEVICE_TIMEOUTS, ...options.timeouts };
    this.configureOptions = options.configureOptions ?? {};
    this.client = new DeviceClient(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    });
  }

  private call<T>(method: string, request: unknown, timeoutMs = this.timeouts.callMs): Promise<T> {
    if (this.closed) return Promise.reject(new DeviceError('spikesweep:device-unavailable', `device ${this.address}: closed`));
    const fn = (this.client as unknown as Record<string, Unary>)[method]!.bind(this.client);
    return new Promise<T>((resolve, reject) => {
      fn(request, { deadline: Date.now() + timeoutMs }, (error, reply) => {
        if (!error) return resolve(reply as T);
        const what = `device ${this.address}: ${method}`;
        if (error.code === grpc.status.DEADLINE_EXCEEDED) reject(new DeviceError('spikesweep:device-unavailable', `${what}: no answer within ${timeoutMs} ms`, { cause: error }));
        else if (UNAVAILABLE.has(error.code)) reject(new DeviceError('spikesweep:device-unavailable', `${what}: ${error.details || grpc.status[error.code]}`, { cause: error }));
        else reject(new DeviceError('spikesweep:device-rejected', `${what}: ${grpc.status[error.code]}: ${error.details}`, { cause: error }));
      });
    });
  }

  /** Decodes a reply; a reply that does not fit becomes `device-malformed` naming the field. */
  private decode<T>(decode: () => T): T {
    try {
      return decode();
    } catch (err) {
      if (err instanceof WireFormatError) throw new DeviceError('spikesweep:device-malformed', `device ${this.address}: ${err.message}`, { cause: err });
      throw err;
    }
  }

  private configured(method: string): NetworkSpec {
    if (!this.network) throw new DeviceError('spikesweep:device-rejected', `device ${this.address}: ${method} before configure`);
    return this.network;
  }

  async capabilities(): Promise<DeviceCapabilities> {
    const wire = await this.call<WireCapabilities>('GetCapabilities', {});
    this.caps = this.decode(() => capabilitiesFromWire(wire));
    return this.caps;
  }

  async configure(network: NetworkSpec): Promise<ConfigureResult> {
    const request = this.decode(() => networkToWire(network, this.configureOptions));
    const reply = await this.call<{ ok: boolean; reason: string }>('Configure', request, this.timeouts.configureMs);
    const result = this.decode(() => configureResultFromWire(reply));
    this.network = result.ok ? network : null;
    return result;
  }

  async updateWeights(weights: WeightSet): Promise<void> {
    const network = this.configured('updateWeights');
    const wire = this.decode(() => weightsToWire(network, weights));
    await this.call('UpdateWeights', { weights: wire });
  }

  async run(batch: SpikeTrainBatch, request: RunRequest): Promise<RunResult> {
    const network = this.configured('run');
    const reply = await this.call<WireRunReply>('Run', runRequestToWire(batch, request));
    return this.decode(() => runResultFromWire(reply, network, batch.samples, request));
  }

  async probe(request: ProbeRequest): Promise<ProbeResult> {
    const network = this.configured('probe');
    const reply = await this.call<WireProbeReply>('Probe', probeRequestToWire(request));
    return this.decode(() => probeResultFromWire(reply, network, request));
  }

  async reset(): Promise<void> {
    await this.call('Reset', {});
  }

  async getState(): Promise<unknown> {
    const reply = await this.call<{ json: string }>('GetState', {});
    return this.decode(() => {
      try {
        return JSON.parse(reply.json || 'null') as unknown;
      } catch {
        throw new WireFormatError('GetState.json: not JSON');
      }
    });
  }

  async setState(state: unknown): Promise<void> {
    await this.call('SetState', { json: JSON.stringify(state ?? null) });
  }

  /** Ends the session on the device and closes the channel; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.call('Close', {});
    } finally {
      this.closed = true;
      // the generated stub's `close` is the Close RPC (it shadows grpc.Client#close)
      grpc.Client.prototype.close.call(this.client);
    }
  }
}

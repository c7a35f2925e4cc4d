/**
 * Serves a `Device` over the device protocol (gRPC): `spikesweep device serve` uses it for the
 * emulated chip; any TypeScript device can be served the same way.
 *
 * Each Configure creates the device afresh from the factory with the request's
 * `options_json` (the emulated chip takes its trial config and noise seed from there), so a
 * new session starts from a clean device. Calls are served one at a time (a device is one
 * piece of hardware). Errors go back as gRPC status codes with a message naming the field:
 * INVALID_ARGUMENT for a malformed request, FAILED_PRECONDITION for a call before Configure or
 * a refusal by the device (`DeviceError` / `SpikeSweepError` message), INTERNAL otherwise.
 */
import * as grpc from '@grpc/grpc-js';
import { SpikeSweepError } from '../contracts/errors.ts';
import type { Device, DeviceCapabilities, NetworkSpec, WeightSet } from '../engine/device/types.ts';
import {
  capabilitiesToWire,
  networkFromWire,
  probeRequestFromWire,
  probeResultToWire,
  runRequestFromWire,
  runResultToWire,
  weightsFromWire,
  WireFormatError,
} from './codec.ts';
import { deviceService, MAX_MESSAGE_BYTES, type WireConfigureRequest, type WireProbeRequest, type WireRunRequest, type WireWeightMatrix } from './wire.ts';

/** Makes the device for a session from Configure's options (throw to refuse them). */
export interface DeviceFactory {
  /** Capabilities without a session (the device as it would be created). */
  capabilities(): Promise<DeviceCapabilities>;
  create(options: unknown): Device;
  readonly description?: string;
}

export interface DeviceServer {
  readonly port: number;
  readonly address: string;
  close(): Promise<void>;
}

class StatusError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

export async function serveDevice(factory: DeviceFactory, options: { host?: string; port?: number } = {}): Promise<DeviceServer> {
  const host = options.host ?? '127.0.0.1';
  let session: { device: Device; network: NetworkSpec; weights: WeightSet } | null = null;
  let queue: Promise<unknown> = Promise.resolve();

  const need = () => {
    if (!session) throw new StatusError(grpc.status.FAILED_PRECONDITION, 'no network configured (call Configure first)');
    return session;
  };

  /** Runs handlers one at a time and maps their errors onto status codes. */
  function unary<Req, Res>(handler: (request: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      const next = queue.then(() => handler(call.request));
      queue = next.catch(() => undefined);
      next.then(
        (reply) => callback(null, reply),
        (err: unknown) => {
          const e = err as Error;
          const code =
            err instanceof StatusError ? err.code
            : err instanceof WireFormatError ? grpc.status.INVALID_ARGUMENT
            : err instanceof SpikeSweepError && err.code === 'spikesweep:device-unavailable' ? grpc.status.UNAVAILABLE
            : err instanceof SpikeSweepError ? grpc.status.FAILED_PRECONDITION
            : grpc.status.INTERNAL;
          callback({ code, details: e?.message ?? String(err) });
        },
      );
    };
  }

  const server = new grpc.Server({ 'grpc.max_receive_message_length': MAX_MESSAGE_BYTES, 'grpc.max_send_message_length': MAX_MESSAGE_BYTES });
  server.addService(deviceService, {
    GetCapabilities: unary(async () => capabilitiesToWire(session ? await session.device.capabilities() : await factory.capabilities(), factory.description)),
    Configure: unary(async (request: WireConfigureRequest) => {
      let decoded: ReturnType<typeof networkFromWire>;
      try {
        decoded = networkFromWire(request);
      } catch (err) {
        if (err instanceof WireFormatError) return { ok: false, reason: err.message };
        throw err;
      }
      if (session) await session.device.close();
      session = null;
      let device: Device;
      try {
        device = factory.create(decoded.options);
      } catch (err) {
        if (err instanceof SpikeSweepError) return { ok: false, reason: err.message };
        throw err;
      }
      const result = await device.configure(decoded.network);
      if (result.ok) session = { device, network: decoded.network, weights: {} };
      return result;
    }),
    UpdateWeights: unary(async (request: { weights: WireWeightMatrix[] }) => {
      const s = need();
      const weights = weightsFromWire(s.network, s.weights, request.weights);
      await s.device.updateWeights(weights);
      s.weights = { ...s.weights, ...weights };
      return {};
    }),
    Run: unary(async (request: WireRunRequest) => {
      const s = need();
      const { batch, request: run } = runRequestFromWire(request, s.network);
      const t0 = performance.now();
      const result = await s.device.run(batch, run);
      const runMs = performance.now() - t0;
      return { ...runResultToWire(result), timings: { build_ms: 0, run_ms: runMs, read_ms: 0 } };
    }),
    Probe: unary(async (request: WireProbeRequest) => {
      const s = need();
      const probe = probeRequestFromWire(request, s.network);
      return probeResultToWire(await s.device.probe(probe), probe.repetitions);
    }),
    Reset: unary(async () => {
      await need().device.reset();
      return {};
    }),
    GetState: unary(async () => {
      const s = need();
      return { json: JSON.stringify((await s.device.getState?.()) ?? null) };
    }),
    SetState: unary(async (request: { json: string }) => {
      const s = need();
      let state: unknown;
      try {
        state = JSON.parse(request.json);
      } catch {
        throw new WireFormatError('SetState.json: not JSON');
      }
      await s.device.setState?.(state);
      return {};
    }),
    Close: unary(async () => {
      if (session) await session.device.close();
      session = null;
      return {};
    }),
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  let closed = false;
  return {
    port,
    address: `${host}:${port}`,
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      if (session) await session.device.close();
      session = null;
    },
  };
}

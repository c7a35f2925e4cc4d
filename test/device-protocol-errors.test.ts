/**
 * RemoteDevice against misbehaving devices: a real gRPC server (the protocol's own service
 * definition) whose replies are wrong in one field each, one that never answers, and an address
 * nobody listens on. Each gives a DeviceError with a stable code and a message naming the field.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceError } from '../shared/contracts/errors.ts';
import type { LayerNeurons, NetworkSpec, RunRequest } from '../shared/engine/device/types.ts';
import { RemoteDevice } from '../shared/device-protocol/client.ts';
import { bytesOf } from '../shared/device-protocol/codec.ts';
import { deviceService, PROTOCOL_VERSION, type WireRunReply } from '../shared/device-protocol/wire.ts';

function neurons(n: number, vThreshold: number): LayerNeurons {
  const fill = (v: number) => new Float64Array(n).fill(v);
  return { vThreshold: fill(vThreshold), vLeak: fill(0), vReset: fill(0), tauMemMs: fill(10), tauSynMs: fill(10) };
}

const network: NetworkSpec = {
  inputs: 2,
  layers: [
    { name: 'hidden', weights: 'inputWeights', size: 3, inputs: 2, biasSpikeTimeMs: null, neurons: neurons(3, 1) },
    { name: 'output', weights: 'outputWeights', size: 2, inputs: 4, biasSpikeTimeMs: 1, neurons: neurons(2, 1) },
  ],
  durationMs: 20,
  dtMs: 1,
  steps: 20,
  integration: 'exact',
  maxSpikesPerNeuron: 1,
};

const capabilities = {
  protocol_version: PROTOCOL_VERSION,
  kind: 'scripted',
  id: 'scripted:0',
  neuron_model: 'cuba-lif',
  max_neurons: 10,
  max_inputs: 10,
  max_layers: 2,
  observables: ['SPIKES', 'MEMBRANE'],
  time_scale: 1,
  max_batch_size: 10,
  integrations: [],
};

const spikes = (samples: number, slots: number[], times: number[]) => ({
  samples,
  offsets: bytesOf(Int32Array.from([0, slots.length])),
  index: bytesOf(Int32Array.from(slots)),
  times_ms: bytesOf(Float64Array.from(times)),
});

/** A correct reply to a 1-sample run asking for no membrane. */
function goodReply(): WireRunReply {
  return { samples: 1, spikes: [{ layer: 'hidden', spikes: spikes(1, [0], [3]) }, { layer: 'output', spikes: spikes(1, [1], [5]) }], membrane: [], peak: [] };
}

const batch = { samples: 1, offsets: Int32Array.from([0, 1]), channels: Int32Array.from([0]), timesMs: Float64Array.from([1]) };
const plain: RunRequest = { membrane: [], peak: [], internals: false };

describe('RemoteDevice against a device that misbehaves', () => {
  let server: grpc.Server;
  let address: string;
  /** What the scripted device answers to the next Run (a reply, or 'hang'). */
  let nextRun: WireRunReply | 'hang' = goodReply();
  let caps: Record<string, unknown> = capabilities;

  beforeAll(async () => {
    server = new grpc.Server();
    const ok = (reply: unknown) => (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, reply);
    server.addService(deviceService, {
      GetCapabilities: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, caps),
      Configure: ok({ ok: true, reason: '' }),
      UpdateWeights: ok({}),
      Run: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
        if (nextRun !== 'hang') callback(null, nextRun);
      },
      Probe: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback({ code: grpc.status.UNIMPLEMENTED, details: 'Probe: not offered' }),
      Reset: ok({}),
      GetState: ok({ json: 'null' }),
      SetState: ok({}),
      Close: ok({}),
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    address = `127.0.0.1:${port}`;
  });

  afterAll(() => {
    server?.forceShutdown();
  });

  async function runWith(reply: WireRunReply | 'hang', request: RunRequest = plain, callMs = 5_000): Promise<unknown> {
    const device = new RemoteDevice(address, { timeouts: { callMs } });
    try {
      expect((await device.configure(network)).ok).toBe(true);
      nextRun = reply;
      return await device.run(batch, request).catch((e: unknown) => e);
    } finally {
      await device.close();
    }
  }

  function expectDeviceError(err: unknown, code: DeviceError['code'], message: RegExp): void {
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as DeviceError).code).toBe(code);
    expect((err as Error).message).toMatch(message);
  }

  it('accepts a correct reply', async () => {
    const r = (await runWith(goodReply())) as { spikes: Record<string, { timesMs: Float64Array }> };
    expect(Array.from(r.spikes.output!.timesMs)).toEqual([5]);
  });

  it('a byte length that is no whole number of values names the field', async () => {
    const reply = goodReply();
    reply.spikes[0]!.spikes.times_ms = Buffer.alloc(7);
    expectDeviceError(await runWith(reply), 'spikesweep:device-malformed', /Run\.spikes\['hidden'\]\.times_ms: 7 bytes is not a whole number of float64 values/);
  });

  it('a slot beyond the layer, a missing layer, a wrong sample count, a NaN time', async () => {
    const slot = goodReply();
    slot.spikes[1]!.spikes = spikes(1, [2], [5]); // output has 2 neurons × 1 slot
    expectDeviceError(await runWith(slot), 'spikesweep:device-malformed', /Run\.spikes\['output'\]\.index\[0\]: 2 is out of range 0…1/);
    const missing = goodReply();
    missing.spikes.pop();
    expectDeviceError(await runWith(missing), 'spikesweep:device-malformed', /Run\.spikes: layer 'output' missing/);
    const count = { ...goodReply(), samples: 2 };
    expectDeviceError(await runWith(count), 'spikesweep:device-malformed', /Run\.samples: 2, the batch had 1/);
    const nan = goodReply();
    nan.spikes[0]!.spikes = spikes(1, [0], [NaN]);
    expectDeviceError(await runWith(nan), 'spikesweep:device-malformed', /Run\.spikes\['hidden'\]\.times_ms\[0\]: NaN is not a spike time/);
  });

  it('a membrane asked for but missing, or of the wrong shape', async () => {
    const request = { membrane: ['hidden'], peak: [], internals: false };
    expectDeviceError(await runWith(goodReply(), request), 'spikesweep:device-malformed', /Run\.membrane: layer 'hidden' was asked for and is missing/);
    const short = { ...goodReply(), membrane: [{ layer: 'hidden', values: bytesOf(new Float64Array(5)) }] };
    expectDeviceError(await runWith(short, request), 'spikesweep:device-malformed', /Run\.membrane\['hidden'\]\.values: expected 63 float64 values, got 5/);
  });

  it('a device that does not answer in time: device-unavailable after the call deadline', async () => {
    const t0 = Date.now();
    expectDeviceError(await runWith('hang', plain, 300), 'spikesweep:device-unavailable', /Run: no answer within 300 ms/);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('capabilities of another protocol version, a refusal, an address nobody serves', async () => {
    caps = { ...capabilities, protocol_version: 2 };
    const device = new RemoteDevice(address);
    expectDeviceError(await device.capabilities().catch((e: unknown) => e), 'spikesweep:device-malformed', /GetCapabilities\.protocol_version: the device speaks version 2, this client 1/);
    caps = capabilities;
    await device.configure(network);
    const probe = await device.probe({ kind: 'rest', layer: 'hidden', weight: 0, inputTimesMs: new Float64Array(0), durationMs: 5, repetitions: 1 }).catch((e: unknown) => e);
    expectDeviceError(probe, 'spikesweep:device-rejected', /Probe: UNIMPLEMENTED: Probe: not offered/);
    await device.close();
    const nobody = new RemoteDevice('127.0.0.1:1', { timeouts: { callMs: 2_000 } });
    expectDeviceError(await nobody.capabilities().catch((e: unknown) => e), 'spikesweep:device-unavailable', /device 127\.0\.0\.1:1: GetCapabilities/);
    await nobody.close().catch(() => undefined);
  });
});

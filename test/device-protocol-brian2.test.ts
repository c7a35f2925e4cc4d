/**
 * The Python SDK's Brian2 device as a real server process, driven through RemoteDevice: the
 * network it simulates is the one configured (a spike time and a membrane trace against the
 * closed-form solution of the LIF equations), bad requests come back as clear errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceError } from '../shared/contracts/errors.ts';
import type { LayerNeurons, NetworkSpec } from '../shared/engine/device/types.ts';
import { RemoteDevice } from '../shared/device-protocol/client.ts';
import { startBrian2Server, type ServerProcess } from './support/device-servers.ts';

const TAU_MEM = 10;
const TAU_SYN = 5;
const DT_CLOCK = 0.01;

function neurons(n: number, vThreshold: number): LayerNeurons {
  const fill = (v: number) => new Float64Array(n).fill(v);
  return { vThreshold: fill(vThreshold), vLeak: fill(0), vReset: fill(0), tauMemMs: fill(TAU_MEM), tauSynMs: fill(TAU_SYN) };
}

/** 2 inputs → 2 LIF (+ bias at 4 ms) → 1 leaky integrator. */
const network: NetworkSpec = {
  inputs: 2,
  layers: [
    { name: 'hidden', weights: 'inputWeights', size: 2, inputs: 2, biasSpikeTimeMs: null, neurons: neurons(2, 1) },
    { name: 'output', weights: 'outputWeights', size: 1, inputs: 3, biasSpikeTimeMs: 4, neurons: neurons(1, Infinity) },
  ],
  durationMs: 30,
  dtMs: 1,
  steps: 30,
  integration: 'exact',
  maxSpikesPerNeuron: 2,
};

/** PSP of a unit current jump at 0 (τ_m = 2τ_s): V(t) = τ_s/(τ_s − τ_m) (e^{−t/τ_s} − e^{−t/τ_m}). */
function psp(t: number): number {
  return t <= 0 ? 0 : (TAU_SYN / (TAU_SYN - TAU_MEM)) * (Math.exp(-t / TAU_SYN) - Math.exp(-t / TAU_MEM));
}

/** First t with w·psp(t) = 1 (bisection on the rising flank). */
function crossing(w: number): number {
  let lo = 0;
  let hi = TAU_MEM * Math.LN2; // the PSP peaks at τ_m ln 2 (τ_m = 2τ_s)
  for (let k = 0; k < 60; k++) {
    const mid = (lo + hi) / 2;
    if (w * psp(mid) >= 1) hi = mid;
    else lo = mid;
  }
  return hi;
}

describe('the Brian2 device over the protocol', () => {
  let server: ServerProcess;
  let device: RemoteDevice;

  beforeAll(async () => {
    server = await startBrian2Server(['--dt-ms', String(DT_CLOCK)]);
    device = new RemoteDevice(server.address, { timeouts: { callMs: 60_000 } });
  });

  afterAll(async () => {
    await device?.close().catch(() => undefined);
    await server?.stop();
  });

  it('reports what it is', async () => {
    const caps = await device.capabilities();
    expect(caps.kind).toBe('brian2');
    expect(caps.id).toBe('brian2:ideal');
    expect(caps.observables).toEqual(expect.arrayContaining(['spikes', 'membrane', 'peak']));
    expect(caps.weightBits).toBeNull();
  });

  it('simulates the configured LIF network: spike time and membrane as the closed form says', async () => {
    expect(await device.configure(network)).toEqual({ ok: true, reason: '' });
    // hidden 0 gets input 0 (w = 5: spikes once; after the reset the rest of its current stays below threshold), hidden 1 input 1 (w = 2, stays below threshold)
    await device.updateWeights({ inputWeights: Float64Array.from([5, 0, 0, 2]), outputWeights: Float64Array.from([0, 0, 1.5]) });
    const batch = { samples: 2, offsets: Int32Array.from([0, 2, 3]), channels: Int32Array.from([0, 1, 1]), timesMs: Float64Array.from([2, 3, 5]) };
    const r = await device.run(batch, { membrane: ['hidden'], peak: ['output'], internals: false });
    const hidden = r.spikes.hidden!;
    // sample 0: exactly one spike, of neuron 0 (slot 0), at 2 ms + the crossing time
    expect(Array.from(hidden.offsets)).toEqual([0, 1, 1]);
    expect(hidden.slots[0]).toBe(0);
    expect(hidden.timesMs[0]).toBeCloseTo(2 + crossing(5), 1);
    expect(Math.abs(hidden.timesMs[0]! - (2 + crossing(5)))).toBeLessThan(0.05);
    // hidden 1's membrane in sample 0 follows 2·psp(t − 3) on the grid
    const v = r.membrane.hidden!.values; // [samples × 31 × 2]
    for (let k = 0; k <= 30; k++) expect(Math.abs(v[k * 2 + 1]! - 2 * psp(k - 3))).toBeLessThan(0.01);
    // the readout's only input in sample 1 is the bias at 4 ms: its peak is 1.5 × the PSP maximum
    const peak = r.peak.output!;
    expect(Math.abs(peak.values[1]! - 1.5 * psp(TAU_MEM * Math.LN2))).toBeLessThan(0.01);
    expect(peak.steps[1]).toBe(4 + Math.round(TAU_MEM * Math.LN2));
    expect(r.activity!.spikes).toBe(1);
  });

  it('refuses what it cannot do, naming the field', async () => {
    const refused = await device.configure({ ...network, dtMs: 0.015, steps: 2000 });
    expect(refused.ok).toBe(false);
    expect(refused.reason).toMatch(/dt_ms/);
    await device.configure(network);
    const bad = { samples: 1, offsets: Int32Array.from([0, 1]), channels: Int32Array.from([5]), timesMs: Float64Array.from([1]) };
    const err = await device.run(bad, { membrane: [], peak: [], internals: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as DeviceError).code).toBe('spikesweep:device-rejected');
    expect((err as Error).message).toMatch(/Run\.input\.index: channel out of range 0…1/);
  });
});

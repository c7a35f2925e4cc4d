/**
 * Packing a method's inputs into a device batch, reading spikes back per sample, counting
 * what was read off a device, and checking that a device's reply has the shape asked for.
 *
 * Read-out volume (what the lab transfers per presentation): a spike event is 4 bytes (neuron
 * label and timestamp), a membrane or peak sample ⌈bits/8⌉ bytes (1 for an 8-bit ADC, 8 for a
 * full-precision float64), internals are not counted (an emulator's view of itself, not a
 * read-out).
 */
import { DeviceError } from '../../contracts/errors.ts';
import type { DeviceCapabilities, LayerSpikes, NetworkSpec, RunRequest, RunResult, SpikeTrainBatch } from './types.ts';

export const SPIKE_EVENT_BYTES = 4;

/**
 * The batch of samples order[start … start+count) of `times` ([size × channels] spike times,
 * Infinity = no spike): each sample's finite spikes in channel order.
 */
export function packInputTimes(times: Float64Array, channels: number, order: Int32Array | null, start: number, count: number): SpikeTrainBatch {
  let events = 0;
  for (let j = start; j < start + count; j++) {
    const n = order ? order[j]! : j;
    for (let i = 0; i < channels; i++) if (times[n * channels + i]! < Infinity) events++;
  }
  const offsets = new Int32Array(count + 1);
  const ch = new Int32Array(events);
  const t = new Float64Array(events);
  let e = 0;
  for (let j = 0; j < count; j++) {
    const n = order ? order[start + j]! : start + j;
    for (let i = 0; i < channels; i++) {
      const x = times[n * channels + i]!;
      if (x < Infinity) {
        ch[e] = i;
        t[e++] = x;
      }
    }
    offsets[j + 1] = e;
  }
  return { samples: count, offsets, channels: ch, timesMs: t };
}

/** Sample n of a batch as dense input times into out[offset … offset+channels) (Infinity = none). */
export function unpackInputTimes(batch: SpikeTrainBatch, n: number, channels: number, out: Float64Array, offset: number): void {
  out.fill(Infinity, offset, offset + channels);
  for (let e = batch.offsets[n]!; e < batch.offsets[n + 1]!; e++) {
    const i = batch.channels[e]!;
    const t = batch.timesMs[e]!;
    // a channel that spikes more than once: keep its first spike (the inputs here are first-spike coded)
    if (t < out[offset + i]!) out[offset + i] = t;
  }
}

/**
 * Sample n's spikes of a layer into dense slots out[0 … size·maxSpikesPerNeuron) (Infinity =
 * none); returns how many there were.
 */
export function spikeSlots(spikes: LayerSpikes, n: number, out: Float64Array): number {
  out.fill(Infinity);
  const a = spikes.offsets[n]!;
  const b = spikes.offsets[n + 1]!;
  for (let e = a; e < b; e++) out[spikes.slots[e]!] = spikes.timesMs[e]!;
  return b - a;
}

/** Bytes of one membrane or peak sample from a device with `membraneBits` (null = float64). */
export function membraneSampleBytes(membraneBits: number | null): number {
  return membraneBits === null ? 8 : Math.ceil(membraneBits / 8);
}

/** What was read off the device in one reply: spike events, membrane and peak samples. */
export function readoutOf(result: RunResult, membraneBits: number | null): { spikeEvents: number; membraneSamples: number; bytes: number } {
  let spikeEvents = 0;
  let membraneSamples = 0;
  for (const s of Object.values(result.spikes)) spikeEvents += s.timesMs.length;
  for (const m of Object.values(result.membrane)) membraneSamples += m.values.length;
  for (const p of Object.values(result.peak)) membraneSamples += p.values.length;
  return { spikeEvents, membraneSamples, bytes: spikeEvents * SPIKE_EVENT_BYTES + membraneSamples * membraneSampleBytes(membraneBits) };
}

function malformed(device: string, what: string): never {
  throw new DeviceError('spikesweep:device-malformed', `device ${device}: ${what}`);
}

/**
 * Checks a device's reply against the network, the batch and the request: every layer's
 * spikes in valid slots with finite times ≥ 0, membrane and peak arrays of the requested
 * layers at the right length, finite values. Throws `device-malformed` naming what is wrong.
 */
export function checkRunResult(network: NetworkSpec, batch: SpikeTrainBatch, request: RunRequest, result: RunResult, capabilities: DeviceCapabilities): void {
  const id = capabilities.id;
  const B = batch.samples;
  if (result.samples !== B) malformed(id, `reply has ${result.samples} samples, the batch ${B}`);
  for (const layer of network.layers) {
    const s = result.spikes?.[layer.name];
    if (!s) malformed(id, `no spikes for layer '${layer.name}'`);
    if (s.offsets.length !== B + 1 || s.offsets[0] !== 0) malformed(id, `spikes of '${layer.name}': offsets must have length ${B + 1} and start at 0`);
    if (s.slots.length !== s.timesMs.length || s.offsets[B] !== s.slots.length) malformed(id, `spikes of '${layer.name}': offsets, slots and times disagree`);
    const slots = layer.size * network.maxSpikesPerNeuron;
    for (let n = 0; n < B; n++) if (s.offsets[n + 1]! < s.offsets[n]!) malformed(id, `spikes of '${layer.name}': offsets decrease at sample ${n}`);
    for (let e = 0; e < s.slots.length; e++) {
      const slot = s.slots[e]!;
      if (!(slot >= 0 && slot < slots)) malformed(id, `spikes of '${layer.name}': slot ${slot} outside 0…${slots - 1}`);
      const t = s.timesMs[e]!;
      if (!Number.isFinite(t)) malformed(id, `spikes of '${layer.name}': spike time ${t} is not finite`);
    }
  }
  const expect = (kind: string, layer: string, values: ArrayLike<number> | undefined, length: number): void => {
    if (!values) malformed(id, `no ${kind} for layer '${layer}' (asked for)`);
    if (values.length !== length) malformed(id, `${kind} of '${layer}' has ${values.length} values, expected ${length}`);
    for (let k = 0; k < values.length; k++) if (Number.isNaN(values[k]!)) malformed(id, `${kind} of '${layer}' holds NaN at ${k}`);
  };
  for (const name of request.membrane) {
    const layer = network.layers.find((l) => l.name === name)!;
    expect('membrane', name, result.membrane?.[name]?.values, B * (network.steps + 1) * layer.size);
  }
  for (const name of request.peak) {
    const layer = network.layers.find((l) => l.name === name)!;
    const p = result.peak?.[name];
    expect('peak', name, p?.values, B * layer.size);
    expect('peak steps', name, p?.steps, B * layer.size);
  }
  if (result.energyJ !== null && !(result.energyJ >= 0)) malformed(id, `energy ${result.energyJ} J is not a non-negative number`);
  if (result.deviceTimeMs !== null && !(result.deviceTimeMs >= 0)) malformed(id, `device time ${result.deviceTimeMs} ms is not a non-negative number`);
}

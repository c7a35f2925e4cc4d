/**
 * Event-based simulation of one feed-forward layer of LIF neurons (lif.ts), spike after
 * spike: for each neuron, the state (V, I) is carried exactly from one input event to the
 * next, and inside each interval the next threshold crossing is found (crossing.ts); after a
 * spike V ← V_reset and the search continues in the same interval. Pure, no allocation per
 * event once the buffers exist.
 *
 * Simultaneous inputs: events with equal times are applied one after the other with zero
 * time in between; as V is continuous a zero-length interval cannot hold a crossing, so the
 * result does not depend on their order (up to the rounding of I's sum).
 */
import { nextCrossing } from './crossing.ts';
import type { LifLayerParams } from './lif.ts';
import { pspKernel } from './lif.ts';

/** Input events of a layer, sorted by time (ties in any order). */
export interface SpikeEvents {
  /** Event times in ms, ascending; length ≥ count. */
  times: Float64Array;
  /** Presynaptic (input) index of each event. */
  sources: Int32Array;
  /** Slot of the event in the presynaptic layer's spike buffer (see LayerSpikes), or −1. */
  slots: Int32Array;
  count: number;
}

export function createSpikeEvents(capacity: number): SpikeEvents {
  return { times: new Float64Array(capacity), sources: new Int32Array(capacity), slots: new Int32Array(capacity), count: 0 };
}

/**
 * The spikes of one layer. Neuron n's k-th spike (k < counts[n]) sits in slot
 * n·maxSpikesPerNeuron + k of `times` (ms), `currents` (the synaptic current I at the spike,
 * which gives V̇⁻ = (I − ϑ)/τ_m for the adjoint's jump condition) and `eventsBefore` (how many
 * input events had arrived before the spike: its causal set, and the order a backward pass
 * must replay).
 */
export interface LayerSpikes {
  readonly size: number;
  readonly maxSpikesPerNeuron: number;
  readonly times: Float64Array;
  readonly currents: Float64Array;
  readonly eventsBefore: Int32Array;
  readonly counts: Int32Array;
}

export function createLayerSpikes(size: number, maxSpikesPerNeuron: number): LayerSpikes {
  return {
    size,
    maxSpikesPerNeuron,
    times: new Float64Array(size * maxSpikesPerNeuron).fill(Infinity),
    currents: new Float64Array(size * maxSpikesPerNeuron),
    eventsBefore: new Int32Array(size * maxSpikesPerNeuron),
    counts: new Int32Array(size),
  };
}

/**
 * Simulates every neuron of a layer on [0, tEndMs] from rest (V = I = 0).
 *
 * @param events   input events, sorted by time
 * @param weights  [size × nIn] row-major, weights[n·nIn + i] from input i to neuron n
 * @param nIn      number of inputs
 * @param params   per-neuron parameters
 * @param tEndMs   no spike after this time is emitted
 * @param out      written: spike times, currents and counts (at most out.maxSpikesPerNeuron)
 */
export function simulateLayer(
  events: SpikeEvents,
  weights: Float64Array,
  nIn: number,
  params: LifLayerParams,
  tEndMs: number,
  out: LayerSpikes,
): void {
  const maxSpikes = out.maxSpikesPerNeuron;
  for (let n = 0; n < out.size; n++) {
    const theta = params.vThreshold[n]!;
    const tauM = params.tauMemMs[n]!;
    const tauS = params.tauSynMs[n]!;
    const vReset = params.vReset[n]!;
    const row = n * nIn;
    const base = n * maxSpikes;
    let count = 0;
    let v = 0;
    let current = 0;
    let tPrev = 0;
    let e = 0;
    // Advance through each interval [tPrev, tNext] (the last one ends at tEndMs).
    while (count < maxSpikes) {
      const tNext = e < events.count ? Math.min(events.times[e]!, tEndMs) : tEndMs;
      let span = tNext - tPrev;
      while (span > 0 || (span === 0 && v >= theta)) {
        const s = nextCrossing(v, current, theta, tauM, tauS, span);
        if (s === Infinity) break;
        // Spike at tPrev + s.
        const decay = Math.exp(-s / tauS);
        current *= decay;
        tPrev += s;
        out.times[base + count] = tPrev;
        out.currents[base + count] = current;
        out.eventsBefore[base + count] = e;
        count++;
        v = vReset;
        if (count >= maxSpikes) break;
        span = tNext - tPrev;
      }
      if (count >= maxSpikes || tNext === Infinity) break;
      if (span > 0) {
        v = v * Math.exp(-span / tauM) + current * pspKernel(span, tauM, tauS);
        current *= Math.exp(-span / tauS);
      }
      tPrev = tNext;
      if (e >= events.count || events.times[e]! > tEndMs) break;
      current += weights[row + events.sources[e]!]!;
      e++;
    }
    out.counts[n] = count;
    for (let k = count; k < maxSpikes; k++) out.times[base + k] = Infinity;
  }
}

/**
 * Collects a layer's spikes as the next layer's input events, sorted by time (ties by neuron
 * index, then spike number, so the order is deterministic).
 */
export function spikesToEvents(spikes: LayerSpikes, out: SpikeEvents, order: Int32Array = new Int32Array(0)): SpikeEvents {
  let count = 0;
  const total = spikes.size * spikes.maxSpikesPerNeuron;
  const slots = order.length >= total ? order : new Int32Array(total);
  for (let n = 0; n < spikes.size; n++) {
    const c = spikes.counts[n]!;
    for (let k = 0; k < c; k++) slots[count++] = n * spikes.maxSpikesPerNeuron + k;
  }
  const view = slots.subarray(0, count);
  view.sort((a, b) => spikes.times[a]! - spikes.times[b]! || a - b);
  for (let c = 0; c < count; c++) {
    const slot = view[c]!;
    out.times[c] = spikes.times[slot]!;
    out.sources[c] = Math.floor(slot / spikes.maxSpikesPerNeuron);
    out.slots[c] = slot;
  }
  out.count = count;
  return out;
}

/** Input events from one spike time per input (Infinity = no spike), sorted. */
export function timesToEvents(times: ArrayLike<number>, out: SpikeEvents): SpikeEvents {
  let count = 0;
  for (let i = 0; i < times.length; i++) {
    if (times[i]! < Infinity) {
      out.sources[count] = i;
      count++;
    }
  }
  const view = out.sources.subarray(0, count);
  view.sort((a, b) => times[a]! - times[b]! || a - b);
  for (let c = 0; c < count; c++) {
    out.times[c] = times[view[c]!]!;
    out.slots[c] = -1;
  }
  out.count = count;
  return out;
}

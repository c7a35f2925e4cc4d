/**
 * The EventProp network: inputs → hidden LIF layer (neurons may fire up to
 * maxSpikesPerNeuron times) → output LIF layer, loss on each output neuron's first spike
 * (event/first-spike-loss.ts), an optional bias spike as an extra output-layer input. Forward by
 * exact event simulation (event/simulate.ts), backward by the adjoint (./adjoint.ts), layer by
 * layer: the output layer's ∂L/∂(event time) become the hidden spikes' ∂L/∂t_k.
 *
 * Shapes as in spike-time: hiddenWeights [H × nIn], outputWeights [nOut × (H + bias)].
 */
import type { TtfsLossConfig } from '../../../contracts/methods/spike-time.ts';
import { createFirstSpikeScratch, firstSpikeLayer, loadSortedEvents, type FirstSpikeScratch } from '../../event/first-spike.ts';
import type { LifLayerParams } from '../../event/lif.ts';
import {
  createLayerSpikes,
  createSpikeEvents,
  simulateLayer,
  spikesToEvents,
  timesToEvents,
  type LayerSpikes,
  type SpikeEvents,
} from '../../event/simulate.ts';
import { earliestSpike, ttfsLoss } from '../../event/first-spike-loss.ts';
import type { MissingSpikes, SpikeNetwork, TtfsLayerParams, TtfsWeights } from '../../event/spike-network.ts';
import { adjointLayer } from './adjoint.ts';

export class EventPropNetwork implements SpikeNetwork {
  readonly nOutputIn: number;
  readonly inputEvents: SpikeEvents;
  readonly hiddenSpikes: LayerSpikes;
  readonly hiddenEvents: SpikeEvents;
  readonly outputSpikes: LayerSpikes;
  /** First spike time per output neuron (Infinity = none). */
  readonly outputTimes: Float64Array;
  private readonly inputScratch: Float64Array;
  private readonly sortScratch: Int32Array;
  private readonly gradOutputTimes: Float64Array;
  private readonly gradHiddenEvents: Float64Array;
  private readonly gradHiddenSpikes: Float64Array;
  private readonly gradInputEvents: Float64Array;
  private readonly outputScratch: FirstSpikeScratch;

  constructor(
    readonly nIn: number,
    readonly nHidden: number,
    readonly nOut: number,
    readonly outputBiasTimeMs: number | null,
    readonly maxSpikesPerNeuron: number,
    readonly tEndMs: number,
  ) {
    this.nOutputIn = nHidden + (outputBiasTimeMs === null ? 0 : 1);
    this.inputEvents = createSpikeEvents(nIn);
    this.hiddenSpikes = createLayerSpikes(nHidden, maxSpikesPerNeuron);
    this.hiddenEvents = createSpikeEvents(nHidden * maxSpikesPerNeuron + 1);
    this.outputSpikes = createLayerSpikes(nOut, 1);
    this.outputTimes = new Float64Array(nOut);
    this.inputScratch = new Float64Array(nIn);
    this.sortScratch = new Int32Array(nHidden * maxSpikesPerNeuron);
    this.gradOutputTimes = new Float64Array(nOut);
    this.gradHiddenEvents = new Float64Array(nHidden * maxSpikesPerNeuron + 1);
    this.gradHiddenSpikes = new Float64Array(nHidden * maxSpikesPerNeuron);
    this.gradInputEvents = new Float64Array(nIn);
    this.outputScratch = createFirstSpikeScratch(nHidden * maxSpikesPerNeuron + 1, nOut);
  }

  /** Forward pass of one sample (input times at inputs[offset …]); returns the predicted class. */
  forward(
    inputs: Float64Array,
    offset: number,
    weights: TtfsWeights,
    params: TtfsLayerParams,
    perturbHidden?: (times: Float64Array, maxSpikesPerNeuron: number) => void,
  ): number {
    for (let i = 0; i < this.nIn; i++) this.inputScratch[i] = inputs[offset + i]!;
    timesToEvents(this.inputScratch, this.inputEvents);
    simulateLayer(this.inputEvents, weights.hiddenWeights, this.nIn, params.hidden, this.tEndMs, this.hiddenSpikes);
    if (perturbHidden) perturbHidden(this.hiddenSpikes.times, this.maxSpikesPerNeuron);
    spikesToEvents(this.hiddenSpikes, this.hiddenEvents, this.sortScratch);
    if (this.outputBiasTimeMs !== null) insertEvent(this.hiddenEvents, this.outputBiasTimeMs, this.nHidden);
    // Only the output neurons' first spikes enter the loss: the closed-form first-spike kernel
    // over the hidden events gives them (equal to simulateLayer with one spike; a test checks).
    const ev = this.hiddenEvents;
    const scratch = this.outputScratch;
    loadSortedEvents(ev.times, ev.sources, ev.count, scratch);
    firstSpikeLayer(ev.times, 0, this.nOutputIn, weights.outputWeights, params.output, this.outputTimes, 0, this.nOut, scratch);
    const out = this.outputSpikes;
    for (let k = 0; k < this.nOut; k++) {
      const t = this.outputTimes[k]!;
      if (t <= this.tEndMs) {
        out.times[k] = t;
        out.counts[k] = 1;
        out.eventsBefore[k] = scratch.causalCount[k]!;
        out.currents[k] = scratch.currentAtSpike[k]!;
      } else {
        this.outputTimes[k] = Infinity;
        out.times[k] = Infinity;
        out.counts[k] = 0;
      }
    }
    return earliestSpike(this.outputTimes, 0, this.nOut);
  }

  /**
   * Loss of the last forward pass; when grads is given, ADDS scale·∂L/∂w to it and (when
   * gradInputs is given) scale·∂L/∂t_in to gradInputs[gradInputsOffset + i].
   */
  lossAndBackward(
    label: number,
    loss: TtfsLossConfig,
    weights: TtfsWeights,
    params: TtfsLayerParams,
    grads: TtfsWeights | null,
    scale: number,
    gradInputs: Float64Array | null = null,
    gradInputsOffset = 0,
  ): number {
    const value = ttfsLoss(this.outputTimes, 0, this.nOut, label, loss, grads ? this.gradOutputTimes : null, 0, scale);
    if (!grads || !(this.outputTimes[label]! < Infinity)) return value;
    const hiddenEvents = this.hiddenEvents;
    const gEvents = this.gradHiddenEvents;
    gEvents.fill(0, 0, hiddenEvents.count);
    adjointLayer(hiddenEvents, weights.outputWeights, this.nOutputIn, params.output, this.outputSpikes, this.gradOutputTimes, grads.outputWeights, gEvents);
    const gSpikes = this.gradHiddenSpikes;
    gSpikes.fill(0);
    for (let e = 0; e < hiddenEvents.count; e++) {
      const slot = hiddenEvents.slots[e]!;
      if (slot >= 0) gSpikes[slot] = gSpikes[slot]! + gEvents[e]!;
    }
    const gIn = this.gradInputEvents;
    gIn.fill(0);
    adjointLayer(this.inputEvents, weights.hiddenWeights, this.nIn, params.hidden, this.hiddenSpikes, gSpikes, grads.hiddenWeights, gradInputs ? gIn : null);
    if (gradInputs) {
      for (let e = 0; e < this.inputEvents.count; e++) {
        const i = this.inputEvents.sources[e]!;
        gradInputs[gradInputsOffset + i] = gradInputs[gradInputsOffset + i]! + gIn[e]!;
      }
    }
    return value;
  }

  /** Adds this sample's silent neurons (no spike at all) to `missing`. */
  countMissing(missing: MissingSpikes): void {
    for (let h = 0; h < this.nHidden; h++) {
      if (this.hiddenSpikes.counts[h] === 0) {
        missing.hiddenMissing++;
        missing.hiddenSilent[h] = 1;
      }
    }
    for (let k = 0; k < this.nOut; k++) {
      if (!(this.outputTimes[k]! < Infinity)) {
        missing.outputMissing++;
        missing.outputSilent[k] = 1;
      }
    }
  }

  /** Hidden spikes of the last forward pass. */
  hiddenSpikeCount(): number {
    let s = 0;
    for (let h = 0; h < this.nHidden; h++) s += this.hiddenSpikes.counts[h]!;
    return s;
  }

  /**
   * The event order of the last forward pass, for finite-difference checks: per neuron its
   * spike count and, per spike, how many input events preceded it. A parameter change that
   * alters it makes or removes a spike or moves an input across a spike (a kink of the loss).
   */
  signature(out: Int32Array, offset: number): number {
    let p = offset;
    for (const spikes of [this.hiddenSpikes, this.outputSpikes]) {
      for (let n = 0; n < spikes.size; n++) {
        const c = spikes.counts[n]!;
        out[p++] = c;
        for (let k = 0; k < spikes.maxSpikesPerNeuron; k++) out[p++] = k < c ? spikes.eventsBefore[n * spikes.maxSpikesPerNeuron + k]! : -1;
      }
    }
    return p;
  }

  get signatureLength(): number {
    return this.nHidden * (1 + this.maxSpikesPerNeuron) + this.nOut * 2;
  }
}

/** Inserts one event (source index `source`, no presynaptic slot) keeping the time order. */
function insertEvent(events: SpikeEvents, time: number, source: number): void {
  let c = events.count;
  while (c > 0 && events.times[c - 1]! > time) {
    events.times[c] = events.times[c - 1]!;
    events.sources[c] = events.sources[c - 1]!;
    events.slots[c] = events.slots[c - 1]!;
    c--;
  }
  events.times[c] = time;
  events.sources[c] = source;
  events.slots[c] = -1;
  events.count++;
}

export type { LifLayerParams };

/**
 * Weight mapping onto the 6-bit-plus-sign synapses: a model weight w becomes the integer
 * q = clamp(round(w / lsb), −63, 63) (round half away from zero), and the synapse then acts with
 * w_hw = q · lsb · g, g its frozen gain (device.ts). `lsb` (model weight per step) is the chip
 * config's `weightScale`, or with `auto` the layer's max |w| / 63, so nothing clips.
 *
 * Weight arrays are row-major [post · nIn + pre] (nOut × nIn: weights[n·nIn + i] from input i to
 * neuron n), one layer each, as the engine's forward kernels take them.
 */
import type { ChipInstance, LayerPlacement } from './device.ts';

export const WEIGHT_MAX_STEPS = 63;

/** Model weight per synapse step for one layer. */
export function weightLsb(weights: Float64Array, weightScale: 'auto' | number): number {
  if (weightScale !== 'auto') return weightScale;
  let max = 0;
  for (let i = 0; i < weights.length; i++) max = Math.max(max, Math.abs(weights[i]!));
  return max > 0 ? max / WEIGHT_MAX_STEPS : 1;
}

/** One weight to its integer step count: round half away from zero, then clip to ±63. */
export function quantizeWeight(w: number, lsb: number): number {
  const x = w / lsb;
  const q = Math.sign(x) * Math.floor(Math.abs(x) + 0.5);
  return Math.max(-WEIGHT_MAX_STEPS, Math.min(WEIGHT_MAX_STEPS, q)) + 0; // + 0 turns −0 into 0
}

/** Maps a layer to integer steps in `out` (Int8Array, same length); returns how many clipped. */
export function quantizeWeights(weights: Float64Array, lsb: number, out: Int8Array): number {
  let clipped = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    const q = quantizeWeight(w, lsb);
    if (Math.abs(w / lsb) >= WEIGHT_MAX_STEPS + 0.5) clipped++;
    out[i] = q;
  }
  return clipped;
}

/** What the chip's synapses of one layer do: q · lsb · gain, written into `out` (nOut × nIn). */
export function hardwareWeights(
  chip: ChipInstance,
  placement: LayerPlacement,
  weights: Float64Array,
  lsb: number,
  out: Float64Array = new Float64Array(weights.length),
): Float64Array {
  const { nIn, nOut } = placement;
  for (let n = 0; n < nOut; n++) {
    for (let i = 0; i < nIn; i++) {
      const k = n * nIn + i;
      out[k] = quantizeWeight(weights[k]!, lsb) * lsb * chip.gain(placement, i, n);
    }
  }
  return out;
}

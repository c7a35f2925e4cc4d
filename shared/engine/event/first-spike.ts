/**
 * First spike times of a layer of LIF neurons (lif.ts) that each fire at most once: the
 * time-to-first-spike (TTFS) forward pass of Göltz et al. 2021, in closed form per causal
 * set. Nothing after a neuron's first spike matters here, so no reset is simulated.
 *
 * With the finite input times sorted (t₀ ≤ t₁ ≤ …) and u = t − t₀, the membrane driven by
 * the first c+1 inputs (the causal set C) is, for r = τ_m/τ_s:
 *   r = 1:  V(x) = e^{−x}(a·x − b),  x = u/τ,  a = Σ_C w_i e^{x_i},  b = Σ_C w_i x_i e^{x_i};
 *   r ≠ 1:  V(u) = K(A_m e^{−u/τ_m} − A_s e^{−u/τ_s}),  K = τ_s/(τ_m − τ_s),
 *           A_m = Σ_C w_i e^{u_i/τ_m},  A_s = Σ_C w_i e^{u_i/τ_s},
 * and I(u) = A_s e^{−u/τ_s} (= a·e^{−x} at r = 1). Each prefix is checked in turn: the
 * neuron spikes in [t_c, t_{c+1}) iff I(t_c) ≥ ϑ and V at min(peak, t_{c+1}) is ≥ ϑ
 * (reaching ϑ counts, H(0) = 1). The crossing is then
 * (docs/science/neuron-model.md#first-spike-time-in-closed-form):
 *   r = 1:  t* = t₀ + τ(b/a − W₀(−(ϑ/a)e^{b/a}))                      (Lambert W₀)
 *   r = 2:  t* = t₀ + τ_m ln(2A_s/(A_m + √(A_m² − 4A_sϑ)))            (quadratic)
 *   else:   safeguarded Newton/bisection on V − ϑ over the bracket.
 * Times are shifted by t₀ so the exponentials stay small; spans of up to ~700·τ_s between the
 * first and last input are representable. For r ≠ 1 close to 1, K is large and the two terms
 * cancel: the relative error grows like ε/|r − 1| (1e-14 at r = 1.02).
 */
import { lambertW0 } from './lambert-w.ts';
import type { LifLayerParams } from './lif.ts';
import { safeguardedRoot } from './lif.ts';

const INV_E = Math.exp(-1);

/**
 * Per-sample working memory of one layer: the sort order of the inputs and the exponential
 * tables of the sorted input times, kept for the backward pass. Tables are built for one
 * (τ_m, τ_s) pair and rebuilt when a neuron's pair differs (emulated chips).
 */
export interface FirstSpikeScratch {
  /** Input indices sorted by time; the first `finiteCount` are the inputs that spiked. */
  readonly order: Int32Array;
  finiteCount: number;
  /** Time origin t₀ (earliest input) in ms. */
  origin: number;
  /** u_c = t_{order[c]} − t₀ in ms. */
  readonly shifted: Float64Array;
  /** e^{u_c/τ_m}. */
  readonly expMem: Float64Array;
  /** e^{u_c/τ_s}. */
  readonly expSyn: Float64Array;
  tableTauMem: number;
  tableTauSyn: number;
  /** Per output neuron: size of the causal set (0 when it does not spike). */
  readonly causalCount: Int32Array;
  /** Per spiking output neuron: the synaptic current I(t*), so V̇(t*) = (I(t*) − ϑ)/τ_m. */
  readonly currentAtSpike: Float64Array;
  /** Per spiking output neuron: e^{−(t* − t₀)/τ_m} and e^{−(t* − t₀)/τ_s}, for the backward pass. */
  readonly memDecayAtSpike: Float64Array;
  readonly synDecayAtSpike: Float64Array;
  /** Bucket-sort buffers (see bucketSort). */
  readonly bucketStart: Int32Array;
  readonly bucketOf: Int32Array;
  readonly sortTmp: Int32Array;
  readonly fdf: Float64Array;
}

export function createFirstSpikeScratch(nIn: number, nOut: number): FirstSpikeScratch {
  return {
    order: new Int32Array(nIn),
    finiteCount: 0,
    origin: 0,
    shifted: new Float64Array(nIn),
    expMem: new Float64Array(nIn),
    expSyn: new Float64Array(nIn),
    tableTauMem: NaN,
    tableTauSyn: NaN,
    causalCount: new Int32Array(nOut),
    currentAtSpike: new Float64Array(nOut),
    memDecayAtSpike: new Float64Array(nOut),
    synDecayAtSpike: new Float64Array(nOut),
    bucketStart: new Int32Array((nIn >> 1) + 2),
    bucketOf: new Int32Array(nIn),
    sortTmp: new Int32Array(nIn),
    fdf: new Float64Array(2),
  };
}

/**
 * Sorts the finite input times (ascending; ties by input index) into scratch.order.
 * `times[offset + i]` is input i's spike time (Infinity = no spike).
 */
export function sortInputs(times: Float64Array, offset: number, nIn: number, scratch: FirstSpikeScratch): void {
  const order = scratch.order;
  let finite = 0;
  for (let i = 0; i < nIn; i++) if (times[offset + i]! < Infinity) order[finite++] = i;
  // Insertion sort for short lists, a bucket sort for long ones (comparator sort fallback).
  if (finite > 16 && bucketSort(times, offset, finite, scratch)) {
    // order written by bucketSort
  } else if (finite <= 16) {
    for (let c = 1; c < finite; c++) {
      const idx = order[c]!;
      const t = times[offset + idx]!;
      let j = c - 1;
      while (j >= 0 && times[offset + order[j]!]! > t) {
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = idx;
    }
  } else {
    order.subarray(0, finite).sort((a, b) => times[offset + a]! - times[offset + b]! || a - b);
  }
  scratch.finiteCount = finite;
  scratch.origin = finite > 0 ? times[offset + order[0]!]! : 0;
  scratch.tableTauMem = NaN;
  scratch.tableTauSyn = NaN;
  for (let c = 0; c < finite; c++) scratch.shifted[c] = times[offset + order[c]!]! - scratch.origin;
}

/**
 * Sorts order[0…finite) by time (ties by input index) with a bucket sort: the time range is
 * cut into ~finite/2 buckets, inputs are distributed by counting, and each bucket is put in
 * order by insertion — O(n) for the spread-out times of a layer (a native typed-array sort of
 * 121 keys costs several times more). Returns false (nothing done) for a non-finite range.
 */
function bucketSort(times: Float64Array, offset: number, finite: number, scratch: FirstSpikeScratch): boolean {
  const order = scratch.order;
  let tMin = Infinity;
  let tMax = -Infinity;
  for (let c = 0; c < finite; c++) {
    const t = times[offset + order[c]!]!;
    if (t < tMin) tMin = t;
    if (t > tMax) tMax = t;
  }
  const span = tMax - tMin;
  if (!(span < Infinity)) return false;
  const buckets = Math.max(1, finite >> 1);
  const scale = span > 0 ? (buckets - 1e-9) / span : 0;
  const counts = scratch.bucketStart;
  counts.fill(0, 0, buckets + 1);
  const bucketOf = scratch.bucketOf;
  for (let c = 0; c < finite; c++) {
    const bk = Math.floor((times[offset + order[c]!]! - tMin) * scale);
    bucketOf[c] = bk;
    counts[bk + 1] = counts[bk + 1]! + 1;
  }
  for (let bk = 0; bk < buckets; bk++) counts[bk + 1] = counts[bk + 1]! + counts[bk]!;
  const sorted = scratch.sortTmp;
  // Inputs enter in ascending index order, so ties keep index order (stable).
  for (let c = 0; c < finite; c++) {
    const bk = bucketOf[c]!;
    sorted[counts[bk]!] = order[c]!;
    counts[bk] = counts[bk]! + 1;
  }
  // counts[bk] now holds the end of bucket bk: insertion sort over the whole array touches
  // only the few out-of-order neighbours inside each bucket.
  for (let c = 1; c < finite; c++) {
    const idx = sorted[c]!;
    const t = times[offset + idx]!;
    let j = c - 1;
    while (j >= 0) {
      const tj = times[offset + sorted[j]!]!;
      if (tj < t || (tj === t && sorted[j]! < idx)) break;
      sorted[j + 1] = sorted[j]!;
      j--;
    }
    sorted[j + 1] = idx;
  }
  for (let c = 0; c < finite; c++) order[c] = sorted[c]!;
  return true;
}

/**
 * Loads an already sorted event list (times ascending, with the input index of each event)
 * instead of one time per input: inputs may then spike several times, each event adding its
 * input's weight. `scratch` must have room for `count` events.
 */
export function loadSortedEvents(times: Float64Array, sources: Int32Array, count: number, scratch: FirstSpikeScratch): void {
  const origin = count > 0 ? times[0]! : 0;
  for (let c = 0; c < count; c++) {
    scratch.order[c] = sources[c]!;
    scratch.shifted[c] = times[c]! - origin;
  }
  scratch.finiteCount = count;
  scratch.origin = origin;
  scratch.tableTauMem = NaN;
  scratch.tableTauSyn = NaN;
}

/** Makes sure the exponential tables hold (τ_m, τ_s). */
export function ensureTables(scratch: FirstSpikeScratch, tauMemMs: number, tauSynMs: number): void {
  if (scratch.tableTauMem === tauMemMs && scratch.tableTauSyn === tauSynMs) return;
  const n = scratch.finiteCount;
  for (let c = 0; c < n; c++) {
    const u = scratch.shifted[c]!;
    scratch.expMem[c] = Math.exp(u / tauMemMs);
    scratch.expSyn[c] = tauSynMs === tauMemMs ? scratch.expMem[c]! : Math.exp(u / tauSynMs);
  }
  scratch.tableTauMem = tauMemMs;
  scratch.tableTauSyn = tauSynMs;
}

/**
 * First spike times of every neuron of a layer (Infinity: no spike). Inputs must have been
 * sorted with `sortInputs` for this sample.
 *
 * @param weights  [nOut × nIn] row-major
 * @param outTimes written at outOffset + n
 */
export function firstSpikeLayer(
  times: Float64Array,
  offset: number,
  nIn: number,
  weights: Float64Array,
  params: LifLayerParams,
  outTimes: Float64Array,
  outOffset: number,
  nOut: number,
  scratch: FirstSpikeScratch,
): void {
  const order = scratch.order;
  const nF = scratch.finiteCount;
  const shifted = scratch.shifted;
  for (let n = 0; n < nOut; n++) {
    const theta = params.vThreshold[n]!;
    const tauM = params.tauMemMs[n]!;
    const tauS = params.tauSynMs[n]!;
    ensureTables(scratch, tauM, tauS);
    const row = n * nIn;
    let tStar = Infinity;
    let causal = 0;
    if (tauM === tauS) {
      // r = 1: a, b sums; x in units of τ.
      const em = scratch.expMem;
      const invTau = 1 / tauM;
      let a = 0;
      let b = 0;
      for (let c = 0; c < nF; c++) {
        const w = weights[row + order[c]!]!;
        const e = em[c]!;
        const xc = shifted[c]! * invTau;
        a += w * e;
        b += w * xc * e;
        if (a < theta * e) continue; // I(t_c) < ϑ: V cannot reach ϑ before the next input
        const xPeak = 1 + b / a;
        let xHi: number;
        let z: number;
        if (c + 1 < nF && shifted[c + 1]! * invTau <= xPeak) {
          // The next input arrives before the peak: V must reach ϑ by then.
          xHi = shifted[c + 1]! * invTau;
          if (a * xHi - b < theta * em[c + 1]!) continue;
          z = -(theta / a) * Math.exp(b / a);
        } else {
          // The peak comes first: V(peak) = a·e^{−1−b/a} ≥ ϑ ⇔ z = −(ϑ/a)e^{b/a} ≥ −1/e.
          xHi = xPeak;
          z = -(theta / a) * Math.exp(b / a);
          if (z < -INV_E) continue;
        }
        const w0 = lambertW0(z < -INV_E ? -INV_E : z);
        let x = b / a - w0;
        // At the root, W·e^W = z gives e^{−x} = −ϑ/(a·W) and so I(t*) = a·e^{−x} = −ϑ/W:
        // no exponential needed unless the root was clamped into its bracket.
        let decay = -theta / (a * w0);
        if (x < xc || x > xHi) {
          x = x < xc ? xc : xHi;
          decay = Math.exp(-x);
        }
        tStar = scratch.origin + x * tauM;
        causal = c + 1;
        scratch.memDecayAtSpike[n] = decay;
        scratch.synDecayAtSpike[n] = decay;
        scratch.currentAtSpike[n] = a * decay;
        break;
      }
    } else {
      const em = scratch.expMem;
      const es = scratch.expSyn;
      const k = tauS / (tauM - tauS);
      const d = 1 / tauS - 1 / tauM;
      const r = tauM / tauS;
      let am = 0;
      let as = 0;
      for (let c = 0; c < nF; c++) {
        const w = weights[row + order[c]!]!;
        am += w * em[c]!;
        as += w * es[c]!;
        if (as < theta * es[c]!) continue;
        const uc = shifted[c]!;
        const peakArg = (as * r) / am;
        const uPeak = peakArg > 0 ? Math.log(peakArg) / d : Infinity;
        const uNext = c + 1 < nF ? shifted[c + 1]! : Infinity;
        let uHi: number;
        let vHi: number;
        if (uNext <= uPeak && uNext < Infinity) {
          uHi = uNext;
          vHi = k * (am / em[c + 1]! - as / es[c + 1]!);
        } else if (uPeak < Infinity) {
          uHi = uPeak;
          vHi = k * (am * Math.exp(-uPeak / tauM) - as * Math.exp(-uPeak / tauS));
        } else {
          continue; // no peak and no further input: V creeps towards 0 without reaching ϑ
        }
        if (!(vHi >= theta)) continue;
        let u: number;
        if (tauM === 2 * tauS) {
          const disc = Math.max(0, am * am - 4 * as * theta);
          u = tauM * Math.log((2 * as) / (am + Math.sqrt(disc)));
        } else {
          u = safeguardedRoot(
            (x, out) => {
              const gm = am * Math.exp(-x / tauM);
              const gs = as * Math.exp(-x / tauS);
              const v = k * (gm - gs);
              out[0] = v - theta;
              out[1] = (gs - v) / tauM;
            },
            uc,
            uHi,
            scratch.fdf,
          );
        }
        if (u < uc) u = uc;
        else if (u > uHi) u = uHi;
        tStar = scratch.origin + u;
        causal = c + 1;
        const synDecay = Math.exp(-u / tauS);
        scratch.memDecayAtSpike[n] = Math.exp(-u / tauM);
        scratch.synDecayAtSpike[n] = synDecay;
        scratch.currentAtSpike[n] = as * synDecay;
        break;
      }
    }
    outTimes[outOffset + n] = tStar;
    scratch.causalCount[n] = causal;
  }
}

/**
 * Analytic time-to-first-spike derivatives (Göltz et al. 2021), for the first-spike kernel of
 * ../../event/first-spike.ts. With V(t*) = ϑ defining t*, the implicit function theorem gives,
 * over the causal set C of neuron n,
 *
 *   ∂t* / ∂w_i   = −κ(t* − t_i) / V̇(t*),
 *   ∂t* / ∂t_i   =  w_i κ′(t* − t_i) / V̇(t*),     V̇(t*) = Σ_C w_j κ′(t* − t_j),
 *
 * κ the PSP kernel (event/lif.ts). For τ_m = τ_s these are exactly the paper's closed forms
 * ∂t* / ∂w_i = −(t* − t_i)e^{t_i/τ_s}/(a(1+W)) and
 * ∂t* / ∂t_i = −w_i e^{t_i/τ_s}(t* − t_i − τ_s)/(τ_s a(1+W)), since a(1+W) = τ_s e^{t* / τ_s} V̇(t*)
 * (a test checks the identity). Inputs after t* (outside C) have zero derivatives. A grazing
 * spike (V̇ → 0) has unbounded derivatives: that is the true derivative, not a defect.
 */
import { ensureTables, type FirstSpikeScratch } from '../../event/first-spike.ts';
import type { LifLayerParams } from '../../event/lif.ts';

/**
 * Backward pass through one first-spike layer: given ∂L/∂t*_n in gradOut, ADDS ∂L/∂w into
 * gradWeights ([nOut × nIn], like weights) and, when gradIn is given, ∂L/∂t_in into
 * gradIn[gradInOffset + i]. `scratch` must still hold this sample's forward state.
 */
export function firstSpikeLayerBackward(
  nIn: number,
  weights: Float64Array,
  params: LifLayerParams,
  outTimes: Float64Array,
  outOffset: number,
  nOut: number,
  gradOut: Float64Array,
  gradOutOffset: number,
  scratch: FirstSpikeScratch,
  gradWeights: Float64Array,
  gradIn: Float64Array | null,
  gradInOffset = 0,
): void {
  const order = scratch.order;
  const shifted = scratch.shifted;
  for (let n = 0; n < nOut; n++) {
    const g = gradOut[gradOutOffset + n]!;
    const tStar = outTimes[outOffset + n]!;
    if (g === 0 || !(tStar < Infinity)) continue;
    const tauM = params.tauMemMs[n]!;
    const tauS = params.tauSynMs[n]!;
    ensureTables(scratch, tauM, tauS);
    const causal = scratch.causalCount[n]!;
    const u = tStar - scratch.origin;
    const row = n * nIn;
    const em = scratch.expMem;
    const es = scratch.expSyn;
    const equal = tauM === tauS;
    const k = equal ? 0 : tauS / (tauM - tauS);
    const gm = scratch.memDecayAtSpike[n]!;
    const gs = scratch.synDecayAtSpike[n]!;
    // V̇(t*) = Σ_C w κ′(t* − t_i) = (I(t*) − V(t*))/τ_m with V(t*) = ϑ.
    const vDot = (scratch.currentAtSpike[n]! - params.vThreshold[n]!) / tauM;
    const gOverVDot = g / vDot;
    for (let c = 0; c < causal; c++) {
      const i = order[c]!;
      const eS = es[c]! * gs;
      const kappa = equal ? ((u - shifted[c]!) / tauM) * eS : k * (em[c]! * gm - eS);
      gradWeights[row + i] = gradWeights[row + i]! - gOverVDot * kappa;
      if (gradIn) gradIn[gradInOffset + i] = gradIn[gradInOffset + i]! + (gOverVDot * weights[row + i]! * (eS - kappa)) / tauM;
    }
  }
}

/**
 * The EventProp backward pass of one layer (Wunderlich & Pehle 2021): the adjoint ODE of the
 * LIF neuron integrated backwards in time, exactly, from event to event, with a jump at each
 * of the neuron's spikes. With ′ = −d/dt (reverse time):
 *
 *   τ_m λ_V′ = −λ_V,   τ_s λ_I′ = −λ_I + λ_V,
 *   so over a reverse step r:  λ_V ← λ_V e^{−r/τ_m},  λ_I ← λ_I e^{−r/τ_s} + λ_V·(τ_m/τ_s)·κ(r)
 *   (κ the PSP kernel of event/lif.ts, exact for every ratio);
 *
 *   at the neuron's spike k (reset V ← V_r):
 *   λ_V⁻ = λ_V⁺ + [(ϑ − V_r)·λ_V⁺ + ∂L/∂t_k] / (τ_m V̇⁻),   τ_m V̇⁻ = I(t_k) − ϑ;
 *
 *   at an input event from i at time s (weight w):
 *   ∂L/∂w_i += −τ_s λ_I(s),   ∂L/∂s = w·(λ_V − λ_I)(s).
 *
 * This is the paper's jump condition (docs/science/gradients.md#eventprop) with V_r = 0 and no
 * voltage-dependent loss: the (Wᵀ(λ_V⁺ − λ_I))_n term of the network form is the ∂L/∂s of the
 * postsynaptic layer, which a layered network passes down as ∂L/∂t_k of the presynaptic spikes
 * (network.ts). Exact for spike-time shifts; it carries no information about spikes that appear
 * or vanish.
 */
import type { LifLayerParams } from '../../event/lif.ts';
import { pspKernel } from '../../event/lif.ts';
import type { LayerSpikes, SpikeEvents } from '../../event/simulate.ts';

/**
 * Backward pass through one simulated layer. `gradSpikes[slot]` is ∂L/∂t of each spike slot of
 * `spikes` (same layout); ADDS ∂L/∂w into gradWeights ([size × nIn]) and, when gradEvents is
 * given, ∂L/∂(event time) into gradEvents[e] for every input event e.
 */
export function adjointLayer(
  events: SpikeEvents,
  weights: Float64Array,
  nIn: number,
  params: LifLayerParams,
  spikes: LayerSpikes,
  gradSpikes: Float64Array,
  gradWeights: Float64Array,
  gradEvents: Float64Array | null,
): void {
  const maxSpikes = spikes.maxSpikesPerNeuron;
  for (let n = 0; n < spikes.size; n++) {
    const base = n * maxSpikes;
    let k = spikes.counts[n]! - 1;
    while (k >= 0 && gradSpikes[base + k] === 0) k--;
    if (k < 0) continue; // no spike of n influences the loss
    const theta = params.vThreshold[n]!;
    const jumpScale = theta - params.vReset[n]!;
    const tauM = params.tauMemMs[n]!;
    const tauS = params.tauSynMs[n]!;
    const ratio = tauM / tauS;
    const row = n * nIn;
    let lambdaV = 0;
    let lambdaI = 0;
    let tCur = spikes.times[base + k]!;
    let e = spikes.eventsBefore[base + k]! - 1;
    while (k >= 0 || e >= 0) {
      const spikeNext = k >= 0 && e < spikes.eventsBefore[base + k]!;
      const t = spikeNext ? spikes.times[base + k]! : events.times[e]!;
      const r = tCur - t;
      if (r > 0) {
        lambdaI = lambdaI * Math.exp(-r / tauS) + lambdaV * ratio * pspKernel(r, tauM, tauS);
        lambdaV *= Math.exp(-r / tauM);
        tCur = t;
      }
      if (spikeNext) {
        const slot = base + k;
        lambdaV += (jumpScale * lambdaV + gradSpikes[slot]!) / (spikes.currents[slot]! - theta);
        k--;
      } else {
        const w = weights[row + events.sources[e]!]!;
        gradWeights[row + events.sources[e]!] = gradWeights[row + events.sources[e]!]! - tauS * lambdaI;
        if (gradEvents) gradEvents[e] = gradEvents[e]! + w * (lambdaV - lambdaI);
        e--;
      }
    }
  }
}

/**
 * The time-to-first-spike cross-entropy loss of Göltz et al. 2021 (also used by Wunderlich &
 * Pehle 2021 on Yin-Yang), for one sample with label y and output first-spike times t
 * (Infinity = no spike):
 *
 *   L = −log softmax_y(−t/τ₀) + γ·(exp(t_y/τ₁) − 1),   τ₀ = softmaxTauMs, τ₁ = regularizerTauMs,
 *   ∂L/∂t_k = (δ_ky − p_k)/τ₀ + δ_ky·(γ/τ₁)·exp(t_y/τ₁),   p = softmax(−t/τ₀).
 *
 * A silent non-label neuron has p_k = 0 and no gradient; a silent label neuron makes the sample
 * cost the fixed `missingLabelPenalty` with zero gradient. The prediction is the earliest
 * output spike (lowest index on ties), −1 when no output neuron spikes.
 */
import type { TtfsLossConfig } from '../../contracts/methods/spike-time.ts';

/**
 * Loss of one sample; writes ∂L/∂t_k · scale into grad[gradOffset + k] when grad is given.
 */
export function ttfsLoss(
  times: Float64Array,
  offset: number,
  nOut: number,
  label: number,
  config: TtfsLossConfig,
  grad: Float64Array | null,
  gradOffset = 0,
  scale = 1,
): number {
  const tLabel = times[offset + label]!;
  if (grad) for (let k = 0; k < nOut; k++) grad[gradOffset + k] = 0;
  if (!(tLabel < Infinity)) return config.missingLabelPenalty;
  const tau0 = config.softmaxTauMs;
  let tMin = Infinity;
  for (let k = 0; k < nOut; k++) tMin = Math.min(tMin, times[offset + k]!);
  let sum = 0;
  for (let k = 0; k < nOut; k++) {
    const t = times[offset + k]!;
    if (t < Infinity) sum += Math.exp(-(t - tMin) / tau0);
  }
  const reg = config.regularizerStrength * Math.exp(tLabel / config.regularizerTauMs);
  const loss = (tLabel - tMin) / tau0 + Math.log(sum) + reg - config.regularizerStrength;
  if (grad) {
    for (let k = 0; k < nOut; k++) {
      const t = times[offset + k]!;
      const p = t < Infinity ? Math.exp(-(t - tMin) / tau0) / sum : 0;
      grad[gradOffset + k] = (scale * ((k === label ? 1 : 0) - p)) / tau0;
    }
    grad[gradOffset + label] = grad[gradOffset + label]! + (scale * reg) / config.regularizerTauMs;
  }
  return loss;
}

/** Index of the earliest output spike (lowest index on ties), −1 if none spikes. */
export function earliestSpike(times: Float64Array, offset: number, nOut: number): number {
  let best = -1;
  let tBest = Infinity;
  for (let k = 0; k < nOut; k++) {
    const t = times[offset + k]!;
    if (t < tBest) {
      tBest = t;
      best = k;
    }
  }
  return best;
}

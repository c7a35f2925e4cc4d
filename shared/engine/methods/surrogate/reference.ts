/**
 * The readable reference of the surrogate network: one sample at a time, built on `lifStep`,
 * allocating freely. The training kernel (`kernel.ts`) computes the same numbers batch-major
 * without allocation; tests check one against the other.
 *
 * Network: nIn inputs (one spike each, at an arbitrary time) → nHidden LIF neurons → nOut
 * leaky integrators. Weights row-major: inputWeights [nHidden × nIn], outputWeights
 * [nOut × nHidden]. Grid times t_k = k·Δt, k = 0…T; the loss sees k = 1…T.
 *
 * Loss (Cramer et al. 2022): logits z_o = max_{k≥1} V_out[o, k];  L = −log softmax(z)_label.
 *
 * BPTT with the surrogate σ'(U − ϑ) in place of H'; with V_k = U_k + s_k (V_r − U_k):
 *   ∂L/∂U_k = ∂L/∂V_k·(1 − s_k) [+ ∂L/∂V_k·(V_r − U_k)·σ'   if resetGradient = full]
 *             + ∂L/∂s_k·σ',            ∂L/∂s_k = Σ_o W_out[o, h]·∂L/∂I_out[o, k]
 *   ∂L/∂V_{k−1} = α·∂L/∂U_k,   ∂L/∂I_{k−1} = β·∂L/∂I_k + γ·∂L/∂U_k
 *   ∂L/∂W_in[h, i] = ∂L/∂U_{k_i}·p(δ_i) + ∂L/∂I_{k_i}·e^{−δ_i/τ_s},  ∂L/∂W_out[o, h] = Σ_k s_k·∂L/∂I_out[o, k]
 */
import { SURROGATE_SHAPES, type SurrogateShape } from '../../discrete/surrogate-fn.ts';
import { lifStep, pspKernel, type LifCoefficients, type LifState } from '../../discrete/lif.ts';

export interface NetworkWeights {
  readonly inputWeights: Float64Array;
  readonly outputWeights: Float64Array;
}

export interface SpikeFunction {
  readonly shape: SurrogateShape;
  readonly beta: number;
  readonly resetGradient: 'detached' | 'full';
  /** `heaviside` (the real network) or `smooth` (the proxy network of the gradient tests). */
  readonly forward: 'heaviside' | 'smooth';
}

/** Where each input spike lands on the grid: step k_i = ⌈t_i/Δt⌉ and δ_i = k_i·Δt − t_i. */
export function inputEvents(timesMs: ArrayLike<number>, dtMs: number): { step: Int32Array; deltaMs: Float64Array } {
  const n = timesMs.length;
  const step = new Int32Array(n);
  const deltaMs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = timesMs[i]!;
    const k = Math.max(0, Math.ceil(t / dtMs - 1e-12));
    step[i] = k;
    deltaMs[i] = Math.max(0, k * dtMs - t);
  }
  return { step, deltaMs };
}

export interface Trajectory {
  /** Pre-reset hidden membrane U[k][h], k = 0…T (k = 0: the initial state). */
  readonly uHidden: Float64Array[];
  /** Hidden spikes s[k][h] (0/1, or the smooth value in a proxy network). */
  readonly sHidden: Float64Array[];
  /** Readout membrane V_out[k][o]. */
  readonly vOut: Float64Array[];
}

/**
 * Runs one sample forward. `hidden`/`output` are the coefficients the dynamics use (model or
 * hardware values), `weights` the weights applied.
 */
export function forwardReference(
  inputTimesMs: ArrayLike<number>,
  weights: NetworkWeights,
  hidden: LifCoefficients,
  output: LifCoefficients,
  timeSteps: number,
  spike: SpikeFunction,
): Trajectory {
  const nIn = inputTimesMs.length;
  const nH = hidden.alpha.length;
  const nO = output.alpha.length;
  const { step, deltaMs } = inputEvents(inputTimesMs, hidden.dtMs);
  const jumps = (k: number) => {
    const jv = new Float64Array(nH);
    const ji = new Float64Array(nH);
    for (let i = 0; i < nIn; i++) {
      if (step[i] !== k) continue;
      for (let h = 0; h < nH; h++) {
        const w = weights.inputWeights[h * nIn + i]!;
        jv[h] = jv[h]! + w * pspKernel(deltaMs[i]!, hidden.tauMemMs[h]!, hidden.tauSynMs[h]!);
        ji[h] = ji[h]! + w * Math.exp(-deltaMs[i]! / hidden.tauSynMs[h]!);
      }
    }
    return { jv, ji };
  };
  const j0 = jumps(0);
  let h: LifState = { v: Float64Array.from(hidden.vLeak, (el, n) => el + j0.jv[n]!), i: j0.ji };
  let o: LifState = { v: Float64Array.from(output.vLeak), i: new Float64Array(nO) };
  const uHidden: Float64Array[] = [Float64Array.from(h.v)];
  const sHidden: Float64Array[] = [new Float64Array(nH)];
  const vOut: Float64Array[] = [Float64Array.from(o.v)];
  const smooth = SURROGATE_SHAPES[spike.shape].smoothSpike;
  for (let k = 1; k <= timeSteps; k++) {
    const { jv, ji } = jumps(k);
    const out = lifStep(h, jv, ji, hidden, true);
    let spikes = out.spikes;
    let next = out.state;
    if (spike.forward === 'smooth') {
      spikes = out.u.map((u, n) => smooth(u - hidden.vThreshold[n]!, spike.beta));
      next = { v: out.u.map((u, n) => u + spikes[n]! * (hidden.vReset[n]! - u)), i: out.state.i };
    }
    const jo = new Float64Array(nO);
    for (let q = 0; q < nO; q++) for (let n = 0; n < nH; n++) jo[q] = jo[q]! + weights.outputWeights[q * nH + n]! * spikes[n]!;
    const ro = lifStep(o, new Float64Array(nO), jo, output, false);
    h = next;
    o = ro.state;
    uHidden.push(out.u);
    sHidden.push(spikes);
    vOut.push(ro.u);
  }
  return { uHidden, sHidden, vOut };
}

/** Index of the maximum over k = 1…T of V_out[k][o] (the first on ties). */
function argmaxOverTime(vOut: Float64Array[], o: number): number {
  let best = 1;
  for (let k = 2; k < vOut.length; k++) if (vOut[k]![o]! > vOut[best]![o]!) best = k;
  return best;
}

/** Max-over-time logits, cross-entropy loss and ∂L/∂logit. */
export function maxMembraneLoss(vOut: Float64Array[], label: number): { loss: number; logits: Float64Array; dLogits: Float64Array; argmax: Int32Array; predicted: number } {
  const nO = vOut[0]!.length;
  const logits = new Float64Array(nO);
  const argmax = new Int32Array(nO);
  for (let o = 0; o < nO; o++) {
    argmax[o] = argmaxOverTime(vOut, o);
    logits[o] = vOut[argmax[o]!]![o]!;
  }
  let max = -Infinity;
  let predicted = -1;
  for (let o = 0; o < nO; o++) if (logits[o]! > max) [max, predicted] = [logits[o]!, o];
  let sum = 0;
  for (let o = 0; o < nO; o++) sum += Math.exp(logits[o]! - max);
  const lse = max + Math.log(sum);
  const dLogits = new Float64Array(nO);
  for (let o = 0; o < nO; o++) dLogits[o] = Math.exp(logits[o]! - lse) - (o === label ? 1 : 0);
  return { loss: lse - logits[label]!, logits, dLogits, argmax, predicted };
}

/**
 * Loss and gradient of one sample by BPTT. `hidden`/`output` are the coefficients of the model
 * the gradient flows through (for the ideal network: the same as the forward's).
 */
export function lossAndGradientReference(
  inputTimesMs: ArrayLike<number>,
  label: number,
  weights: NetworkWeights,
  hidden: LifCoefficients,
  output: LifCoefficients,
  timeSteps: number,
  spike: SpikeFunction,
): { loss: number; predicted: number; gradInput: Float64Array; gradOutput: Float64Array; trajectory: Trajectory } {
  const nIn = inputTimesMs.length;
  const nH = hidden.alpha.length;
  const nO = output.alpha.length;
  const tr = forwardReference(inputTimesMs, weights, hidden, output, timeSteps, spike);
  const { loss, dLogits, argmax, predicted } = maxMembraneLoss(tr.vOut, label);
  const { step, deltaMs } = inputEvents(inputTimesMs, hidden.dtMs);
  const sg = SURROGATE_SHAPES[spike.shape].derivative;
  const gradInput = new Float64Array(nH * nIn);
  const gradOutput = new Float64Array(nO * nH);
  let gV = new Float64Array(nH);
  let gI = new Float64Array(nH);
  let gVo = new Float64Array(nO);
  let gIo = new Float64Array(nO);
  const inputGrads = (k: number, gU: Float64Array, gIk: Float64Array) => {
    for (let i = 0; i < nIn; i++) {
      if (step[i] !== k) continue;
      for (let n = 0; n < nH; n++) {
        const p = pspKernel(deltaMs[i]!, hidden.tauMemMs[n]!, hidden.tauSynMs[n]!);
        const e = Math.exp(-deltaMs[i]! / hidden.tauSynMs[n]!);
        gradInput[n * nIn + i] = gradInput[n * nIn + i]! + gU[n]! * p + gIk[n]! * e;
      }
    }
  };
  for (let k = timeSteps; k >= 1; k--) {
    const gUo = new Float64Array(nO);
    for (let o = 0; o < nO; o++) gUo[o] = gVo[o]! + (argmax[o] === k ? dLogits[o]! : 0);
    const gU = new Float64Array(nH);
    for (let n = 0; n < nH; n++) {
      const s = tr.sHidden[k]![n]!;
      let ds = 0;
      for (let o = 0; o < nO; o++) {
        ds += weights.outputWeights[o * nH + n]! * gIo[o]!;
        gradOutput[o * nH + n] = gradOutput[o * nH + n]! + s * gIo[o]!;
      }
      const u = tr.uHidden[k]![n]!;
      const d = sg(u - hidden.vThreshold[n]!, spike.beta);
      let g = gV[n]! * (1 - s) + ds * d;
      if (spike.resetGradient === 'full') g += gV[n]! * (hidden.vReset[n]! - u) * d;
      gU[n] = g;
    }
    inputGrads(k, gU, gI);
    gV = gU.map((g, n) => hidden.alpha[n]! * g);
    gI = gI.map((g, n) => hidden.beta[n]! * g + hidden.gamma[n]! * gU[n]!);
    gVo = gUo.map((g, o) => output.alpha[o]! * g);
    gIo = gIo.map((g, o) => output.beta[o]! * g + output.gamma[o]! * gUo[o]!);
  }
  inputGrads(0, gV, gI);
  return { loss, predicted, gradInput, gradOutput, trajectory: tr };
}

/**
 * The fast surrogate-gradient kernel: the equations of `reference.ts`, fused into flat loops
 * over preallocated Float64Arrays; nothing is allocated per sample or per time step.
 *
 * Layout: sample-major. Each sample runs forward over k = 1…T, then BPTT backwards over the
 * recorded pre-reset membrane U[k·nH + h] and spikes S[k·nH + h] of that sample only, adding
 * into the minibatch's gradient sums. A sample's working set (2·(T+1)·nH doubles: 77 kB at the
 * default T = 40, nH = 120) stays in cache, which beats a batch-major layout here: JavaScript
 * has no SIMD to exploit across the batch, and the hidden-to-readout spikes are sparse.
 *
 * Forward and backward may use different coefficients: `forward` is what the dynamics run on
 * (model values, or a chip's hardware values and applied weights), `backward` the model the
 * gradient flows through (always model values and model weights). The surrogate's argument
 * U − ϑ and the reset use the forward's ϑ and V_r, since U is the membrane that was recorded.
 */
import type { LifCoefficients } from '../../discrete/lif.ts';
import { pspKernel } from '../../discrete/lif.ts';
import { SURROGATE_SHAPES } from '../../discrete/surrogate-fn.ts';
import type { SpikeFunction } from './reference.ts';

export interface KernelSide {
  readonly hidden: LifCoefficients;
  readonly output: LifCoefficients;
  /** [nH × nIn] row-major. */
  readonly inputWeights: Float64Array;
  /** [nO × nH] row-major. */
  readonly outputWeights: Float64Array;
}

const SHAPE_ID = { superspike: 0, sigmoid: 1, triangle: 2 } as const;

function isUniform(c: LifCoefficients): boolean {
  const tm = c.tauMemMs[0]!;
  const ts = c.tauSynMs[0]!;
  for (let j = 1; j < c.tauMemMs.length; j++) if (c.tauMemMs[j] !== tm || c.tauSynMs[j] !== ts) return false;
  return true;
}

export class SurrogateKernel {
  readonly nIn: number;
  readonly nH: number;
  readonly nO: number;
  readonly timeSteps: number;
  private readonly spike: SpikeFunction;
  private readonly shapeId: number;
  // Per-sample buffers, reused for every sample.
  private readonly u: Float64Array;
  private readonly s: Float64Array;
  private readonly v: Float64Array;
  private readonly i: Float64Array;
  private readonly vo: Float64Array;
  private readonly io: Float64Array;
  readonly logits: Float64Array;
  private readonly argmax: Int32Array;
  private readonly dLogits: Float64Array;
  private readonly gV: Float64Array;
  private readonly gI: Float64Array;
  private readonly gU: Float64Array;
  private readonly gVo: Float64Array;
  private readonly gIo: Float64Array;
  private readonly gUo: Float64Array;
  /** Input jump factors of the current sample, [nIn × nH]: p(δ_i) into V and e^{−δ_i/τ_s} into I. */
  private readonly jpF: Float64Array;
  private readonly jeF: Float64Array;
  private readonly jpB: Float64Array;
  private readonly jeB: Float64Array;
  /** Hidden spikes of the last forward pass (for activity statistics). */
  lastSpikeCount = 0;

  constructor(nIn: number, nH: number, nO: number, timeSteps: number, spike: SpikeFunction) {
    this.nIn = nIn;
    this.nH = nH;
    this.nO = nO;
    this.timeSteps = timeSteps;
    this.spike = spike;
    this.shapeId = SHAPE_ID[spike.shape];
    this.u = new Float64Array((timeSteps + 1) * nH);
    this.s = new Float64Array((timeSteps + 1) * nH);
    this.v = new Float64Array(nH);
    this.i = new Float64Array(nH);
    this.vo = new Float64Array(nO);
    this.io = new Float64Array(nO);
    this.logits = new Float64Array(nO);
    this.argmax = new Int32Array(nO);
    this.dLogits = new Float64Array(nO);
    this.gV = new Float64Array(nH);
    this.gI = new Float64Array(nH);
    this.gU = new Float64Array(nH);
    this.gVo = new Float64Array(nO);
    this.gIo = new Float64Array(nO);
    this.gUo = new Float64Array(nO);
    this.jpF = new Float64Array(nIn * nH);
    this.jeF = new Float64Array(nIn * nH);
    this.jpB = new Float64Array(nIn * nH);
    this.jeB = new Float64Array(nIn * nH);
  }

  private jumpFactors(c: LifCoefficients, delta: Float64Array, offset: number, jp: Float64Array, je: Float64Array): void {
    const nH = this.nH;
    if (isUniform(c)) {
      const tm = c.tauMemMs[0]!;
      const ts = c.tauSynMs[0]!;
      for (let i = 0; i < this.nIn; i++) {
        const d = delta[offset + i]!;
        const p = pspKernel(d, tm, ts);
        const e = Math.exp(-d / ts);
        jp.fill(p, i * nH, (i + 1) * nH);
        je.fill(e, i * nH, (i + 1) * nH);
      }
      return;
    }
    for (let i = 0; i < this.nIn; i++) {
      const d = delta[offset + i]!;
      for (let h = 0; h < nH; h++) {
        jp[i * nH + h] = pspKernel(d, c.tauMemMs[h]!, c.tauSynMs[h]!);
        je[i * nH + h] = Math.exp(-d / c.tauSynMs[h]!);
      }
    }
  }

  /**
   * Forward pass of sample `n` of prepared input events (`step`/`delta` are [size × nIn]).
   * Leaves the max-over-time logits in `logits` and returns the predicted class.
   */
  forward(step: Int32Array, delta: Float64Array, n: number, f: KernelSide): number {
    const { nIn, nH, nO, timeSteps: T } = this;
    const off = n * nIn;
    this.jumpFactors(f.hidden, delta, off, this.jpF, this.jeF);
    const { u, s, v, i: cur, vo, io, logits, argmax, jpF, jeF } = this;
    const { alpha, beta, gamma, vLeak, vThreshold, vReset } = f.hidden;
    const oc = f.output;
    const win = f.inputWeights;
    const wout = f.outputWeights;
    const smooth = this.spike.forward === 'smooth';
    const smoothFn = SURROGATE_SHAPES[this.spike.shape].smoothSpike;
    const sBeta = this.spike.beta;
    for (let h = 0; h < nH; h++) {
      v[h] = vLeak[h]!;
      cur[h] = 0;
      u[h] = 0;
      s[h] = 0;
    }
    for (let o = 0; o < nO; o++) {
      vo[o] = oc.vLeak[o]!;
      io[o] = 0;
      logits[o] = -Infinity;
      argmax[o] = 1;
    }
    for (let x = 0; x < nIn; x++) {
      if (step[off + x] !== 0) continue;
      for (let h = 0; h < nH; h++) {
        const w = win[h * nIn + x]!;
        v[h] = v[h]! + w * jpF[x * nH + h]!;
        cur[h] = cur[h]! + w * jeF[x * nH + h]!;
      }
    }
    let spikes = 0;
    for (let k = 1; k <= T; k++) {
      for (let o = 0; o < nO; o++) {
        const el = oc.vLeak[o]!;
        const uo = el + oc.alpha[o]! * (vo[o]! - el) + oc.gamma[o]! * io[o]!;
        io[o] = oc.beta[o]! * io[o]!;
        vo[o] = uo;
        if (uo > logits[o]!) {
          logits[o] = uo;
          argmax[o] = k;
        }
      }
      let inputNow = false;
      for (let x = 0; x < nIn; x++) if (step[off + x] === k) inputNow = true;
      const base = k * nH;
      if (!inputNow) {
        // No input event in this step: one fused pass (the common case).
        if (!smooth) {
          // The real network: Heaviside spikes (s = 1 adds the W_out column to the readout currents).
          for (let h = 0; h < nH; h++) {
            const el = vLeak[h]!;
            const c = cur[h]!;
            const uh = el + alpha[h]! * (v[h]! - el) + gamma[h]! * c;
            cur[h] = beta[h]! * c;
            u[base + h] = uh;
            if (uh >= vThreshold[h]!) {
              s[base + h] = 1;
              v[h] = uh + (vReset[h]! - uh);
              for (let o = 0; o < nO; o++) io[o] = io[o]! + wout[o * nH + h]!;
              spikes++;
            } else {
              s[base + h] = 0;
              v[h] = uh;
            }
          }
          continue;
        }
        for (let h = 0; h < nH; h++) {
          const el = vLeak[h]!;
          const c = cur[h]!;
          const uh = el + alpha[h]! * (v[h]! - el) + gamma[h]! * c;
          cur[h] = beta[h]! * c;
          const sh = smoothFn(uh - vThreshold[h]!, sBeta);
          u[base + h] = uh;
          s[base + h] = sh;
          v[h] = uh + sh * (vReset[h]! - uh);
          for (let o = 0; o < nO; o++) io[o] = io[o]! + wout[o * nH + h]! * sh;
          if (sh !== 0) spikes++;
        }
        continue;
      }
      for (let h = 0; h < nH; h++) {
        const el = vLeak[h]!;
        const c = cur[h]!;
        v[h] = el + alpha[h]! * (v[h]! - el) + gamma[h]! * c;
        cur[h] = beta[h]! * c;
      }
      for (let x = 0; x < nIn; x++) {
        if (step[off + x] !== k) continue;
        for (let h = 0; h < nH; h++) {
          const w = win[h * nIn + x]!;
          v[h] = v[h]! + w * jpF[x * nH + h]!;
          cur[h] = cur[h]! + w * jeF[x * nH + h]!;
        }
      }
      for (let h = 0; h < nH; h++) {
        const uh = v[h]!;
        const sh = smooth ? smoothFn(uh - vThreshold[h]!, sBeta) : uh >= vThreshold[h]! ? 1 : 0;
        u[base + h] = uh;
        s[base + h] = sh;
        if (sh !== 0) {
          v[h] = uh + sh * (vReset[h]! - uh);
          for (let o = 0; o < nO; o++) io[o] = io[o]! + wout[o * nH + h]! * sh;
          spikes++;
        }
      }
    }
    this.lastSpikeCount = spikes;
    let best = 0;
    for (let o = 1; o < nO; o++) if (logits[o]! > logits[best]!) best = o;
    return best;
  }

  /**
   * Cross-entropy of the logits of the last forward pass, and ∂L/∂logit into `dLogits`
   * (scaled by `scale`, e.g. 1/batch size).
   */
  loss(label: number, scale: number): number {
    const { logits, dLogits, nO } = this;
    let max = -Infinity;
    for (let o = 0; o < nO; o++) if (logits[o]! > max) max = logits[o]!;
    let sum = 0;
    for (let o = 0; o < nO; o++) sum += Math.exp(logits[o]! - max);
    const lse = max + Math.log(sum);
    for (let o = 0; o < nO; o++) dLogits[o] = scale * (Math.exp(logits[o]! - lse) - (o === label ? 1 : 0));
    return lse - logits[label]!;
  }

  /**
   * BPTT of the last forward pass (sample `n`), adding ∂L/∂W into `gradInput` [nH × nIn] and
   * `gradOutput` [nO × nH]. `f` must be the forward's side (for ϑ, V_r), `b` the model's.
   */
  backward(step: Int32Array, delta: Float64Array, n: number, f: KernelSide, b: KernelSide, gradInput: Float64Array, gradOutput: Float64Array): void {
    const { nIn, nH, nO, u, s, gV, gI, gU, gVo, gIo, gUo, argmax, dLogits } = this;
    const off = n * nIn;
    let jp = this.jpF;
    let je = this.jeF;
    if (b.hidden !== f.hidden) {
      this.jumpFactors(b.hidden, delta, off, this.jpB, this.jeB);
      jp = this.jpB;
      je = this.jeB;
    }
    const { alpha, beta, gamma } = b.hidden;
    const oc = b.output;
    const vThreshold = f.hidden.vThreshold;
    const vReset = f.hidden.vReset;
    const wout = b.outputWeights;
    const shape = this.shapeId;
    const sb = this.spike.beta;
    const full = this.spike.resetGradient === 'full';
    gV.fill(0);
    gI.fill(0);
    gVo.fill(0);
    gIo.fill(0);
    // Nothing reaches the loss after the last readout maximum: start BPTT there.
    let kLast = 1;
    for (let o = 0; o < nO; o++) if (argmax[o]! > kLast) kLast = argmax[o]!;
    for (let k = kLast; k >= 1; k--) {
      for (let o = 0; o < nO; o++) gUo[o] = gVo[o]! + (argmax[o] === k ? dLogits[o]! : 0);
      let inputNow = false;
      for (let x = 0; x < nIn; x++) if (step[off + x] === k) inputNow = true;
      const base = k * nH;
      // ∂L/∂s_h = Σ_o W_out[o, h]·∂L/∂I_out[o]: unrolled for the usual 3 readouts (same summation order).
      const g0 = gIo[0]!;
      const g1 = nO > 1 ? gIo[1]! : 0;
      const g2 = nO > 2 ? gIo[2]! : 0;
      for (let h = 0; h < nH; h++) {
        const sh = s[base + h]!;
        let ds: number;
        if (nO === 3) ds = 0 + wout[h]! * g0 + wout[nH + h]! * g1 + wout[2 * nH + h]! * g2;
        else {
          ds = 0;
          for (let o = 0; o < nO; o++) ds += wout[o * nH + h]! * gIo[o]!;
        }
        if (sh !== 0) for (let o = 0; o < nO; o++) gradOutput[o * nH + h] = gradOutput[o * nH + h]! + sh * gIo[o]!;
        const uh = u[base + h]!;
        const x = uh - vThreshold[h]!;
        let d: number;
        if (shape === 0) {
          const a = sb * (x < 0 ? -x : x) + 1;
          d = 1 / (a * a);
        } else if (shape === 1) {
          const e = 1 / (1 + Math.exp(-sb * x));
          d = sb * e * (1 - e);
        } else {
          const t = 1 - sb * (x < 0 ? -x : x);
          d = t > 0 ? t : 0;
        }
        const gv = gV[h]!;
        let g = gv * (1 - sh) + ds * d;
        if (full) g += gv * (vReset[h]! - uh) * d;
        if (inputNow) {
          gU[h] = g;
        } else {
          gI[h] = beta[h]! * gI[h]! + gamma[h]! * g;
          gV[h] = alpha[h]! * g;
        }
      }
      if (inputNow) {
        // ∂L/∂U_k and ∂L/∂I_k (before propagating to k − 1) give the input-weight gradients.
        for (let x = 0; x < nIn; x++) {
          if (step[off + x] !== k) continue;
          for (let h = 0; h < nH; h++) gradInput[h * nIn + x] = gradInput[h * nIn + x]! + gU[h]! * jp[x * nH + h]! + gI[h]! * je[x * nH + h]!;
        }
        for (let h = 0; h < nH; h++) {
          const g = gU[h]!;
          gI[h] = beta[h]! * gI[h]! + gamma[h]! * g;
          gV[h] = alpha[h]! * g;
        }
      }
      for (let o = 0; o < nO; o++) {
        const g = gUo[o]!;
        gIo[o] = oc.beta[o]! * gIo[o]! + oc.gamma[o]! * g;
        gVo[o] = oc.alpha[o]! * g;
      }
    }
    for (let x = 0; x < nIn; x++) {
      if (step[off + x] !== 0) continue;
      for (let h = 0; h < nH; h++) gradInput[h * nIn + x] = gradInput[h * nIn + x]! + gV[h]! * jp[x * nH + h]! + gI[h]! * je[x * nH + h]!;
    }
  }

  /**
   * The grid step of each readout's maximum in the last forward pass (a view). Together with
   * `traces()` and `logits` it is what `backward` reads: a pass recorded elsewhere (on a
   * device) is loaded by writing these views.
   */
  peakSteps(): Int32Array {
    return this.argmax;
  }

  /** Recorded pre-reset membrane U[k·nH + h] and spikes of the last forward pass (views, k = 0…T). */
  traces(): { u: Float64Array; s: Float64Array } {
    return { u: this.u, s: this.s };
  }
}

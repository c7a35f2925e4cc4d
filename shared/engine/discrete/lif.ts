/**
 * Current-based LIF neurons with exponential synapses, in discrete time with exact exponential
 * integration (no forward Euler); docs/science/neuron-model.md#discrete-time-surrogate-gradients:
 *
 *   τ_m dV/dt = −(V − E_L) + R·I,   τ_s dI/dt = −I,   input spike of weight w: I ← I + w,
 *   V crosses ϑ upward: spike, V ← V_r.          (R = 1: weights are in voltage units)
 *
 * Over one step of length Δt without events the solution is linear in (V, I):
 *   V(t+Δt) = E_L + α (V − E_L) + γ I,   I(t+Δt) = β I,
 *   α = e^{−Δt/τ_m},  β = e^{−Δt/τ_s},  γ = p(Δt),
 * with the postsynaptic-potential kernel of a unit current jump after time δ
 *   p(δ) = τ_s/(τ_s − τ_m) (e^{−δ/τ_s} − e^{−δ/τ_m})   (τ_m ≠ τ_s),   p(δ) = (δ/τ) e^{−δ/τ}   (τ_m = τ_s = τ).
 * An input spike at time t_i inside step (t_{k−1}, t_k] is integrated exactly too: it adds
 * w·e^{−δ/τ_s} to I_k and w·p(δ) to V_k, δ = t_k − t_i. The threshold is checked on the grid
 * (a spike is emitted at the first grid time with V ≥ ϑ; H(0) = 1), then V is reset.
 *
 * Per-neuron parameter arrays throughout, so an emulated chip can run the same dynamics with
 * its own frozen values (hardwareValue) next to the model's (modelValue).
 */

/** Per-neuron LIF parameters: voltages in model units, time constants in ms; arrays of length n. */
export interface NeuronParams {
  readonly vThreshold: Float64Array;
  readonly vLeak: Float64Array;
  readonly vReset: Float64Array;
  readonly tauMemMs: Float64Array;
  readonly tauSynMs: Float64Array;
}

/** The per-step coefficients of `NeuronParams` for a step of `dtMs` (arrays of length n). */
export interface LifCoefficients extends NeuronParams {
  readonly dtMs: number;
  /** e^{−Δt/τ_m} */
  readonly alpha: Float64Array;
  /** e^{−Δt/τ_s} */
  readonly beta: Float64Array;
  /** p(Δt): the membrane response at the end of a step to unit current at its start. */
  readonly gamma: Float64Array;
}

/** Relative closeness below which τ_m and τ_s are treated as equal (the limit form of p). */
const EQUAL_TAU_REL = 1e-9;

/** p(δ): membrane response at time δ to a unit synaptic-current jump at 0 (V starting at E_L). */
export function pspKernel(deltaMs: number, tauMemMs: number, tauSynMs: number): number {
  if (Math.abs(tauSynMs - tauMemMs) <= EQUAL_TAU_REL * tauMemMs) {
    const x = deltaMs / tauMemMs;
    return x * Math.exp(-x);
  }
  return (tauSynMs / (tauSynMs - tauMemMs)) * (Math.exp(-deltaMs / tauSynMs) - Math.exp(-deltaMs / tauMemMs));
}

export function uniformNeuronParams(
  n: number,
  p: { vThreshold: number; vLeak: number; vReset: number; tauMemMs: number; tauSynMs: number },
): NeuronParams {
  return {
    vThreshold: new Float64Array(n).fill(p.vThreshold),
    vLeak: new Float64Array(n).fill(p.vLeak),
    vReset: new Float64Array(n).fill(p.vReset),
    tauMemMs: new Float64Array(n).fill(p.tauMemMs),
    tauSynMs: new Float64Array(n).fill(p.tauSynMs),
  };
}

/** The per-step coefficients of a layer for step `dtMs`. */
export function discretize(params: NeuronParams, dtMs: number): LifCoefficients {
  const n = params.vThreshold.length;
  const alpha = new Float64Array(n);
  const beta = new Float64Array(n);
  const gamma = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const tm = params.tauMemMs[j]!;
    const ts = params.tauSynMs[j]!;
    alpha[j] = Math.exp(-dtMs / tm);
    beta[j] = Math.exp(-dtMs / ts);
    gamma[j] = pspKernel(dtMs, tm, ts);
  }
  return { ...params, dtMs, alpha, beta, gamma };
}

/** State of a layer of n neurons at one grid time (after input jumps and reset). */
export interface LifState {
  readonly v: Float64Array;
  readonly i: Float64Array;
}

/**
 * One step of a layer, the readable reference (allocates; the training kernels fuse the same
 * equations into their own loops). Arrays of length n:
 *   `jumpV`, `jumpI`: what input events inside the step add to V_k and I_k (exactly integrated);
 *   returns the pre-reset membrane U_k, the spikes s_k = H(U_k − ϑ) and the new state with
 *   V_k = U_k + s_k (V_r − U_k). Without a threshold (`spiking` false) it is a leaky integrator.
 */
export function lifStep(
  state: LifState,
  jumpV: Float64Array,
  jumpI: Float64Array,
  c: LifCoefficients,
  spiking = true,
): { u: Float64Array; spikes: Float64Array; state: LifState } {
  const n = state.v.length;
  const u = new Float64Array(n);
  const spikes = new Float64Array(n);
  const v = new Float64Array(n);
  const i = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const el = c.vLeak[j]!;
    u[j] = el + c.alpha[j]! * (state.v[j]! - el) + c.gamma[j]! * state.i[j]! + jumpV[j]!;
    i[j] = c.beta[j]! * state.i[j]! + jumpI[j]!;
    const s = spiking && u[j]! >= c.vThreshold[j]! ? 1 : 0;
    spikes[j] = s;
    v[j] = s ? c.vReset[j]! : u[j]!;
  }
  return { u, spikes, state: { v, i } };
}

/**
 * The closed-form membrane of one neuron (no threshold) at time t for input spikes
 * (times, weights), from V(0) = E_L, I(0) = 0: V(t) = E_L + Σ_{t_i ≤ t} w_i p(t − t_i).
 * Used to check the discrete integration.
 */
export function closedFormMembrane(
  tMs: number,
  spikeTimesMs: readonly number[],
  weights: readonly number[],
  p: { vLeak: number; tauMemMs: number; tauSynMs: number },
): number {
  let v = p.vLeak;
  for (let k = 0; k < spikeTimesMs.length; k++) {
    const ti = spikeTimesMs[k]!;
    if (ti <= tMs) v += weights[k]! * pspKernel(tMs - ti, p.tauMemMs, p.tauSynMs);
  }
  return v;
}

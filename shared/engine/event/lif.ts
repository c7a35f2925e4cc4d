/**
 * Current-based LIF neuron with exponential synapses, integrated exactly between events.
 *
 *   τ_m dV/dt = −V + I,   τ_s dI/dt = −I,   at an input spike from i: I ← I + w_i,
 *   when V reaches ϑ from below: emit a spike, V ← V_reset (I is unchanged).
 *
 * Units: E_L = 0 and R = 1 (weights are in units of voltage), times in ms of model time.
 * Between events, from a state (V₀, I₀) at s = 0:
 *
 *   I(s) = I₀ e^{−s/τ_s},   V(s) = V₀ e^{−s/τ_m} + I₀ κ(s),
 *   κ(s) = τ_s/(τ_m − τ_s)·(e^{−s/τ_m} − e^{−s/τ_s}) = e^{−s/τ_m}·(s/τ_m)·φ(s·d),
 *   d = 1/τ_s − 1/τ_m,   φ(x) = (1 − e^{−x})/x,  φ(0) = 1,
 *
 * the second form of κ (the PSP kernel) being exact and free of cancellation for every ratio
 * r = τ_m/τ_s, including r = 1 where κ(s) = (s/τ)e^{−s/τ}. Also κ′(s) = (e^{−s/τ_s} − κ(s))/τ_m.
 *
 * Per-neuron parameters are arrays, so an emulated chip can pass each neuron's frozen
 * effective values. Every threshold must be > 0 = E_L and every reset < its threshold.
 */

/** Per-neuron parameters of one layer; every array has one entry per neuron. */
export interface LifLayerParams {
  /** Firing threshold ϑ (> 0, units of voltage with E_L = 0). */
  readonly vThreshold: Float64Array;
  /** Membrane time constant τ_m in ms. */
  readonly tauMemMs: Float64Array;
  /** Synaptic time constant τ_s in ms. */
  readonly tauSynMs: Float64Array;
  /** Potential after a spike (< ϑ); 0 = E_L is the usual choice. */
  readonly vReset: Float64Array;
}

/** Uniform parameters for `size` neurons. */
export function uniformLifParams(
  size: number,
  p: { vThreshold: number; tauMemMs: number; tauSynMs: number; vReset?: number },
): LifLayerParams {
  return {
    vThreshold: new Float64Array(size).fill(p.vThreshold),
    tauMemMs: new Float64Array(size).fill(p.tauMemMs),
    tauSynMs: new Float64Array(size).fill(p.tauSynMs),
    vReset: new Float64Array(size).fill(p.vReset ?? 0),
  };
}

/** φ(x) = (1 − e^{−x})/x with φ(0) = 1, accurate for small |x|. */
export function phi(x: number): number {
  if (Math.abs(x) < 1e-8) return 1 - x / 2;
  return -Math.expm1(-x) / x;
}

/** ψ(y) = ln(1 + y)/y with ψ(0) = 1 (y > −1). */
function psi(y: number): number {
  if (Math.abs(y) < 1e-8) return 1 - y / 2;
  return Math.log1p(y) / y;
}

/** The PSP kernel κ(s) of a unit weight input s ms ago (0 for s < 0). */
export function pspKernel(s: number, tauMemMs: number, tauSynMs: number): number {
  if (s <= 0) return 0;
  const d = 1 / tauSynMs - 1 / tauMemMs;
  return Math.exp(-s / tauMemMs) * (s / tauMemMs) * phi(s * d);
}

/** κ′(s) = dκ/ds = (e^{−s/τ_s} − κ(s))/τ_m for s > 0; 0 for s < 0. */
export function pspKernelSlope(s: number, tauMemMs: number, tauSynMs: number): number {
  if (s < 0) return 0;
  return (Math.exp(-s / tauSynMs) - pspKernel(s, tauMemMs, tauSynMs)) / tauMemMs;
}

/** V(s) of the free evolution from (v0, i0). */
export function membraneAt(s: number, v0: number, i0: number, tauMemMs: number, tauSynMs: number): number {
  return v0 * Math.exp(-s / tauMemMs) + i0 * pspKernel(s, tauMemMs, tauSynMs);
}

/**
 * Time s_e > 0 of the membrane maximum of the free evolution from (v0, i0), or Infinity when
 * V rises for ever (towards 0 from below) or never rises. Only meaningful when V′(0) > 0,
 * i.e. i0 > v0. From V′ ∝ I − V = 0:
 *   s_e = τ_m·ψ(y)·(i0 − v0)/(i0·r),   y = (v0 − i0)(r − 1)/(i0·r),   r = τ_m/τ_s,
 * which is s_e = τ(1 − v0/i0) at r = 1 and stays exact near it.
 */
export function peakTime(v0: number, i0: number, tauMemMs: number, tauSynMs: number): number {
  if (!(i0 > 0) || !(i0 > v0)) return Infinity;
  const r = tauMemMs / tauSynMs;
  const y = ((v0 - i0) * (r - 1)) / (i0 * r);
  if (!(y > -1)) return Infinity;
  return (tauMemMs * psi(y) * (i0 - v0)) / (i0 * r);
}

/**
 * Root of an increasing function f on [lo, hi] with f(lo) < 0 ≤ f(hi): Newton steps,
 * replaced by a bisection step whenever Newton would leave the bracket or does not at least
 * halve the step (the classic "rtsafe" safeguard). `fdf(x, out)` writes f(x) to out[0] and
 * f′(x) to out[1]. Stops when a step is below a few ulp of x; at most 200 evaluations.
 */
export function safeguardedRoot(
  fdf: (x: number, out: Float64Array) => void,
  lo: number,
  hi: number,
  scratch: Float64Array = new Float64Array(2),
): number {
  let dxOld = hi - lo;
  let dx = dxOld;
  let x = 0.5 * (lo + hi);
  fdf(x, scratch);
  for (let iter = 0; iter < 200; iter++) {
    const f = scratch[0]!;
    const df = scratch[1]!;
    if (f === 0) return x;
    if (f < 0) lo = x;
    else hi = x;
    const newtonOutside = ((x - hi) * df - f) * ((x - lo) * df - f) > 0;
    if (newtonOutside || !(df > 0) || Math.abs(2 * f) > Math.abs(dxOld * df)) {
      dxOld = dx;
      dx = 0.5 * (hi - lo);
      x = lo + dx;
    } else {
      dxOld = dx;
      dx = f / df;
      x -= dx;
    }
    if (Math.abs(dx) <= 4 * Number.EPSILON * Math.max(1, Math.abs(x)) || hi - lo <= 4 * Number.EPSILON * Math.max(1, Math.abs(hi))) {
      return x;
    }
    fdf(x, scratch);
  }
  return x;
}

/** Which solver finds the threshold crossing for a ratio r = τ_m/τ_s. */
export type CrossingSolver = 'lambert-w' | 'quadratic' | 'root-finder';

export function crossingSolverFor(tauMemMs: number, tauSynMs: number): CrossingSolver {
  if (tauMemMs === tauSynMs) return 'lambert-w';
  if (tauMemMs === 2 * tauSynMs) return 'quadratic';
  return 'root-finder';
}

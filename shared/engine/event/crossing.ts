/**
 * The next upward threshold crossing of a free LIF evolution (no input in between).
 *
 * From the state (V₀ < ϑ, I₀) at s = 0, V(s) = V₀e^{−s/τ_m} + I₀κ(s) (see lif.ts) has at most
 * one extremum, and ϑ > 0 = E_L. Hence:
 * - I₀ ≤ 0 or V′(0) ≤ 0 (I₀ ≤ V₀): V never exceeds max(V₀, 0) < ϑ → no crossing;
 * - otherwise V rises up to its peak at s_e (peakTime) and falls towards 0 after it; there is
 *   a crossing in [0, h] (h = the horizon, e.g. the next input) iff max V on [0, min(s_e, h)]
 *   — V(min(s_e, h)) — is ≥ ϑ, and V is increasing on that bracket.
 * Reaching ϑ counts as a spike (H(0) = 1): a grazing (tangent) trajectory spikes at its peak.
 * As a peak value carries rounding error, a peak within GRAZING_TOLERANCE (4 ulp) of ϑ counts
 * as reaching it, whichever solver evaluates it.
 *
 * Solvers on the bracket, by the ratio r = τ_m/τ_s:
 * - r = 1 (Lambert W₀): (V₀ + I₀ s/τ)e^{−s/τ} = ϑ ⇔ s = τ(−W₀(z) − V₀/I₀),
 *   z = −(ϑ/I₀)e^{−V₀/I₀}; W₀ (not W₋₁) because the crossing lies before the peak.
 * - r = 2 (quadratic): with X = e^{s/τ_m}, ϑX² − (V₀ + I₀)X + I₀ = 0, earliest root
 *   X = 2I₀ / ((V₀ + I₀) + √((V₀ + I₀)² − 4I₀ϑ)).
 * - any other r: safeguarded Newton/bisection on V(s) − ϑ, V′ = (I − V)/τ_m.
 */
import { lambertW0 } from './lambert-w.ts';
import { type CrossingSolver, crossingSolverFor, membraneAt, peakTime, safeguardedRoot } from './lif.ts';

/**
 * Time s ∈ [0, horizon] (ms after the segment start) at which V first reaches ϑ, or Infinity.
 * `horizon` may be Infinity (no further input).
 */
export function nextCrossing(
  v0: number,
  i0: number,
  vThreshold: number,
  tauMemMs: number,
  tauSynMs: number,
  horizon: number,
): number {
  if (v0 >= vThreshold) return 0;
  if (!(i0 > 0) || !(i0 > v0) || i0 < vThreshold) {
    // V ≤ max(V₀, I₀) on the whole segment (V′ ≤ 0 wherever V ≥ I ≥ I(s)).
    return Infinity;
  }
  const ratio = tauMemMs / tauSynMs;
  if (Math.abs(ratio - 1) > U_SPACE_MIN_RATIO_GAP && ratio !== 2) return crossingInU(v0, i0, vThreshold, tauMemMs, ratio, horizon);
  const sPeak = peakTime(v0, i0, tauMemMs, tauSynMs);
  const hi = Math.min(sPeak, horizon);
  if (!(hi < Infinity)) return Infinity;
  const vHi = membraneAt(hi, v0, i0, tauMemMs, tauSynMs);
  if (vHi < vThreshold * (1 - GRAZING_TOLERANCE)) return Infinity;
  return solveOnBracket(v0, i0, vThreshold, tauMemMs, tauSynMs, hi);
}

/**
 * The crossing in [0, hi], given V(0) < ϑ ≤ V(hi) and V increasing on [0, hi]. `solver`
 * defaults to the one for the ratio (a closed form where one exists); the root finder works
 * for every ratio.
 */
export function solveOnBracket(
  v0: number,
  i0: number,
  vThreshold: number,
  tauMemMs: number,
  tauSynMs: number,
  hi: number,
  solver: CrossingSolver = crossingSolverFor(tauMemMs, tauSynMs),
): number {
  let s: number;
  switch (solver) {
    case 'lambert-w': {
      const ratio = v0 / i0;
      const z = Math.max(-Math.exp(-1), -(vThreshold / i0) * Math.exp(-ratio));
      s = tauMemMs * (-lambertW0(z) - ratio);
      break;
    }
    case 'quadratic': {
      const bsum = v0 + i0;
      const disc = Math.max(0, bsum * bsum - 4 * i0 * vThreshold);
      s = tauMemMs * Math.log((2 * i0) / (bsum + Math.sqrt(disc)));
      break;
    }
    case 'root-finder': {
      const invTauMem = 1 / tauMemMs;
      s = safeguardedRoot(
        (x, out) => {
          const v = membraneAt(x, v0, i0, tauMemMs, tauSynMs);
          out[0] = v - vThreshold;
          out[1] = (i0 * Math.exp(-x / tauSynMs) - v) * invTauMem;
        },
        0,
        hi,
      );
      break;
    }
  }
  // Rounding may put a closed form a hair outside the bracket.
  return s < 0 ? 0 : s > hi ? hi : s;
}

/** Relative distance below ϑ within which a membrane peak counts as reaching ϑ. */
export const GRAZING_TOLERANCE = 4 * Number.EPSILON;

/** Ratios with |r − 1| above this use the u-space solver (no cancellation in K there). */
export const U_SPACE_MIN_RATIO_GAP = 0.05;

/** u^r, by multiplication for small integer r (the common ratios), else Math.pow. */
export function powRatio(u: number, r: number): number {
  switch (r) {
    case 3:
      return u * u * u;
    case 4: {
      const u2 = u * u;
      return u2 * u2;
    }
    case 5: {
      const u2 = u * u;
      return u2 * u2 * u;
    }
    default:
      return Math.pow(u, r);
  }
}

/**
 * The crossing for a ratio r away from 1, in u = e^{−s/τ_m} (so e^{−s/τ_s} = u^r):
 *   g(u) = V(u) − ϑ = P·u + Q·u^r − ϑ,  P = V₀ + I₀K,  Q = −I₀K,  K = τ_s/(τ_m − τ_s),
 * so no exponential is needed per iteration; s = −τ_m ln u at the end. g is concave in u for
 * every r ≠ 1 when I₀ > 0 (g″ = r(r−1)Q·u^{r−2} < 0), g(1) = V₀ − ϑ < 0 and g′(1) < 0 (V rises
 * at s = 0). Newton from u = 1 therefore stays right of the root (earlier in time) and
 * converges monotonically; if instead it reaches g′ ≥ 0 (past the peak with V < ϑ) or a u
 * below u_h = e^{−horizon/τ_m} (the root, if any, lies beyond the horizon), there is no
 * crossing in the segment. A peak within GRAZING_TOLERANCE of ϑ counts as a crossing.
 */
function crossingInU(v0: number, i0: number, theta: number, tauMemMs: number, r: number, horizon: number): number {
  const k = 1 / (r - 1);
  const p = v0 + i0 * k;
  const q = -i0 * k;
  const uH = horizon === Infinity ? 0 : Math.exp(-horizon / tauMemMs);
  const slack = theta * GRAZING_TOLERANCE;
  let u = 1;
  for (let iter = 0; iter < 200; iter++) {
    const ur1 = powRatio(u, r) / u;
    const g = p * u + q * ur1 * u - theta;
    if (g >= -slack) break; // reached ϑ (within rounding)
    const dg = p + r * q * ur1;
    if (!(dg < 0)) return Infinity; // past the peak (in time) without reaching ϑ
    const next = u - g / dg;
    if (next < uH) return Infinity; // the crossing, if any, comes after the horizon
    // Quadratic convergence: after a step below 1e-12·u the error is at the rounding level.
    if (u - next <= 1e-12 * u) {
      u = next;
      break;
    }
    u = next;
  }
  const s = -tauMemMs * Math.log(u);
  return s < 0 ? 0 : s > horizon ? horizon : s;
}

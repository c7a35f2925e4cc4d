/**
 * Principal branch W₀ of the Lambert W function: the solution w ≥ −1 of w·eʷ = z, defined
 * for z ≥ −1/e. Used by the closed-form first spike time of a LIF neuron with τ_m = τ_s
 * (Göltz et al. 2021).
 *
 * Method: an initial guess (branch-point series near z = −1/e, log asymptotics for large z,
 * a rational guess elsewhere), then Halley's iteration
 *   w ← w − f / (eʷ(w+1) − (w+2)·f / (2w+2)),   f = w·eʷ − z,
 * until a step is below 1e-6·(1+|w|) — the error after it is O(step³), at the rounding level —
 * (at most 12 steps; 2–3 are typical).
 */

const INV_E = Math.exp(-1);

/** Coefficients c₀…c₉ of W₀ ≈ Σ c_k p^k on z ∈ [−1/e, 0), p = √(2(e·z + 1)). */
const W0_NEGATIVE = [
  -0.9999999821279764, 0.999998534379518, -0.33330381589266567, 0.15252026596873614, -0.07841419525055086, 0.04101747728713647,
  -0.019468975167923636, 0.007255631280187689, -0.0017693757258969614, 0.00020348260593555203,
];

/** Returns W₀(z); NaN for z < −1/e (beyond a rounding tolerance) or NaN input. */
export function lambertW0(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z === Infinity) return Infinity;
  if (z === 0) return 0;
  const zBranch = z + INV_E;
  if (zBranch <= 0) {
    // z at (or, by rounding, just below) the branch point −1/e: W₀ = −1.
    return zBranch > -1e-15 ? -1 : NaN;
  }
  let w: number;
  if (Math.abs(z) < 1e-4) {
    // Taylor series at 0: W₀(z) = z − z² + 3/2·z³ + O(z⁴).
    w = z * (1 - z * (1 - 1.5 * z));
  } else if (z < 0) {
    // [−1/e, 0): W₀ is smooth in p = √(2(e·z + 1)) ∈ [0, √2]; a degree-9 least-squares
    // polynomial in p (fitted offline to mpmath values) is within 1.8e-8 of W₀, so one Halley
    // step reaches the rounding level. This is the range the τ_m = τ_s spike time uses.
    const p = Math.sqrt(2 * Math.E * zBranch);
    w = W0_NEGATIVE[9]!;
    for (let k = 8; k >= 0; k--) w = w * p + W0_NEGATIVE[k]!;
  } else if (z < 3) {
    // W₀(z) ≈ z(1 + 4/3·z)/(1 + 7/3·z + 5/6·z²) (a Padé-type guess, good to a few %).
    w = (z * (1 + (4 / 3) * z)) / (1 + z * (7 / 3 + (5 / 6) * z));
  } else {
    const l1 = Math.log(z);
    const l2 = Math.log(l1);
    w = l1 - l2 + l2 / l1;
  }
  for (let iter = 0; iter < 12; iter++) {
    const ew = Math.exp(w);
    const f = w * ew - z;
    const wp1 = w + 1;
    if (wp1 === 0) break;
    const denominator = ew * wp1 - ((w + 2) * f) / (2 * wp1);
    const step = f / denominator;
    if (!Number.isFinite(step)) break;
    w -= step;
    // Halley converges cubically: after a step of size δ the error is O(δ³), so a step below
    // 1e-6 leaves an error at the rounding level and another (costly) step is not needed.
    if (Math.abs(step) <= 1e-6 * (1 + Math.abs(w))) break;
  }
  return w < -1 ? -1 : w;
}

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
  if (z < -0.25) {
    // Series around the branch point in p = √(2(e·z + 1)).
    const p = Math.sqrt(2 * Math.E * zBranch);
    w = -1 + p * (1 + p * (-1 / 3 + p * (11 / 72)));
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

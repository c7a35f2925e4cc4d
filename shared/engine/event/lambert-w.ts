/**
 * Principal branch W₀ of the Lambert W function: the solution w ≥ −1 of w·eʷ = z, defined
 * for z ≥ −1/e. Used by the closed-form first spike time of a LIF neuron with τ_m = τ_s
 * (Göltz et al. 2021).
 *
 * Method. On [−1/e, 0) — the range the τ_m = τ_s spike time uses, ~120 calls per training
 * sample — W₀ is an analytic function of p = √(2(e·z + 1)) ∈ [0, √2) (the branch point's square
 * root is taken out), evaluated directly from a piecewise polynomial: 8 equal pieces in p, degree
 * 10 each, Chebyshev interpolants of mpmath's lambertw (50 digits) written in the local variable
 * t ∈ [−1, 1]; evaluated in doubles they are within 9.2e-17 of W₀(p) (checked at 400 points per
 * piece), so no iteration and no exponential is needed. Elsewhere: an initial guess (series at 0,
 * log asymptotics for large z, a rational guess), then Halley's iteration
 *   w ← w − f / (eʷ(w+1) − (w+2)·f / (2w+2)),   f = w·eʷ − z,
 * until a step is below 1e-6·(1+|w|) — the error after it is O(step³), at the rounding level —
 * (at most 12 steps; 2–3 are typical).
 */

const INV_E = Math.exp(-1);
/** 1/e − INV_E: with it, z + 1/e keeps full precision near the branch point (z + INV_E is exact there). */
const INV_E_LO = -1.2428753672788363e-17;

const W0_PIECES = 8;
const W0_PIECE_WIDTH = Math.SQRT2 / W0_PIECES;
/** Per piece k: centre c_k and 1/h_k (half-width h_k), then c₀…c₁₀ of W₀ ≈ Σ c_j t^j, t = (p − c_k)/h_k. */
const W0_TABLE = new Float64Array([
  0.08838834764831845, 11.31370849898476, -0.914114952664927, 0.08347819862679876, -0.002314605319009352, 8.823162958727545e-05, -3.824874275374793e-06, 1.7779490252641637e-07, -8.634986081380617e-09, 4.3218217132086035e-10, -2.2111073015508758e-11, 1.1592443783489832e-12, -6.111465208071467e-14,
  0.2651650429449553, 11.31370849898476, -0.7557671346486595, 0.07516889995543823, -0.0018646058375814659, 6.357060876466454e-05, -2.464835297068983e-06, 1.0248378342314608e-07, -4.452303378670975e-09, 1.9934148361304042e-10, -9.123440613723286e-12, 4.272456523935657e-13, -2.0149839887668503e-14,
  0.4419417382415922, 11.31370849898476, -0.612415612670029, 0.06840187389027438, -0.0015350887224910654, 4.7336203294266304e-05, -1.6600595850591898e-06, 6.24324400746559e-08, -2.4534528900764264e-09, 9.93676710561158e-11, -4.114057131826749e-12, 1.7408941283038116e-13, -7.427412812197696e-15,
  0.6187184335382291, 11.31370849898476, -0.481398238541681, 0.06278099573414248, -0.0012864470419206601, 3.620957540873677e-05, -1.1591159803327973e-06, 3.979264585516142e-08, -1.4274960635969867e-09, 5.277896248324415e-11, -1.994865567035672e-12, 7.699876173477128e-14, -2.9990525903498306e-15,
  0.795495128834866, 11.31370849898476, -0.3607097162070964, 0.058035561857360765, -0.0010941353455966353, 2.8326306427749077e-05, -8.340218973962317e-07, 2.6336000125910493e-08, -8.690229724882282e-10, 2.955549541501224e-11, -1.027591016712455e-12, 3.646231231012417e-14, -1.3064159205414402e-15,
  0.9722718241315028, 11.31370849898476, -0.2488010771017508, 0.05397419974518498, -0.0009422775445016369, 2.2583414417942116e-05, -6.155478155432153e-07, 1.7994021340746772e-08, -5.496858608484435e-10, 1.73075845111698e-11, -5.571098493914732e-13, 1.829243305202576e-14, -6.067901631851892e-16,
  1.1490485194281397, 11.31370849898476, -0.14445042652879148, 0.050457734214589725, -0.0008202318984842181, 1.829962647712659e-05, -4.6430040239496413e-07, 1.2634470766107335e-08, -3.5928907774527945e-10, 1.0531134380637962e-11, -3.1556980477191233e-13, 9.642068093084267e-15, -2.9775587345384745e-16,
  1.3258252147247767, 11.31370849898476, -0.04667653490776715, 0.04738249071520843, -0.0007206462684254119, 1.5038495281247229e-05, -3.5688261333643154e-07, 9.083483178587869e-09, -2.4161060226899746e-10, 6.624165760313206e-12, -1.856699107794233e-13, 5.3047789472223115e-15, -1.5323369840310638e-16,
]);
const W0_STRIDE = 13;

/** Returns W₀(z); NaN for z < −1/e (beyond a rounding tolerance) or NaN input. */
export function lambertW0(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z === Infinity) return Infinity;
  if (z === 0) return 0;
  const zBranch = z + INV_E + INV_E_LO;
  if (zBranch <= 0) {
    // z at (or, by rounding, just below) the branch point −1/e: W₀ = −1.
    return zBranch > -1e-15 ? -1 : NaN;
  }
  let w: number;
  if (Math.abs(z) < 1e-4) {
    // Taylor series at 0: W₀(z) = z − z² + 3/2·z³ + O(z⁴).
    w = z * (1 - z * (1 - 1.5 * z));
  } else if (z < 0) {
    const p = Math.sqrt(2 * Math.E * zBranch);
    const k = Math.min(W0_PIECES - 1, Math.floor(p / W0_PIECE_WIDTH));
    const o = k * W0_STRIDE;
    const t = (p - W0_TABLE[o]!) * W0_TABLE[o + 1]!;
    w = W0_TABLE[o + 12]!;
    for (let j = o + 11; j >= o + 2; j--) w = w * t + W0_TABLE[j]!;
    return w < -1 ? -1 : w;
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

/**
 * Descriptive statistics and the two interval estimates the analysis uses.
 *
 *   mean x̄ = Σ x_i / n,   sample sd s = √( Σ (x_i − x̄)² / (n − 1) )   (0 when n = 1)
 *
 * Paired t interval (Student): for paired differences d_1..d_n,
 *   d̄ ± t_{0.975, n−1} · s_d / √n
 * exact when the d_i are normal, and the usual choice for a handful of chips and seeds.
 *
 * Welch interval, two independent samples a, b:
 *   (ā − b̄) ± t_{0.975, ν} · √(s_a²/n_a + s_b²/n_b),
 *   ν = (s_a²/n_a + s_b²/n_b)² / ( (s_a²/n_a)²/(n_a − 1) + (s_b²/n_b)²/(n_b − 1) )
 *
 * Sign-flip permutation test of mean d = 0: under the null every d_i is as likely −d_i, so the
 * 2^n sign patterns are equally likely; two-sided p = min(1, 2 · min(P(T ≤ t), P(T ≥ t))) with
 * T the mean of the flipped differences and t the observed mean (the definition of
 * scipy.stats.permutation_test with permutation_type='samples').
 *
 * Pairs needed: with the observed d̄ and s_d held fixed, the smallest n with
 *   t_{0.975, n−1} · s_d / √n < |d̄|.
 */
import tQuantileOf from '@stdlib/stats-base-dists-t-quantile';
import { Mt19937 } from '../engine/random.ts';
import type { Stats } from './types.ts';

export function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Sample sd (n − 1); 0 for one value, null for none. */
export function sampleSd(values: readonly number[]): number | null {
  const m = mean(values);
  if (m === null) return null;
  if (values.length < 2) return 0;
  return Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
}

/** Stats of a plain list of numbers (two-pass). */
export function statsOfValues(values: readonly number[]): Stats {
  const n = values.length;
  if (n === 0) return { count: 0, mean: null, sd: null, min: null, max: null };
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { count: n, mean: mean(values), sd: sampleSd(values), min, max };
}

/** Quantile of Student's t distribution with `df` degrees of freedom (df > 0, may be fractional). */
export function tQuantile(p: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`t quantile: df must be > 0, got ${df}`);
  return tQuantileOf(p, df);
}

/** Paired t 95 % interval of the mean difference; null with fewer than 2 differences. */
export function pairedTInterval95(differences: readonly number[]): [number, number] | null {
  const n = differences.length;
  if (n < 2) return null;
  const m = mean(differences)!;
  const half = (tQuantile(0.975, n - 1) * sampleSd(differences)!) / Math.sqrt(n);
  return [m - half, m + half];
}

/** Welch 95 % interval of mean(a) − mean(b); null unless both have ≥ 2 values (or both sds are 0). */
export function welchInterval95(a: readonly number[], b: readonly number[]): [number, number] | null {
  if (a.length < 2 || b.length < 2) return null;
  const va = sampleSd(a)! ** 2 / a.length;
  const vb = sampleSd(b)! ** 2 / b.length;
  const diff = mean(a)! - mean(b)!;
  if (va + vb === 0) return [diff, diff];
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  const half = tQuantile(0.975, df) * Math.sqrt(va + vb);
  return [diff - half, diff + half];
}

const EXACT_SIGN_FLIP_MAX_N = 16;
const SIGN_FLIP_DRAWS = 65_536;

/**
 * Two-sided p-value of the sign-flip permutation test of mean(d) = 0 (see the module comment):
 * exact over all 2^n patterns up to n = 16, else over 2^16 patterns drawn from a fixed seed
 * (so the same data always give the same p). Null for no differences.
 */
export function signFlipPValue(differences: readonly number[]): number | null {
  const n = differences.length;
  if (n === 0) return null;
  const observed = differences.reduce((a, b) => a + b, 0);
  const tolerance = 1e-9 * Math.max(1, ...differences.map(Math.abs));
  let atMost = 0;
  let atLeast = 0;
  const count = (sum: number) => {
    if (sum <= observed + tolerance) atMost++;
    if (sum >= observed - tolerance) atLeast++;
  };
  let total: number;
  if (n <= EXACT_SIGN_FLIP_MAX_N) {
    total = 2 ** n;
    for (let pattern = 0; pattern < total; pattern++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += pattern & (1 << i) ? -differences[i]! : differences[i]!;
      count(sum);
    }
  } else {
    total = SIGN_FLIP_DRAWS;
    const rng = new Mt19937(20_261_202);
    for (let k = 0; k < total; k++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += rng.randomSample() < 0.5 ? -differences[i]! : differences[i]!;
      count(sum);
    }
  }
  return Math.min(1, (2 * Math.min(atMost, atLeast)) / total);
}

const MAX_PAIRS = 10_000;

/**
 * Smallest number of pairs n ≥ 2 with t_{0.975, n−1} · sd / √n < |meanDifference| (the interval
 * would exclude 0 if mean and sd stayed as observed); null when more than 10,000 would be needed.
 */
export function pairsForDecisive(meanDifference: number, sd: number): number | null {
  const target = Math.abs(meanDifference);
  if (target === 0) return null;
  if (sd === 0) return 2;
  const halfWidth = (n: number) => (tQuantile(0.975, n - 1) * sd) / Math.sqrt(n);
  if (halfWidth(MAX_PAIRS) >= target) return null;
  // halfWidth decreases in n: bisect for the first n below the target.
  let lo = 2;
  let hi = MAX_PAIRS;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (halfWidth(mid) < target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

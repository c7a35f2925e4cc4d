/**
 * The Yin-Yang dataset (Kriener, Göltz & Petrovici 2022), bit-exact with the reference
 * generator: numpy legacy `RandomState(seed)`, r_small = 0.1, r_big = 0.5. Publication splits:
 * train 5000 / seed 42, validation 1000 / seed 41, test 1000 / seed 40.
 *
 * Per sample: goal = randint(3); then draw (x, y) = rand(2)·2·r_big until the point lies in
 * the big circle and its class equals the goal. Class: d_R = ‖(x,y) − (1.5 r_big, r_big)‖,
 * d_L = ‖(x,y) − (0.5 r_big, r_big)‖; 2 (dot) if d_R < r_small or d_L < r_small; else 1 (yin)
 * if d_R ≤ r_small or r_small < d_L ≤ 0.5 r_big or (y > r_big and d_R > 0.5 r_big); else 0.
 * Features: [x, y, 1 − x, 1 − y].
 */
import { Mt19937 } from '../random.ts';

export const YINYANG_R_SMALL = 0.1;
export const YINYANG_R_BIG = 0.5;
export const YINYANG_FEATURES = 4;
export const YINYANG_CLASSES = 3;

export type YinYangSplit = 'train' | 'validation' | 'test';

/** The publication's sizes and seeds. */
export const YINYANG_SPLITS: Readonly<Record<YinYangSplit, { size: number; seed: number }>> = {
  train: { size: 5000, seed: 42 },
  validation: { size: 1000, seed: 41 },
  test: { size: 1000, seed: 40 },
};

/**
 * A dataset in flat typed arrays: `features` is [size × 4] row-major ([x, y, 1−x, 1−y] per
 * sample), `labels` is [size] with classes 0 (yang), 1 (yin), 2 (dot).
 */
export interface YinYangData {
  readonly size: number;
  readonly features: Float64Array;
  readonly labels: Int32Array;
}

/** The class of a point (x, y) in [0, 1]², inside the big circle. */
export function yinYangClass(x: number, y: number, rSmall = YINYANG_R_SMALL, rBig = YINYANG_R_BIG): 0 | 1 | 2 {
  const dxR = x - 1.5 * rBig;
  const dxL = x - 0.5 * rBig;
  const dy = y - rBig;
  const dRight = Math.sqrt(dxR * dxR + dy * dy);
  const dLeft = Math.sqrt(dxL * dxL + dy * dy);
  if (dRight < rSmall || dLeft < rSmall) return 2;
  const isYin = dRight <= rSmall || (dLeft > rSmall && dLeft <= 0.5 * rBig) || (y > rBig && dRight > 0.5 * rBig);
  return isYin ? 1 : 0;
}

/** Generates `size` samples from `RandomState(seed)` exactly as the reference generator. */
export function generateYinYang(size: number, seed: number): YinYangData {
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`size must be a non-negative integer, got ${size}`);
  const rng = new Mt19937(seed);
  const features = new Float64Array(size * YINYANG_FEATURES);
  const labels = new Int32Array(size);
  const rBig = YINYANG_R_BIG;
  for (let n = 0; n < size; n++) {
    const goal = rng.randint(3);
    let x: number;
    let y: number;
    for (;;) {
      x = rng.randomSample() * 2 * rBig;
      y = rng.randomSample() * 2 * rBig;
      const dx = x - rBig;
      const dy = y - rBig;
      if (Math.sqrt(dx * dx + dy * dy) > rBig) continue;
      if (yinYangClass(x, y) === goal) break;
    }
    features[n * 4] = x;
    features[n * 4 + 1] = y;
    features[n * 4 + 2] = 1 - x;
    features[n * 4 + 3] = 1 - y;
    labels[n] = goal;
  }
  return { size, features, labels };
}

/** A publication split, or any size/seed when given. */
export function yinYangSplit(split: YinYangSplit, options: { size?: number; seed?: number } = {}): YinYangData {
  const spec = YINYANG_SPLITS[split];
  return generateYinYang(options.size ?? spec.size, options.seed ?? spec.seed);
}

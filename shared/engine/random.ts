/**
 * Seeded randomness for the whole engine: MT19937 with the semantics of numpy's legacy
 * `RandomState` (Matsumoto & Nishimura 1998), so values can be checked against numpy.
 *
 * - `new Mt19937(seed)` seeds with `init_genrand(seed)`, exactly as `RandomState(seed)`.
 * - `nextUint32()` is one tempered 32-bit output.
 * - `randomSample()` is numpy's `random_sample`/`rand`: two outputs a, b give
 *   ((a >>> 5)·2^26 + (b >>> 6)) / 2^53, a double in [0, 1).
 * - `randint(high)` is numpy's legacy `randint(high)` for high ≤ 2^32: draw 32-bit outputs,
 *   keep `u & mask` (mask = smallest 2^k − 1 ≥ high − 1), redraw while it is ≥ high.
 * - `shuffle(array)` is numpy's legacy `shuffle` of a 1-d array (Fisher-Yates from the end,
 *   j = masked-rejection integer in [0, i]).
 * - `normal()` is numpy's legacy `gauss` (Marsaglia polar method, second value cached). The
 *   sequence equals numpy's up to the last bit of `Math.log`/`Math.sqrt`, which JavaScript
 *   does not promise to round like C's libm.
 *
 * There is no global generator: callers pass a generator object in. Independent streams come
 * from `streamFor(seed, purpose)`, which seeds with `init_by_array` on a key built from the
 * seed and the purpose string, so (seed, purpose) always gives the same stream on any worker.
 */

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/** JSON-serialisable generator state (the key, the position and the cached gauss). */
export interface RandomState {
  readonly key: readonly number[];
  readonly pos: number;
  readonly hasGauss: boolean;
  readonly gauss: number;
}

export class Mt19937 {
  private readonly mt = new Uint32Array(N);
  private pos = N;
  private hasGauss = false;
  private gauss = 0;

  /** Seeds with `init_genrand(seed & 0xffffffff)`, as numpy's `RandomState(seed)`. */
  constructor(seed = 0) {
    this.initGenrand(seed);
  }

  /** A generator seeded with `init_by_array(key)` (numpy's seeding for array seeds). */
  static fromKey(key: readonly number[]): Mt19937 {
    const rng = new Mt19937(0);
    rng.initByArray(key);
    return rng;
  }

  private initGenrand(seed: number): void {
    if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]!;
      mt[i] = (Math.imul(1812433253, (prev ^ (prev >>> 30)) >>> 0) + i) >>> 0;
    }
    this.pos = N;
    this.hasGauss = false;
    this.gauss = 0;
  }

  private initByArray(key: readonly number[]): void {
    this.initGenrand(19650218);
    const mt = this.mt;
    const len = Math.max(key.length, 1);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, len); k > 0; k--) {
      const prev = mt[i - 1]!;
      const kj = (key[j] ?? 0) >>> 0;
      mt[i] = (((mt[i]! ^ Math.imul((prev ^ (prev >>> 30)) >>> 0, 1664525)) >>> 0) + kj + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
      if (j >= len) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1]!;
      mt[i] = (((mt[i]! ^ Math.imul((prev ^ (prev >>> 30)) >>> 0, 1566083941)) >>> 0) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
    }
    mt[0] = 0x80000000;
    this.pos = N;
  }

  private twist(): void {
    const mt = this.mt;
    let kk = 0;
    for (; kk < N - M; kk++) {
      const y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
      mt[kk] = mt[kk + M]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; kk < N - 1; kk++) {
      const y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
      mt[kk] = mt[kk + (M - N)]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    const y = (mt[N - 1]! & UPPER_MASK) | (mt[0]! & LOWER_MASK);
    mt[N - 1] = mt[M - 1]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.pos = 0;
  }

  /** One tempered 32-bit output, an integer in [0, 2^32). */
  nextUint32(): number {
    if (this.pos >= N) this.twist();
    let y = this.mt[this.pos++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** numpy `random_sample()`: a double in [0, 1) with 53 random bits. */
  randomSample(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** numpy legacy `randint(high)`: an integer in [0, high) by masked rejection; high ≤ 2^32. */
  randint(high: number): number {
    if (!Number.isInteger(high) || high < 1 || high > 0x100000000) throw new RangeError(`randint high must be in [1, 2^32], got ${high}`);
    return this.interval(high - 1);
  }

  /** An integer in [0, max] by masked rejection (numpy's `random_interval`). */
  private interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let value: number;
    do value = (this.nextUint32() & mask) >>> 0;
    while (value > max);
    return value;
  }

  /** numpy `uniform(low, high)`: low + (high − low)·random_sample(). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.randomSample();
  }

  /** numpy legacy `standard_normal()` / `gauss`: Marsaglia's polar method, second value cached. */
  normal(mean = 0, sd = 1): number {
    if (this.hasGauss) {
      this.hasGauss = false;
      return mean + sd * this.gauss;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2 * this.randomSample() - 1;
      x2 = 2 * this.randomSample() - 1;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1 || r2 === 0);
    const f = Math.sqrt((-2 * Math.log(r2)) / r2);
    this.gauss = f * x1;
    this.hasGauss = true;
    return mean + sd * f * x2;
  }

  /** numpy legacy `shuffle` of a 1-d array, in place. */
  shuffle<T extends { length: number; [i: number]: unknown }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.interval(i);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }

  /** A permutation of 0..n−1 (numpy legacy `permutation(n)`). */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return this.shuffle(out);
  }

  getState(): RandomState {
    return { key: Array.from(this.mt), pos: this.pos, hasGauss: this.hasGauss, gauss: this.gauss };
  }

  setState(state: RandomState): void {
    if (state.key.length !== N || !(state.pos >= 0 && state.pos <= N)) throw new RangeError('invalid MT19937 state');
    this.mt.set(state.key);
    this.pos = state.pos;
    this.hasGauss = state.hasGauss;
    this.gauss = state.gauss;
  }

  static fromState(state: RandomState): Mt19937 {
    const rng = new Mt19937(0);
    rng.setState(state);
    return rng;
  }
}

/** The generator interface the engine passes around (an Mt19937 in practice). */
export type Rng = Mt19937;

/**
 * An independent, reproducible stream for (seed, purpose), e.g. `streamFor(7, 'init')`,
 * `streamFor(7, 'minibatch-order')`. Seeded with `init_by_array` on the key
 * [seed mod 2^32, ⌊seed / 2^32⌋, purpose length, UTF-16 code units of purpose…].
 */
export function streamFor(seed: number, purpose: string): Mt19937 {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  const key = [seed % 0x100000000, Math.floor(seed / 0x100000000), purpose.length];
  for (let i = 0; i < purpose.length; i++) key.push(purpose.charCodeAt(i));
  return Mt19937.fromKey(key);
}

/**
 * Time-to-first-spike (TTFS) encoding of Yin-Yang samples: each of the 4 features v ∈ [0, 1]
 * becomes one input spike at t = t_early + v·(t_late − t_early), and a fifth input neuron
 * spikes at the fixed bias time. Times in milliseconds of model time.
 */
import { YINYANG_FEATURES, type YinYangData } from './yinyang.ts';

export const ENCODED_INPUTS = YINYANG_FEATURES + 1;

export interface TtfsEncoding {
  /** Spike time of feature value 0. */
  readonly tEarlyMs: number;
  /** Spike time of feature value 1. */
  readonly tLateMs: number;
  /** Spike time of the bias input (index 4). */
  readonly biasTimeMs: number;
}

/**
 * Encodes every sample: returns [size × 5] row-major spike times in ms, inputs 0..3 the
 * features [x, y, 1−x, 1−y], input 4 the bias spike.
 */
export function encodeTtfs(data: YinYangData, encoding: TtfsEncoding): Float64Array {
  const { tEarlyMs, tLateMs, biasTimeMs } = encoding;
  const out = new Float64Array(data.size * ENCODED_INPUTS);
  for (let n = 0; n < data.size; n++) {
    for (let f = 0; f < YINYANG_FEATURES; f++) {
      const v = data.features[n * YINYANG_FEATURES + f]!;
      out[n * ENCODED_INPUTS + f] = tEarlyMs + v * (tLateMs - tEarlyMs);
    }
    out[n * ENCODED_INPUTS + YINYANG_FEATURES] = biasTimeMs;
  }
  return out;
}

/**
 * Trial-to-trial noise of the chip: drawn afresh for every sample presentation, from a stream of
 * its own, `streamFor(seed, 'chip-trial-noise:<mismatchSeed>')` (seed = the trial's training
 * seed), kept apart from the frozen fixed-pattern noise of device.ts. σ values are the chip
 * config's noise block × `noiseScale`:
 * - threshold: ϑ_run = ϑ_hw + σ_ϑ · s · ξ per neuron and presentation (s = the span ϑ − E_L);
 * - spike-time jitter: every emitted spike is shifted by σ_t · τ_s · ξ (its neuron's model τ_s);
 * - membrane read-out: each ADC sample carries σ_V · s · ξ before quantisation.
 *
 * To freeze the noise (gradient checks: the chip's loss as a deterministic function of the
 * weights), take `snapshot()` before a run and `restore()` it before each repetition.
 */
import type { ChipConfig } from '../../contracts/trial-common.ts';
import { streamFor, type Mt19937, type RandomState } from '../random.ts';

export class TrialNoise {
  readonly thresholdRelSd: number;
  readonly spikeTimeJitterTauSyn: number;
  readonly membraneRelSd: number;
  /** The generator every draw comes from (exposed so forward kernels can share the stream). */
  readonly rng: Mt19937;

  constructor(config: ChipConfig, seed: number, purpose = 'chip-trial-noise') {
    const k = config.noiseScale;
    this.thresholdRelSd = config.noise.thresholdRelSd * k;
    this.spikeTimeJitterTauSyn = config.noise.spikeTimeJitterTauSyn * k;
    this.membraneRelSd = config.noise.membraneRelSd * k;
    this.rng = streamFor(seed, `${purpose}:${config.mismatchSeed}`);
  }

  /** One standard-normal deviate (0 without drawing when the σ it will be multiplied by is 0). */
  private draw(sd: number): number {
    return sd > 0 ? this.rng.normal() : 0;
  }

  /** Per-presentation thresholds: out[j] = hw[j] + σ_ϑ · span[j] · ξ. */
  noisyThresholds(hardwareThreshold: Float64Array, span: Float64Array, out: Float64Array): Float64Array {
    for (let j = 0; j < out.length; j++) out[j] = hardwareThreshold[j]! + this.thresholdDeviation(span[j]!);
    return out;
  }

  /** One presentation's threshold deviation (model voltage) of a neuron with span `span`. */
  thresholdDeviation(span: number): number {
    const sd = this.thresholdRelSd;
    return sd * span * this.draw(sd);
  }

  /** The jitter (ms) of one spike of a neuron with model time constant `tauSynMs`. */
  spikeJitterMs(tauSynMs: number): number {
    const sd = this.spikeTimeJitterTauSyn;
    return sd * tauSynMs * this.draw(sd);
  }

  /** The read-out noise (model voltage) of one membrane sample of a neuron with span `span`. */
  membraneNoise(span: number): number {
    const sd = this.membraneRelSd;
    return sd * span * this.draw(sd);
  }

  snapshot(): RandomState {
    return this.rng.getState();
  }

  restore(state: RandomState): void {
    this.rng.setState(state);
  }
}

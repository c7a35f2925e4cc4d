/**
 * The emulated chip as a served device (`spikesweep device serve --chip-seed S`): the server is
 * one chip instance, fixed by its mismatch seed; each session's Configure may send the rest of
 * the trial's chip config and its noise stream in `options_json`,
 *
 *   {"chip": {…ChipConfig without or with the same mismatchSeed…}, "noiseSeed": n, "noisePurpose": "…"}
 *
 * so the chip behind the protocol draws exactly what the in-process chip of that trial draws
 * (the same config gives bit-identical runs). A session asking for another mismatch seed is
 * refused: the chip is part of the result.
 */
import { z } from 'zod';
import { DeviceError, ValidationError } from '../contracts/errors.ts';
import { ChipConfig } from '../contracts/trial-common.ts';
import { emulatedChip, type EmulatedDevice } from '../engine/chip/emulated.ts';
import { TrialNoise } from '../engine/chip/noise.ts';
import { adcRead } from '../engine/chip/observe.ts';
import type { ChipSubstrate } from '../engine/chip/substrate.ts';
import { pspKernel } from '../engine/discrete/lif.ts';
import type { ConfigureResult, Device, NetworkSpec, ProbeRequest, ProbeResult, RunRequest, RunResult, SpikeTrainBatch, WeightSet } from '../engine/device/types.ts';
import type { DeviceFactory } from './server.ts';

/** Substeps per observation step in a probe's integration (spike times to dt/100). */
const PROBE_SUBSTEPS = 100;

/**
 * The emulated chip with calibration probes (`probe`), each neuron circuit probed alone with its
 * hardware values: input spikes of `weight` through a probe synapse (gain 1) at `inputTimesMs`,
 * integrated exactly on a fine grid (dt/100; V ← V_r at ϑ_run, the threshold of the repetition
 * with its trial-to-trial noise), the membrane read through the 8-bit ADC with read-out noise at
 * t = k·dt. Probe noise comes from a stream of its own (`chip-probe`), so probing does not shift
 * the noise of runs.
 */
class ProbedChip implements Device {
  private network: NetworkSpec | null = null;
  private readonly probeNoise: TrialNoise;

  constructor(
    private readonly chip: EmulatedDevice,
    private readonly config: ChipConfig,
    noiseSeed: number,
  ) {
    this.probeNoise = new TrialNoise(config, noiseSeed, `chip-probe:${config.mismatchSeed}`);
  }

  capabilities() {
    return this.chip.capabilities();
  }

  async configure(network: NetworkSpec): Promise<ConfigureResult> {
    const r = await this.chip.configure(network);
    this.network = r.ok ? network : null;
    return r;
  }

  updateWeights(weights: WeightSet): Promise<void> {
    return this.chip.updateWeights(weights);
  }

  run(batch: SpikeTrainBatch, request: RunRequest): Promise<RunResult> {
    return this.chip.run(batch, request);
  }

  probe(request: ProbeRequest): Promise<ProbeResult> {
    const network = this.network;
    const layer = network?.layers.find((l) => l.name === request.layer);
    if (!network || !layer) throw new DeviceError('spikesweep:device-rejected', `probe: no layer '${request.layer}' configured`);
    const hw = (this.chip.circuits as ChipSubstrate).neuronParams(layer.name, layer.neurons);
    const size = layer.size;
    const dt = network.dtMs;
    const steps = Math.round(request.durationMs / dt);
    const h = dt / PROBE_SUBSTEPS;
    const inputs = request.kind === 'rest' ? [] : Array.from(request.inputTimesMs).sort((a, b) => a - b);
    const membrane = new Float64Array(request.repetitions * (steps + 1) * size);
    const slots: number[] = [];
    const times: number[] = [];
    const offsets = new Int32Array(request.repetitions + 1);
    const noise = this.probeNoise;
    const m = network.maxSpikesPerNeuron;
        for (let r = 0; r < request.repetitions; r++) {
      const perNeuron: { slot: number; t: number }[] = [];
      for (let j = 0; j < size; j++) {
        const model = layer.neurons;
        const span = Number.isFinite(model.vThreshold[j]!) ? model.vThreshold[j]! - model.vLeak[j]! : 1;
        const theta = Number.isFinite(hw.vThreshold[j]!) ? hw.vThreshold[j]! + noise.thresholdDeviation(span) : Infinity;
        const eL = hw.vLeak[j]!;
        const alpha = Math.exp(-h / hw.tauMemMs[j]!);
        const beta = Math.exp(-h / hw.tauSynMs[j]!);
        const gamma = pspKernel(h, hw.tauMemMs[j]!, hw.tauSynMs[j]!);
        let v = eL;
        let current = 0;
        let next = 0;
        let k = 0;
        for (let s = 0; s <= steps * PROBE_SUBSTEPS; s++) {
          const t = s * h;
          while (next < inputs.length && inputs[next]! <= t + 1e-12) {
            current += request.weight;
            next++;
          }
          if (s % PROBE_SUBSTEPS === 0) membrane[(r * (steps + 1) + s / PROBE_SUBSTEPS) * size + j] = adcRead(v + noise.membraneNoise(span), model.vLeak[j]!, span);
          const vNext = eL + alpha * (v - eL) + gamma * current;
          current *= beta;
          v = vNext;
          if (v >= theta) {
            if (k < m) perNeuron.push({ slot: j * m + k, t: t + h });
            k++;
            v = hw.vReset[j]!;
          }
        }
      }
      perNeuron.sort((a, b) => a.slot - b.slot);
      for (const e of perNeuron) {
        slots.push(e.slot);
        times.push(e.t);
      }
      offsets[r + 1] = slots.length;
    }
    return Promise.resolve({ size, steps, dtMs: dt, membrane, spikes: { offsets, slots: Int32Array.from(slots), timesMs: Float64Array.from(times) } });
  }

  reset(): Promise<void> {
    return this.chip.reset();
  }

  close(): Promise<void> {
    this.network = null;
    return this.chip.close();
  }

  getState(): Promise<unknown> {
    return this.chip.getState();
  }

  setState(state: unknown): Promise<void> {
    return this.chip.setState(state);
  }
}

export const EmulatedChipOptions = z.object({
  chip: z.record(z.string(), z.unknown()).default({}),
  noiseSeed: z.number().int().nonnegative().default(0),
  noisePurpose: z.string().min(1).default('chip-trial-noise'),
});
export type EmulatedChipOptions = z.infer<typeof EmulatedChipOptions>;

export function emulatedChipFactory(mismatchSeed: number): DeviceFactory {
  const invalid = (prefix: string, error: z.ZodError) =>
    new ValidationError('spikesweep:invalid-config', error.issues.map((i) => ({ path: [prefix, ...i.path.map(String)].join('.'), message: i.message })));
  const chipFor = (options: unknown) => {
    const parsed = EmulatedChipOptions.safeParse(options ?? {});
    if (!parsed.success) throw invalid('options_json', parsed.error);
    const asked = parsed.data.chip.mismatchSeed;
    if (asked !== undefined && asked !== mismatchSeed) {
      throw new DeviceError('spikesweep:device-rejected', `options_json.chip.mismatchSeed: this device is chip ${mismatchSeed}, the session asks for chip ${String(asked)}`);
    }
    const chip = ChipConfig.safeParse({ ...parsed.data.chip, mismatchSeed });
    if (!chip.success) throw invalid('options_json.chip', chip.error);
    return new ProbedChip(emulatedChip(chip.data, { noiseSeed: parsed.data.noiseSeed, noisePurpose: parsed.data.noisePurpose }), chip.data, parsed.data.noiseSeed);
  };
  return {
    description: `SpikeSweep's emulated BrainScaleS-2-like chip, mismatch seed ${mismatchSeed}`,
    capabilities: () => chipFor({}).capabilities(),
    create: chipFor,
  };
}

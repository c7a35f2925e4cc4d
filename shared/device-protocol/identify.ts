/**
 * The digital twin: measure a device through its calibration probes and fit a chip profile, the
 * per-neuron LIF parameters of every configured layer (E_L, τ_m, τ_s, ϑ, V_r).
 *
 * Probes (device/types.ts `ProbeRequest`), each neuron alone, membrane on the network's grid:
 * - `rest` → Ê_L = mean of the trace over repetitions and time;
 * - `psp`, one input spike of weight w at t₀ (peak ≈ 0.6 spans, below threshold):
 *   V(t) − E_L = w · p(t − t₀; τ_m, τ_s) with the PSP kernel of a unit current jump
 *   p(δ) = τ_s/(τ_s − τ_m)(e^{−δ/τ_s} − e^{−δ/τ_m}); τ_m, τ_s by least squares on a log grid
 *   around the model values, refined three times. The weight is known and the probe synapse
 *   taken to have gain 1: a free amplitude would make τ_m and τ_s interchangeable (swapping them
 *   only rescales p), so synapse gains are not identified by these probes;
 * - `drive`, a stronger input (≈ 3 spans at the peak): per repetition the first spike t₁ gives
 *   ϑ̂ = Ê_L + w·p(t₁ − t₀), averaged; after the spike the trace is the free trajectory minus
 *   (ϑ − V_r)·e^{−(t−t₁)/τ_m} (the reset is a jump of a linear system), so ϑ − V_r is the
 *   least-squares coefficient of e^{−(t−t₁)/τ_m} in V_free − V_obs over the samples before the
 *   next spike (at most 2τ_m).
 * Errors against the truth (when the device states its parameters, `internals`) are relative:
 * voltages in spans s = ϑ − E_L of the model, time constants as τ̂/τ − 1; RMS over neurons.
 */
import { SpikeSweepError } from '../contracts/errors.ts';
import { pspKernel } from '../engine/discrete/lif.ts';
import type { Device, LayerNeurons, NetworkSpec } from '../engine/device/types.ts';

export const PROFILE_PARAMETERS = ['vThreshold', 'vLeak', 'vReset', 'tauMemMs', 'tauSynMs'] as const;
export type ProfileParameter = (typeof PROFILE_PARAMETERS)[number];

/** A fitted device: per layer of the probed network, per-neuron values (model units). */
export interface ChipProfile {
  readonly schemaVersion: 1;
  readonly deviceId: string;
  readonly deviceKind: string;
  readonly layers: Record<string, Record<ProfileParameter, number[]>>;
  /** What the probes cannot tell apart, stated rather than guessed. */
  readonly notIdentified: string[];
}

export interface IdentifyOptions {
  /** Repetitions of each probe (trial-to-trial noise averages out). */
  readonly repetitions: number;
  /** Input spike time of the psp/drive probes, ms. */
  readonly inputTimeMs: number;
}

export const DEFAULT_IDENTIFY: IdentifyOptions = { repetitions: 32, inputTimeMs: 1 };

const PSP_PEAK_SPANS = 0.6;
const DRIVE_PEAK_SPANS = 3;

/** Peak of the unit PSP kernel (by sampling; p is unimodal). */
function pspPeak(tauMem: number, tauSyn: number): number {
  let best = 0;
  for (let t = 0.01; t < 10 * Math.max(tauMem, tauSyn); t += 0.01) best = Math.max(best, pspKernel(t, tauMem, tauSyn));
  return best;
}

/** Least-squares τ_m, τ_s of y_k ≈ w·p(t_k − t₀) on a log grid around (τm0, τs0), refined. */
export function fitPsp(y: Float64Array, dtMs: number, t0: number, w: number, tauMem0: number, tauSyn0: number): { tauMemMs: number; tauSynMs: number } {
  let cm = tauMem0;
  let cs = tauSyn0;
  let half = 0.5; // ± in log space
  for (let round = 0; round < 4; round++) {
    let best = Infinity;
    let bm = cm;
    let bs = cs;
    const n = 24;
    for (let a = 0; a <= n; a++) {
      const tm = cm * Math.exp(-half + (2 * half * a) / n);
      for (let b = 0; b <= n; b++) {
        const ts = cs * Math.exp(-half + (2 * half * b) / n);
        let sse = 0;
        for (let k = 0; k < y.length; k++) {
          const d = y[k]! - w * (k * dtMs > t0 ? pspKernel(k * dtMs - t0, tm, ts) : 0);
          sse += d * d;
        }
        if (sse < best) {
          best = sse;
          bm = tm;
          bs = ts;
        }
      }
    }
    cm = bm;
    cs = bs;
    half = (half * 4) / 24;
  }
  return { tauMemMs: cm, tauSynMs: cs };
}

/** Fits the profile of every layer of `network` (already configured on `device`). */
export async function identifyDevice(device: Device, network: NetworkSpec, options: IdentifyOptions = DEFAULT_IDENTIFY): Promise<ChipProfile> {
  const caps = await device.capabilities();
  const layers: ChipProfile['layers'] = {};
  const reps = options.repetitions;
  const t0 = options.inputTimeMs;
  for (const layer of network.layers) {
    const model = layer.neurons;
    const n = layer.size;
    const out: Record<ProfileParameter, number[]> = { vThreshold: [], vLeak: [], vReset: [], tauMemMs: [], tauSynMs: [] };
    const span = (j: number) => (Number.isFinite(model.vThreshold[j]!) ? model.vThreshold[j]! - model.vLeak[j]! : 1);
    const tauMax = Math.max(...model.tauMemMs, ...model.tauSynMs);
    const duration = t0 + 6 * tauMax;
    const rest = await device.probe({ kind: 'rest', layer: layer.name, weight: 0, inputTimesMs: new Float64Array(0), durationMs: duration, repetitions: reps });
    const steps = rest.steps;
    const at = (r: { membrane: Float64Array; size: number; steps: number }, rep: number, k: number, j: number) => r.membrane[(rep * (r.steps + 1) + k) * r.size + j]!;
    const eL = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let rep = 0; rep < reps; rep++) for (let k = 0; k <= steps; k++) sum += at(rest, rep, k, j);
      eL[j] = sum / (reps * (steps + 1));
    }
    // one psp probe per distinct (span, τ) setting would be exact; the methods' layers are uniform
    const wPsp = (PSP_PEAK_SPANS * span(0)) / pspPeak(model.tauMemMs[0]!, model.tauSynMs[0]!);
    const psp = await device.probe({ kind: 'psp', layer: layer.name, weight: wPsp, inputTimesMs: Float64Array.of(t0), durationMs: duration, repetitions: reps });
    const tauMem = new Float64Array(n);
    const tauSyn = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      const y = new Float64Array(psp.steps + 1);
      for (let k = 0; k <= psp.steps; k++) {
        let sum = 0;
        for (let rep = 0; rep < reps; rep++) sum += at(psp, rep, k, j);
        y[k] = sum / reps - eL[j]!;
      }
      const fit = fitPsp(y, psp.dtMs, t0, wPsp, model.tauMemMs[j]!, model.tauSynMs[j]!);
      tauMem[j] = fit.tauMemMs;
      tauSyn[j] = fit.tauSynMs;
    }
    const spiking = model.vThreshold.some((v) => Number.isFinite(v));
    const theta = new Float64Array(n).fill(Infinity);
    const vReset = Float64Array.from(eL);
    if (spiking) {
      const wDrive = (DRIVE_PEAK_SPANS * span(0)) / pspPeak(model.tauMemMs[0]!, model.tauSynMs[0]!);
      const drive = await device.probe({ kind: 'drive', layer: layer.name, weight: wDrive, inputTimesMs: Float64Array.of(t0), durationMs: duration, repetitions: reps });
      const m = network.maxSpikesPerNeuron;
      const free = (j: number, t: number) => eL[j]! + (t > t0 ? wDrive * pspKernel(t - t0, tauMem[j]!, tauSyn[j]!) : 0);
      for (let j = 0; j < n; j++) {
        const first: number[] = [];
        const second: number[] = [];
        for (let rep = 0; rep < reps; rep++) {
          let t1 = Infinity;
          let t2 = Infinity;
          for (let e = drive.spikes.offsets[rep]!; e < drive.spikes.offsets[rep + 1]!; e++) {
            const slot = drive.spikes.slots[e]!;
            if (slot === j * m) t1 = drive.spikes.timesMs[e]!;
            if (slot === j * m + 1) t2 = drive.spikes.timesMs[e]!;
          }
          first.push(t1);
          second.push(t2);
        }
        const fired = first.filter((t) => Number.isFinite(t));
        if (fired.length === 0) throw new SpikeSweepError('spikesweep:device-malformed', `identify: neuron ${j} of '${layer.name}' did not fire under the drive probe (weight ${wDrive})`);
        theta[j] = fired.reduce((s, t) => s + free(j, t), 0) / fired.length;
        // ϑ − V_r: coefficient of e^{−(t−t₁)/τ_m} in V_free − V_obs after the spike
        let num = 0;
        let den = 0;
        for (let rep = 0; rep < reps; rep++) {
          const t1 = first[rep]!;
          if (!Number.isFinite(t1)) continue;
          const end = Math.min(second[rep]!, t1 + 2 * tauMem[j]!);
          for (let k = Math.ceil(t1 / drive.dtMs); k <= drive.steps && k * drive.dtMs < end; k++) {
            const t = k * drive.dtMs;
            if (t <= t1) continue;
            const e = Math.exp(-(t - t1) / tauMem[j]!);
            num += (free(j, t) - at(drive, rep, k, j)) * e;
            den += e * e;
          }
        }
        vReset[j] = den > 0 ? theta[j]! - num / den : NaN;
      }
    }
    out.vLeak = Array.from(eL);
    out.tauMemMs = Array.from(tauMem);
    out.tauSynMs = Array.from(tauSyn);
    out.vThreshold = Array.from(theta, (v) => (Number.isFinite(v) ? v : Number.POSITIVE_INFINITY));
    out.vReset = Array.from(vReset);
    layers[layer.name] = out;
  }
  return { schemaVersion: 1, deviceId: caps.id, deviceKind: caps.kind, layers, notIdentified: ['synapse gains (the probes assume a probe synapse of gain 1)'] };
}

/** The profile's values of one layer as LayerNeurons. */
export function profileNeurons(profile: ChipProfile, layer: string): LayerNeurons {
  const l = profile.layers[layer];
  if (!l) throw new SpikeSweepError('spikesweep:invalid-input', `profile: no layer '${layer}'`);
  return {
    vThreshold: Float64Array.from(l.vThreshold),
    vLeak: Float64Array.from(l.vLeak),
    vReset: Float64Array.from(l.vReset),
    tauMemMs: Float64Array.from(l.tauMemMs),
    tauSynMs: Float64Array.from(l.tauSynMs),
  };
}

/** RMS relative error per parameter and layer against the truth (voltages in spans, τ relative). */
export function profileErrors(profile: ChipProfile, network: NetworkSpec, truth: Readonly<Record<string, LayerNeurons>>): Record<string, Record<ProfileParameter, number>> {
  const out: Record<string, Record<ProfileParameter, number>> = {};
  for (const layer of network.layers) {
    const fit = profileNeurons(profile, layer.name);
    const real = truth[layer.name];
    if (!real) continue;
    const errors = {} as Record<ProfileParameter, number>;
    for (const p of PROFILE_PARAMETERS) {
      let sum = 0;
      let count = 0;
      for (let j = 0; j < layer.size; j++) {
        const span = Number.isFinite(layer.neurons.vThreshold[j]!) ? layer.neurons.vThreshold[j]! - layer.neurons.vLeak[j]! : 1;
        const f = fit[p][j]!;
        const r = real[p][j]!;
        if (!Number.isFinite(r)) continue;
        const e = p === 'tauMemMs' || p === 'tauSynMs' ? f / r - 1 : (f - r) / span;
        sum += e * e;
        count++;
      }
      errors[p] = count > 0 ? Math.sqrt(sum / count) : NaN;
    }
    out[layer.name] = errors;
  }
  return out;
}

/** Calibration residuals of the emulated chip (shared/engine/chip/README.md, chip 0, 5-120-3): the twin's goal. */
export const CHIP_CALIBRATION_RESIDUALS: Readonly<Record<ProfileParameter, number>> = { vThreshold: 0.0041, vLeak: 0.0014, vReset: 0.0014, tauMemMs: 0.0072, tauSynMs: 0.003 };

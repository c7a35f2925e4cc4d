/**
 * Seeded synthetic sweeps: valid SweepRecords and TrialResults with plausible accuracies,
 * learning curves, costs and failures, for the store's contract tests, the dashboard's
 * browser test and the summary benchmark. Not a model of anything: the numbers only have
 * to be reproducible and varied (per-method levels, lr × β optimum, chip and seed offsets).
 */
import { streamFor } from '../engine/random.ts';
import { trialIdOf, type EpochMetrics, type SweepRecord, type TrialResult, type TrialConfig } from '../contracts/index.ts';
import { canonicalJson } from '../contracts/index.ts';
import { createHash } from 'node:crypto';

export interface SyntheticSweepOptions {
  sweepId: string;
  seed: number;
  methods?: string[];
  modes?: string[];
  learningRates?: number[];
  betas?: number[];
  trainingSeeds?: number;
  chips?: number;
  epochs?: number;
  /** Further chips each on-chip trial is evaluated on. */
  evaluateOnChips?: number;
}

export interface SyntheticSweep {
  sweep: SweepRecord;
  results: TrialResult[];
}

const METHOD_LEVEL: Record<string, number> = { surrogate: 0.93, 'spike-time': 0.945, eventprop: 0.955 };
const MODE_SHIFT: Record<string, number> = { simulation: 0.01, 'in-the-loop': 0, transfer: -0.04 };

function idOf(config: Record<string, unknown>): string {
  try {
    return trialIdOf(config as TrialConfig);
  } catch {
    return createHash('sha256').update(canonicalJson(config)).digest('hex').slice(0, 24);
  }
}

export function syntheticSweep(o: SyntheticSweepOptions): SyntheticSweep {
  const methods = o.methods ?? ['surrogate', 'spike-time', 'eventprop'];
  const modes = o.modes ?? ['simulation', 'in-the-loop', 'transfer'];
  const lrs = o.learningRates ?? [0.001, 0.002, 0.005];
  const betas = o.betas ?? [50, 100];
  const seeds = o.trainingSeeds ?? 2;
  const chips = o.chips ?? 3;
  const epochs = o.epochs ?? 12;
  const extraChips = o.evaluateOnChips ?? 2;
  const rng = streamFor(o.seed, 'synthetic-sweep');
  const chipOffset = Array.from({ length: chips + extraChips }, () => rng.normal(0, 0.006));
  const trials: SweepRecord['trials'] = [];
  const results: TrialResult[] = [];
  for (const method of methods)
    for (const mode of modes)
      for (const learningRate of lrs)
        for (const beta of betas)
          for (let seed = 0; seed < seeds; seed++)
            for (let chip = 0; chip < chips; chip++) {
              const evaluateOnChips = mode === 'simulation' ? [] : Array.from({ length: extraChips }, (_, k) => chips + k);
              const config: Record<string, unknown> = {
                method,
                mode,
                seed,
                chip: { mismatchSeed: chip, mismatchScale: 1, noiseScale: 1, calibrated: true },
                evaluateOnChips,
                training: { epochs, learningRate, batchSize: 32 },
                surrogate: { beta },
              };
              const trialId = idOf(config);
              trials.push({ trialId, config });
              const lrPenalty = 0.02 * Math.log(learningRate / 0.002) ** 2;
              const betaPenalty = 0.01 * ((beta - 100) / 100) ** 2;
              const level = (METHOD_LEVEL[method] ?? 0.9) + (MODE_SHIFT[mode] ?? 0) - lrPenalty - betaPenalty;
              const chipAcc = (c: number) => (mode === 'simulation' ? 0 : (chipOffset[c] ?? 0));
              const draw = rng.randomSample();
              const status: TrialResult['status'] = draw < 0.03 ? 'diverged' : draw < 0.05 ? 'failed' : 'completed';
              // accuracies on 1000-sample splits are multiples of 1/1000, as the engine reports them
              const clamp = (x: number) => Math.round(1000 * Math.min(1, Math.max(0, x))) / 1000;
              const final = clamp(level + chipAcc(chip) + rng.normal(0, 0.005));
              const curve: EpochMetrics[] = [];
              const ran = status === 'completed' ? epochs : 1 + Math.floor(rng.randomSample() * epochs);
              for (let e = 1; e <= ran; e++) {
                const v = clamp(final * (1 - Math.exp(-(e * 3) / epochs)) + rng.normal(0, 0.003));
                curve.push({
                  epoch: e,
                  trainLoss: 1 - v,
                  trainAccuracy: v,
                  validationAccuracy: v,
                  learningRate: learningRate * 0.99 ** (e - 1),
                  wallTimeMs: 800 + Math.round(rng.randomSample() * 400) * (method === 'surrogate' ? 2 : 1),
                });
              }
              const onChip = mode !== 'simulation';
              const hardwareTimeMs = onChip ? (mode === 'in-the-loop' ? 40 * ran : 2) * (method === 'surrogate' ? 3 : 1) : 0;
              results.push({
                schemaVersion: 1,
                trialId,
                config,
                status,
                error: status === 'completed' ? null : `synthetic ${status}`,
                testAccuracy: status === 'completed' ? final : null,
                validationAccuracy: status === 'completed' ? (curve.at(-1)?.validationAccuracy ?? null) : null,
                trainAccuracy: status === 'completed' ? (curve.at(-1)?.trainAccuracy ?? null) : null,
                bestEpoch: status === 'completed' ? ran : 0,
                epochs: curve,
                wallTimeMs: curve.reduce((a, e) => a + e.wallTimeMs, 0),
                hardwareTimeMs,
                energyJ: hardwareTimeMs * 0.2e-3,
                chipRuns: onChip ? (mode === 'in-the-loop' ? 5000 * ran : 1000) : 0,
                readoutBytesPerSample: method === 'surrogate' && onChip ? 120 * 256 : onChip ? 24 : 0,
                chipEvaluations:
                  status === 'completed' ? evaluateOnChips.map((c) => ({ mismatchSeed: c, testAccuracy: clamp(final + chipAcc(c) - chipAcc(chip)) })) : [],
                engineVersion: 'synthetic',
              });
            }
  const axes = ['method', 'mode', 'training.learningRate', 'surrogate.beta', 'seed', 'chip.mismatchSeed'];
  return {
    sweep: {
      sweepId: o.sweepId,
      name: `synthetic ${o.sweepId}`,
      spec: { synthetic: true, seed: o.seed },
      createdAt: '2026-01-01T00:00:00.000Z',
      trials,
      axes,
      status: 'running',
    },
    results,
  };
}

/**
 * A trial engine that trains nothing, for measuring the platform alone (bench/platform-*.ts)
 * and for testing the pool without the numerical core. Each epoch returns metrics that are a
 * deterministic function of the trial id and the epoch, so resuming from a checkpoint gives
 * the same result as running through. `NOOP_ENGINE_EPOCH_MS` (env) busy-waits per epoch to
 * stand in for CPU-bound work.
 */
import { createHash } from 'node:crypto';
import { trialIdOf, type EpochMetrics, type TrialCheckpoint, type TrialConfig, type TrialResult } from '../contracts/index.ts';
import type { TrialSession } from './engine.ts';

const epochMs = Number(process.env.NOOP_ENGINE_EPOCH_MS ?? '0');

function fractionOf(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) / 2 ** 32;
}

export function startTrial(config: TrialConfig, resumeFrom?: TrialCheckpoint): TrialSession {
  const trialId = trialIdOf(config);
  const epochs: EpochMetrics[] = resumeFrom ? [...resumeFrom.epochs] : [];
  const total = config.training.epochs;
  let stopped: 'pruned' | null = null;
  return {
    get finished() {
      return epochs.length >= total;
    },
    get epochsDone() {
      return epochs.length;
    },
    runEpoch() {
      const until = performance.now() + epochMs;
      while (performance.now() < until) {
        /* stands in for training */
      }
      const epoch = epochs.length + 1;
      const accuracy = Math.min(1, 0.5 + 0.45 * fractionOf(`${trialId}:${epoch}`) * (epoch / total));
      const metrics: EpochMetrics = {
        epoch,
        trainLoss: 1 - accuracy,
        trainAccuracy: accuracy,
        validationAccuracy: accuracy,
        learningRate: config.training.learningRate,
        wallTimeMs: epochMs,
      };
      epochs.push(metrics);
      return metrics;
    },
    checkpoint() {
      return { trialId, epochsDone: epochs.length, epochs: [...epochs], elapsedWallTimeMs: 0, state: { epochs: epochs.length } };
    },
    finish(stop) {
      stopped = stop ?? null;
      const last = epochs[epochs.length - 1];
      const result: TrialResult = {
        schemaVersion: 1,
        trialId,
        config: config as unknown as Record<string, unknown>,
        status: stopped ?? 'completed',
        error: null,
        testAccuracy: last?.validationAccuracy ?? null,
        validationAccuracy: last?.validationAccuracy ?? null,
        trainAccuracy: last?.trainAccuracy ?? null,
        bestEpoch: epochs.length,
        epochs: [...epochs],
        wallTimeMs: epochMs * epochs.length,
        hardwareTimeMs: 0,
        energyJ: 0,
        chipRuns: 0,
        readoutBytesPerSample: 0,
        chipEvaluations: [],
        engineVersion: 'noop',
      };
      return result;
    },
  };
}

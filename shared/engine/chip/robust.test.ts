import { describe, expect, it } from 'vitest';
import { parseTrialConfig, type TrialConfigInput } from '../../contracts/trial.ts';
import { streamFor } from '../random.ts';
import { runTrial, startTrial } from '../trial.ts';
import { sampleDeviceConfig } from './robust.ts';

const small = (method: 'surrogate' | 'spike-time' | 'eventprop', extra: Partial<TrialConfigInput> & Record<string, unknown> = {}) =>
  parseTrialConfig({
    method,
    mode: 'robust-transfer',
    dataset: { trainSize: 90, validationSize: 40, testSize: 60 },
    training: { epochs: 2, batchSize: 30 },
    chip: { calibrated: false },
    evaluateOnChips: [1, 2],
    robustTransfer: { validationChips: 1 },
    ...extra,
  });

describe('robust-transfer', () => {
  it('samples devices from the chip model: fresh seeds, never a deployment chip, in the configured ranges', () => {
    const config = parseTrialConfig({ method: 'spike-time', chip: { temperatureC: 30, ageHours: 10, mismatchScale: 0.5 }, robustTransfer: { temperatureSpreadC: 5, ageSpreadHours: 100, mismatchScale: 2 } });
    const rng = streamFor(0, 'test');
    const seen = new Set<number>();
    for (let k = 0; k < 50; k++) {
      const d = sampleDeviceConfig(config, rng, new Set([0]));
      expect(d.mismatchSeed).not.toBe(0);
      seen.add(d.mismatchSeed);
      expect(d.temperatureC).toBeGreaterThanOrEqual(25);
      expect(d.temperatureC).toBeLessThanOrEqual(35);
      expect(d.ageHours).toBeGreaterThanOrEqual(10);
      expect(d.ageHours).toBeLessThanOrEqual(110);
      expect(d.mismatchScale).toBe(1);
    }
    expect(seen.size).toBe(50);
    // a drawn seed in the excluded set is skipped, not returned
    const first = sampleDeviceConfig(config, streamFor(0, 'test'), new Set()).mismatchSeed;
    expect(sampleDeviceConfig(config, streamFor(0, 'test'), new Set([first])).mismatchSeed).not.toBe(first);
  });

  it.each(['surrogate', 'spike-time', 'eventprop'] as const)('%s: trains on sampled devices (not the ideal model), deploys like transfer, costs only the deployments', async (method) => {
    const robust = await runTrial(small(method));
    expect(robust.status).toBe('completed');
    expect(robust.chipEvaluations.map((e) => e.mismatchSeed)).toEqual([1, 2]);
    const transfer = await runTrial(small(method, { mode: 'transfer' }));
    // the same initial network and minibatch order, but forward passes on devices: other losses
    expect(robust.epochs[0]!.trainLoss).not.toBe(transfer.epochs[0]!.trainLoss);
    // chip time = the final deployments only (test, validation, train on chip 0; test on chips 1, 2)
    expect(robust.chipRuns).toBe(60 + 40 + 90 + 2 * 60);
    expect(robust.chipRuns).toBe(transfer.chipRuns);
  });

  it('resumes from a checkpoint bit-identically, with the worst-case step on', async () => {
    const config = small('spike-time', { training: { epochs: 3, batchSize: 30 }, robustTransfer: { validationChips: 1, adversarialRelativeStep: 0.05, resample: 'epoch' } });
    const whole = await runTrial(config);
    const first = startTrial(config);
    await first.runEpoch();
    const resumed = startTrial(config, JSON.parse(JSON.stringify(first.checkpoint())));
    while (!resumed.finished) await resumed.runEpoch();
    const r = await resumed.finish();
    expect(r.epochs.map((e) => e.trainLoss)).toEqual(whole.epochs.map((e) => e.trainLoss));
    expect(r.epochs.map((e) => e.validationAccuracy)).toEqual(whole.epochs.map((e) => e.validationAccuracy));
    expect(r.chipEvaluations).toEqual(whole.chipEvaluations);
  });
});

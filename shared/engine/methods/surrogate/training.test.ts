import { describe, expect, it } from 'vitest';
import { parseTrialConfig } from '../../../contracts/index.ts';
import { runTrial } from '../../trial.ts';

/**
 * The CI version of the accuracy study (bench/surrogate-study.ts runs the full one): the
 * default surrogate config on a reduced Yin-Yang (1000 training samples, 20 epochs, a faster
 * learning rate) must keep a test accuracy floor. Seeded, so the number is reproducible; the
 * floor sits 3 points below what it reaches (89.6 % test, 93.0 % validation at epoch 19) to catch regressions.
 */
describe('surrogate training (reduced Yin-Yang)', () => {
  it('reaches the accuracy floor in 20 epochs on 1000 samples', async () => {
    const result = await runTrial(
      parseTrialConfig({
        method: 'surrogate',
        seed: 1,
        dataset: { trainSize: 1000, validationSize: 300, testSize: 1000 },
        training: { epochs: 20, learningRate: 0.005, batchSize: 25 },
      }),
    );
    expect(result.status).toBe('completed');
    expect(result.testAccuracy).toBeGreaterThanOrEqual(0.865);
    expect(result.epochs[result.epochs.length - 1]!.trainLoss).toBeLessThan(result.epochs[0]!.trainLoss);
  });
});

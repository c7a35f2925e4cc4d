import { describe, expect, it } from 'vitest';
import { parseTrialConfig } from '../../contracts/trial.ts';
import { runTrial } from '../trial.ts';

/**
 * The chip study of bench/chip-study.ts in small (spike-time, 1000 training samples, 15 epochs,
 * two uncalibrated chips at the default mismatch): deploying a simulation-trained network loses
 * accuracy, training in the loop on each chip recovers it. Full study: shared/engine/chip/README.md.
 */
describe('chip study, small version', () => {
  it('spike-time: transfer loses ≥ 5 points on uncalibrated chips; in-the-loop stays within 2 of simulation', async () => {
    const base = { method: 'spike-time', dataset: { trainSize: 1000, validationSize: 300, testSize: 500 }, training: { epochs: 15 } } as const;
    const chips = [0, 2];
    const sim = await runTrial(parseTrialConfig({ ...base, mode: 'simulation', chip: { calibrated: false }, evaluateOnChips: chips }));
    const transfer = sim.chipEvaluations.map((e) => e.testAccuracy);
    const loop: number[] = [];
    for (const mismatchSeed of chips) loop.push((await runTrial(parseTrialConfig({ ...base, mode: 'in-the-loop', chip: { calibrated: false, mismatchSeed } }))).testAccuracy!);
    const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
    expect(sim.testAccuracy!).toBeGreaterThan(0.75);
    expect(mean(transfer)).toBeLessThan(sim.testAccuracy! - 0.05);
    expect(mean(loop)).toBeGreaterThan(sim.testAccuracy! - 0.02);
  });
});

import { describe, expect, it } from 'vitest';
import { parseTrialConfig, type TrialConfigInput } from '../../contracts/trial.ts';
import { runTrial, startTrial } from '../trial.ts';

const small = (extra: Partial<TrialConfigInput> & Record<string, unknown>) =>
  parseTrialConfig({
    method: 'surrogate',
    dataset: { trainSize: 120, validationSize: 60, testSize: 100 },
    training: { epochs: 2, batchSize: 30 },
    ...extra,
  });

describe('chip modes (surrogate)', () => {
  it('in-the-loop trains on the chip and reports its costs; the same config gives the same result', async () => {
    const config = small({ mode: 'in-the-loop', evaluateOnChips: [3, 4] });
    const a = await runTrial(config);
    expect(a.status).toBe('completed');
    // 2 epochs × (120 train + 60 validation) + final test, validation, train + 2 chips × 100 test
    expect(a.chipRuns).toBe(2 * 180 + 280 + 200);
    expect(a.hardwareTimeMs).toBeCloseTo((a.chipRuns * 40) / 1000, 9);
    expect(a.energyJ).toBeGreaterThan(0.15 * (a.hardwareTimeMs / 1000));
    expect(a.chipEvaluations.map((e) => e.mismatchSeed)).toEqual([3, 4]);
    const b = await runTrial(config);
    expect({ ...b, wallTimeMs: 0, epochs: b.epochs.map((e) => ({ ...e, wallTimeMs: 0 })) }).toEqual({
      ...a,
      wallTimeMs: 0,
      epochs: a.epochs.map((e) => ({ ...e, wallTimeMs: 0 })),
    });
  });

  it('in-the-loop resumes from a checkpoint bit-identically (noise stream and cost totals included)', async () => {
    const config = small({ mode: 'in-the-loop', training: { epochs: 3, batchSize: 30 } });
    const whole = await runTrial(config);
    const first = startTrial(config);
    await first.runEpoch();
    const resumed = startTrial(config, JSON.parse(JSON.stringify(first.checkpoint())));
    while (!resumed.finished) await resumed.runEpoch();
    const r = (await resumed.finish());
    expect(r.epochs.map((e) => e.validationAccuracy)).toEqual(whole.epochs.map((e) => e.validationAccuracy));
    expect(r.epochs.map((e) => e.trainLoss)).toEqual(whole.epochs.map((e) => e.trainLoss));
    expect(r.testAccuracy).toBe(whole.testAccuracy);
    expect(r.chipRuns).toBe(whole.chipRuns);
  });

  it('the chip changes the forward pass: in-the-loop differs from simulation, and an ideal chip almost does not', async () => {
    const sim = await runTrial(small({ mode: 'simulation' }));
    const loop = await runTrial(small({ mode: 'in-the-loop', chip: { calibrated: false, mismatchScale: 2 } }));
    expect(loop.epochs[0]!.trainLoss).not.toBe(sim.epochs[0]!.trainLoss);
    const ideal = await runTrial(small({ mode: 'in-the-loop', chip: { calibrated: false, mismatchScale: 0, noiseScale: 0 } }));
    // only the 6-bit weights and the ADC reading remain
    expect(Math.abs(ideal.epochs[0]!.trainLoss - sim.epochs[0]!.trainLoss)).toBeLessThan(0.05 * sim.epochs[0]!.trainLoss);
    expect(sim.hardwareTimeMs).toBe(0);
    expect(sim.chipRuns).toBe(0);
  });

  it('transfer trains in simulation and measures test accuracy on the chip', async () => {
    const sim = await runTrial(small({ mode: 'simulation', evaluateOnChips: [5] }));
    const transfer = await runTrial(small({ mode: 'transfer', evaluateOnChips: [5] }));
    expect(transfer.epochs.map((e) => e.trainLoss)).toEqual(sim.epochs.map((e) => e.trainLoss));
    expect(transfer.chipEvaluations).toEqual(sim.chipEvaluations);
    expect(transfer.chipRuns).toBe(280 + 100);
    expect(sim.chipRuns).toBe(100);
  });
});

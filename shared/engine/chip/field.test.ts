import { describe, expect, it } from 'vitest';
import { parseTrialConfig } from '../../contracts/trial.ts';
import { runTrial } from '../trial.ts';

/**
 * The field study (examples/field-study.yaml) in small: a spike-time network trained in
 * simulation (500 samples, 6 epochs) and deployed on calibrated chip 0 (calibrated at 25 °C), then
 * run at −15 °C and 85 °C (±40 K and +60 K off the calibration temperature). The directions that
 * must hold: drift lowers accuracy, recalibrating at the condition restores most of it, and a
 * chip without drift keeps its accuracy. Full study: shared/engine/chip/README.md.
 */
describe('field study, small version', () => {
  it('spike-time on a calibrated chip: temperature drift costs accuracy, recalibration restores most of it', async () => {
    const config = (drift = {}) =>
      parseTrialConfig({
        method: 'spike-time',
        mode: 'transfer',
        dataset: { trainSize: 500, validationSize: 300, testSize: 1000 },
        training: { epochs: 6 },
        chip: { mismatchSeed: 0, calibrated: true, drift },
        operation: { temperaturesC: [-15, 85], policies: ['none', 'recalibrate'] },
      });
    const r = await runTrial(config());
    expect(r.status).toBe('completed');
    const op = r.operation!;
    const deployed = op.deploymentAccuracy;
    expect(deployed).toBeGreaterThan(0.6);
    for (const c of op.conditions) {
      const none = c.policies.find((p) => p.policy === 'none')!;
      const recal = c.policies.find((p) => p.policy === 'recalibrate')!;
      const loss = deployed - none.testAccuracy;
      expect(loss, `${c.temperatureC} °C, no maintenance`).toBeGreaterThan(0.02);
      expect(recal.testAccuracy - none.testAccuracy, `${c.temperatureC} °C, recalibrated`).toBeGreaterThan(0.5 * loss);
      expect(none.hardwareTimeMs).toBe(0);
      expect(recal.hardwareTimeMs).toBeGreaterThan(0);
    }
    expect(op.cheapestPolicyKeepingAccuracy).not.toBe('none');

    // control: the same chip without drift keeps the deployment accuracy at every temperature
    const still = (await runTrial(config({ temperatureScale: 0, ageingScale: 0 }))).operation!;
    for (const c of still.conditions) expect(c.policies.find((p) => p.policy === 'none')!.testAccuracy).toBe(still.deploymentAccuracy);
  });
});

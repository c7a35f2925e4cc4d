/**
 * In-the-loop training on a device SpikeSweep did not write: the Python SDK's Brian2 device, as
 * a real server process, trains each method through the device protocol (forward passes in
 * Brian2, backward passes here with what it reported). Short trainings (300 samples, 3 epochs,
 * minibatches of 100) that must learn: test accuracy ≥ FLOOR (chance is 1/3).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTrialConfig } from '../shared/contracts/trial.ts';
import { remoteDevices } from '../shared/device-protocol/index.ts';
import { runTrial } from '../shared/engine/trial.ts';
import { startBrian2Server, type ServerProcess } from './support/device-servers.ts';

/** Test accuracy every method must reach on the Brian2 device (chance: 0.33). */
const FLOOR = 0.5;

describe('in-the-loop training on the Brian2 device', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startBrian2Server(['--dt-ms', '0.1']);
  });

  afterAll(async () => {
    await server?.stop();
  });

  for (const method of ['spike-time', 'eventprop', 'surrogate']) {
    it(`${method} learns on Brian2 (test accuracy ≥ ${FLOOR})`, async () => {
      const config = parseTrialConfig({
        method,
        mode: 'in-the-loop',
        seed: 0,
        dataset: { trainSize: 300, validationSize: 200, testSize: 200 },
        training: { epochs: 3, batchSize: 100 },
      });
      const t0 = performance.now();
      const r = await runTrial(config, { openDevice: remoteDevices(() => server.address, { callMs: 300_000 }) });
      process.stderr.write(`${method} on Brian2: test ${r.testAccuracy}, validation ${r.validationAccuracy}, ${r.chipRuns} presentations, ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
      expect(r.error).toBeNull();
      expect(r.status).toBe('completed');
      expect(r.chipRuns).toBeGreaterThan(3 * 300);
      expect(r.testAccuracy!).toBeGreaterThanOrEqual(FLOOR);
    });
  }
});

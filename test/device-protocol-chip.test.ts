/**
 * The emulated chip behind the device protocol is a drop-in: `spikesweep device serve
 * --chip-seed 3` as a real process, and an in-the-loop trial of each method trained through it
 * gives the same result, bit for bit, as the same trial on the in-process chip (every epoch's
 * loss and accuracies, the kept epoch, the final accuracies, hardware time, energy, chip runs,
 * read-out). A trial asking that server for another chip is refused with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTrialConfig, type TrialConfig } from '../shared/contracts/trial.ts';
import { remoteDevices } from '../shared/device-protocol/index.ts';
import { runTrial } from '../shared/engine/trial.ts';
import { comparable, startChipServer, type ServerProcess } from './support/device-servers.ts';

const CHIP = 3;

function config(method: string, extra: Record<string, unknown> = {}): TrialConfig {
  return parseTrialConfig({
    method,
    mode: 'in-the-loop',
    seed: 1,
    chip: { mismatchSeed: CHIP },
    dataset: { trainSize: 200, validationSize: 100, testSize: 100 },
    training: { epochs: 2 },
    ...extra,
  });
}

describe('the emulated chip served over the device protocol', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startChipServer(CHIP);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('serves the chip it was started with', () => {
    expect(server.id).toBe(`emulated-chip:mismatch-${CHIP}`);
  });

  for (const method of ['spike-time', 'eventprop', 'surrogate']) {
    it(`${method}: in-the-loop training through the protocol is bit-identical to in-process`, async () => {
      const c = config(method);
      const local = await runTrial(c);
      const remote = await runTrial(c, { openDevice: remoteDevices(() => server.address) });
      expect(local.status).toBe('completed');
      expect(remote.error).toBeNull();
      expect(remote.chipRuns).toBeGreaterThan(0);
      expect(comparable(remote)).toEqual(comparable(local));
    });
  }

  it('a trial for another chip is refused, naming both chips', async () => {
    const c = config('spike-time', { chip: { mismatchSeed: CHIP + 1 } });
    const r = await runTrial(c, { openDevice: remoteDevices(() => server.address) });
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/options_json\.chip\.mismatchSeed: this device is chip 3, the session asks for chip 4/);
  });
});

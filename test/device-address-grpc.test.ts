/**
 * A trial that names a device (`device: {pool, id}`) reached at a `grpc://host:port` address:
 * the worker's and the CLI's way to a device served over the protocol (here the emulated chip,
 * `spikesweep device serve`, as a real server process). The result equals the same trial on the
 * in-process emulated chip at an `emulated:` address; a malformed grpc address is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTrialConfig } from '../shared/contracts/trial.ts';
import { connectDevice } from '../shared/engine/device/connect.ts';
import { runTrial } from '../shared/engine/trial.ts';
import { comparable, startChipServer, type ServerProcess } from './support/device-servers.ts';

const CHIP = 2;

describe('devices at grpc:// addresses', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startChipServer(CHIP);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('a named-device trial at grpc://host:port gives the result of the same chip in process', async () => {
    const config = parseTrialConfig({
      method: 'spike-time',
      mode: 'in-the-loop',
      seed: 4,
      device: { pool: 'lab', id: 'chip-2' },
      dataset: { trainSize: 200, validationSize: 100, testSize: 100 },
      training: { epochs: 2 },
    });
    const remote = await runTrial(config, { context: { device: { address: `grpc://${server.address}` } } });
    const local = await runTrial(config, { context: { device: { address: `emulated:?mismatchSeed=${CHIP}` } } });
    expect(remote.error).toBeNull();
    expect(remote.status).toBe('completed');
    expect(remote.chipRuns).toBeGreaterThan(0);
    expect(comparable(remote)).toEqual(comparable(local));
  });

  it('refuses a grpc address without host:port', async () => {
    await expect(connectDevice('grpc:///dev/chip', { seed: 0, noisePurpose: 'x' })).rejects.toThrow(/expected grpc:\/\/host:port/);
  });
});

import { describe, expect, it } from 'vitest';
import { parseTrialConfig } from '../../contracts/trial.ts';
import { ChipConfig } from '../../contracts/trial-common.ts';
import { emulatedChip } from '../chip/emulated.ts';
import { runTrial, startTrial } from '../trial.ts';
import { connectDevice, registerDeviceConnector, withTimeout } from './connect.ts';
import type { Device } from './types.ts';

/** `chip` as a plain Device whose close() is also counted. */
function chipWithDevice(chip: ReturnType<typeof emulatedChip>, onClose: () => void): Device {
  return {
    capabilities: () => chip.capabilities(),
    configure: (n) => chip.configure(n),
    updateWeights: (w) => chip.updateWeights(w),
    run: (b, r) => chip.run(b, r),
    probe: (p) => chip.probe(p),
    reset: () => chip.reset(),
    close: () => {
      onClose();
      return chip.close();
    },
    getState: () => chip.getState(),
    setState: (s) => chip.setState(s),
  };
}

/** An emulated chip with some calls replaced (e.g. by calls that never answer). */
function chipWith(overrides: Partial<Device>): Device {
  const chip = emulatedChip(ChipConfig.parse({}), { noiseSeed: 0, noisePurpose: 'p' });
  return {
    capabilities: () => chip.capabilities(),
    configure: (n) => chip.configure(n),
    updateWeights: (w) => chip.updateWeights(w),
    run: (b, r) => chip.run(b, r),
    probe: (p) => chip.probe(p),
    reset: () => chip.reset(),
    close: () => chip.close(),
    ...overrides,
  };
}

const base = { method: 'spike-time', mode: 'in-the-loop', dataset: { trainSize: 60, validationSize: 30, testSize: 30 }, training: { epochs: 2, batchSize: 30 }, network: { hiddenSize: 16 } } as const;
const strip = (r: Awaited<ReturnType<typeof runTrial>>) => ({ ...r, trialId: '', config: {}, wallTimeMs: 0, epochs: r.epochs.map((e) => ({ ...e, wallTimeMs: 0 })) });

describe('a trial on a named device', () => {
  it('trains on the device at the address the worker gives; the emulated chip reached that way equals the in-process one', async () => {
    const onDevice = await runTrial(parseTrialConfig({ ...base, device: { pool: 'lab', id: 'chip-3' } }), {
      context: { device: { address: 'emulated:?mismatchSeed=3&calibrated=false' } },
    });
    const inProcess = await runTrial(parseTrialConfig({ ...base, chip: { mismatchSeed: 3, calibrated: false } }));
    expect(onDevice.status).toBe('completed');
    expect(strip(onDevice)).toEqual(strip(inProcess));
  });

  it('fails clearly without an address, outside in-the-loop, or with an unknown scheme', async () => {
    const r = await runTrial(parseTrialConfig({ ...base, device: { pool: 'lab', id: 'chip-3' } }));
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/device lab\/chip-3: no address/);
    expect(() => startTrial(parseTrialConfig({ ...base, mode: 'transfer', device: { pool: 'lab', id: 'x' } }))).toThrow(/device: only in-the-loop trials run on a device, not transfer/);
    await expect(connectDevice('nope://x', { seed: 0, noisePurpose: 'p' })).rejects.toThrow(/no connector for 'nope:'/);
    await expect(connectDevice('emulated:?mismatchScale=-1', { seed: 0, noisePurpose: 'p' })).rejects.toThrow(/mismatchScale/);
    expect(() => parseTrialConfig({ ...base, device: { pool: 'lab/x', id: 'a' } })).toThrow(/device.pool/);
  });

  it('a device that does not answer in time gives device-unavailable (retryable), naming the call', async () => {
    registerDeviceConnector('slow:', () => chipWith({ run: () => new Promise(() => {}) }));
    const r = await runTrial(parseTrialConfig({ ...base, device: { pool: 'lab', id: 'slow-1' } }), { context: { device: { address: 'slow://host', timeoutMs: 50 } } });
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/device lab\/slow-1: run did not answer within 50 ms/);
    const error = await withTimeout(chipWith({ reset: () => new Promise(() => {}) }), 20, 'x').reset().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'spikesweep:device-unavailable', retryable: true });
  });

  it('openDevice supplies the emulated chips (training, final, evaluateOnChips); opened devices are closed at the end', async () => {
    const opened: { mismatchSeed: number; noisePurpose: string }[] = [];
    let closed = 0;
    const config = parseTrialConfig({ ...base, chip: { mismatchSeed: 2 }, evaluateOnChips: [5] });
    const r = await runTrial(config, {
      openDevice: (chip, noise) => {
        opened.push({ mismatchSeed: chip.mismatchSeed, noisePurpose: noise.noisePurpose });
        const device = emulatedChip(chip, noise);
        return chipWithDevice(device, () => closed++);
      },
    });
    expect(strip(r)).toEqual(strip(await runTrial(config)));
    expect(opened).toEqual([
      { mismatchSeed: 2, noisePurpose: 'chip-trial-noise' },
      { mismatchSeed: 5, noisePurpose: 'chip-eval-noise' },
    ]);
    expect(closed).toBe(2);
  });
});

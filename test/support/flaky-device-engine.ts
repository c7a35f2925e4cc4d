/**
 * The engine, plus a device that goes away: `flaky:?after=K&up=/path&mismatchSeed=…` is the
 * emulated chip of those chip fields, which stops answering (device-unavailable) after K runs
 * of a connection unless the file `up` exists. Workers in tests load this module as
 * TRIAL_ENGINE_MODULE, so the device lives inside their trial threads like any connector.
 */
import { existsSync } from 'node:fs';
import { DeviceError } from '../../shared/contracts/errors.ts';
import { ChipConfig } from '../../shared/contracts/trial-common.ts';
import { emulatedChip } from '../../shared/engine/chip/emulated.ts';
import { registerDeviceConnector } from '../../shared/engine/device/connect.ts';
import type { Device } from '../../shared/engine/device/types.ts';

export { startTrial } from '../../shared/engine/trial.ts';

registerDeviceConnector('flaky:', (url, context) => {
  const after = Number(url.searchParams.get('after'));
  const up = url.searchParams.get('up') ?? '';
  const chipFields: Record<string, unknown> = {};
  for (const [k, v] of url.searchParams) if (k !== 'after' && k !== 'up') chipFields[k] = v === 'true' || v === 'false' ? v === 'true' : Number(v);
  const chip = emulatedChip(ChipConfig.parse(chipFields), { noiseSeed: context.seed, noisePurpose: context.noisePurpose });
  let runs = 0;
  const device: Device = {
    capabilities: () => chip.capabilities(),
    configure: (n) => chip.configure(n),
    updateWeights: (w) => chip.updateWeights(w),
    run: (b, r) => {
      runs++;
      if (runs > after && !existsSync(up)) return Promise.reject(new DeviceError('spikesweep:device-unavailable', `device ${url.href}: gone (connection lost)`));
      return chip.run(b, r);
    },
    probe: (p) => chip.probe(p),
    reset: () => chip.reset(),
    close: () => chip.close(),
    getState: () => chip.getState(),
    setState: (s) => chip.setState(s),
  };
  return device;
});

/**
 * The SpikeSweep device protocol (gRPC; device.proto): `RemoteDevice` drives a device served
 * elsewhere, `serveDevice` serves one, `remoteDevices` plugs remote chips into a trial.
 */
import type { DeviceOpener } from '../engine/modes.ts';
import { RemoteDevice, type DeviceTimeouts } from './client.ts';

export { RemoteDevice, DEFAULT_DEVICE_TIMEOUTS, type DeviceTimeouts, type RemoteDeviceOptions } from './client.ts';
export { serveDevice, type DeviceFactory, type DeviceServer } from './server.ts';
export { emulatedChipFactory } from './emulated-chip.ts';

/**
 * A trial's chips as remote devices: the chip with mismatch seed m at `addressFor(m)`. Each
 * session sends the trial's chip config and noise stream with Configure, so a served emulated
 * chip runs exactly what the in-process one would; other devices ignore them.
 */
export function remoteDevices(addressFor: (mismatchSeed: number) => string, timeouts?: Partial<DeviceTimeouts>): DeviceOpener {
  return (chip, noise) => new RemoteDevice(addressFor(chip.mismatchSeed), { timeouts, configureOptions: { chip, noiseSeed: noise.noiseSeed, noisePurpose: noise.noisePurpose } });
}

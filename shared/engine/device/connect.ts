/**
 * Reaching a device by address, and per-device timeouts.
 *
 * An address is a URL whose scheme names a connector: `emulated:` is built in (an in-process
 * emulated chip, e.g. `emulated:?mismatchSeed=3&calibrated=false`: the chip config's fields as
 * query parameters, numbers and booleans parsed); a device protocol registers its own scheme
 * (`registerDeviceConnector('grpc:', …)`). A worker knows the addresses of the devices it
 * reaches; a trial names only pool and id.
 */
import { ChipConfig } from '../../contracts/trial-common.ts';
import { DeviceError, SpikeSweepError } from '../../contracts/errors.ts';
import { emulatedChip } from '../chip/emulated.ts';
import type { Device } from './types.ts';

/** What a connector may use: the trial's training seed (an emulator's noise stream). */
export interface ConnectContext {
  readonly seed: number;
  readonly noisePurpose: string;
}

export type DeviceConnector = (address: URL, context: ConnectContext) => Device | Promise<Device>;

const connectors = new Map<string, DeviceConnector>();

export function registerDeviceConnector(scheme: string, connector: DeviceConnector): void {
  connectors.set(scheme.endsWith(':') ? scheme : `${scheme}:`, connector);
}

function queryValue(v: string): unknown {
  if (v === 'true' || v === 'false') return v === 'true';
  const n = Number(v);
  return v !== '' && Number.isFinite(n) ? n : v;
}

registerDeviceConnector('emulated:', (address, context) => {
  const fields: Record<string, unknown> = {};
  for (const [k, v] of address.searchParams) fields[k] = queryValue(v);
  const parsed = ChipConfig.safeParse(fields);
  if (!parsed.success) throw new SpikeSweepError('spikesweep:invalid-config', `device address ${address.href}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return emulatedChip(parsed.data, { noiseSeed: context.seed, noisePurpose: context.noisePurpose });
});

// `grpc://host:port`: a device served over the device protocol (a lab's SDK server, the Brian2
// device, `spikesweep device serve`). Loaded on first use, so processes that never reach a
// remote device never load gRPC. The trial's noise stream travels with Configure (an emulator
// behind the protocol runs what the in-process one would; other devices ignore it).
registerDeviceConnector('grpc:', async (address, context) => {
  if (!address.host || (address.pathname !== '' && address.pathname !== '/')) {
    throw new SpikeSweepError('spikesweep:invalid-config', `device address ${address.href}: expected grpc://host:port`);
  }
  const { RemoteDevice } = await import('../../device-protocol/client.ts');
  return new RemoteDevice(address.host, { configureOptions: { noiseSeed: context.seed, noisePurpose: context.noisePurpose } });
});

/** The device at `address` (throws `invalid-config` for an unknown scheme). */
export async function connectDevice(address: string, context: ConnectContext): Promise<Device> {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new SpikeSweepError('spikesweep:invalid-config', `device address '${address}' is not a URL`);
  }
  const connector = connectors.get(url.protocol);
  if (!connector) throw new SpikeSweepError('spikesweep:invalid-config', `device address '${address}': no connector for '${url.protocol}' (known: ${[...connectors.keys()].join(', ')})`);
  return connector(url, context);
}

/**
 * `device` with every call bounded by `timeoutMs`: a call that does not settle in time fails
 * with `device-unavailable` (retryable: the trial waits for the device and resumes).
 */
export function withTimeout(device: Device, timeoutMs: number, name: string): Device {
  const bounded = <T>(what: string, call: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new DeviceError('spikesweep:device-unavailable', `device ${name}: ${what} did not answer within ${timeoutMs} ms`)), timeoutMs);
      call().then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(e);
        },
      );
    });
  return {
    capabilities: () => bounded('capabilities', () => device.capabilities()),
    configure: (n) => bounded('configure', () => device.configure(n)),
    updateWeights: (w) => bounded('updateWeights', () => device.updateWeights(w)),
    run: (b, r) => bounded('run', () => device.run(b, r)),
    probe: (r) => bounded('probe', () => device.probe(r)),
    reset: () => bounded('reset', () => device.reset()),
    close: () => bounded('close', () => device.close()),
    ...(device.getState ? { getState: () => bounded('getState', () => device.getState!()) } : {}),
    ...(device.setState ? { setState: (s: unknown) => bounded('setState', () => device.setState!(s)) } : {}),
  };
}

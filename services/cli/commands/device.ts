import { COMMANDS } from '../commands.ts';
import type { Command } from 'commander';
import { ValidationError } from '../../../shared/contracts/index.ts';
import { emulatedChipFactory } from '../../../shared/device-protocol/emulated-chip.ts';
import { serveDevice } from '../../../shared/device-protocol/server.ts';
import * as identify from './device-identify.ts';

function nonNegativeInt(flag: string, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > max) throw new ValidationError('spikesweep:invalid-input', [{ path: flag, message: `must be an integer in 0…${max}, got '${value}'` }]);
    return n;
  };
}

/**
 * `spikesweep device serve --chip-seed S [--port P] [--host H]`: serves the emulated chip with
 * mismatch seed S over the device protocol (gRPC, shared/device-protocol/device.proto) until
 * SIGINT/SIGTERM. Prints one line `listening HOST:PORT DEVICE-ID` on stdout once it accepts calls
 * (port 0 = any free port).
 */
export function register(program: Command): void {
  const device = program.command('device').description(COMMANDS.device.summary);
  device
    .command('serve')
    .description('serve the emulated chip of one mismatch seed over the device protocol')
    .requiredOption('--chip-seed <s>', 'mismatch seed of the emulated chip (its identity)', nonNegativeInt('--chip-seed'))
    .option('--port <p>', 'TCP port (0 = any free port)', nonNegativeInt('--port', 65535), 50051)
    .option('--host <h>', 'interface to listen on', '127.0.0.1')
    .action(async (options: { chipSeed: number; port: number; host: string }) => {
      const factory = emulatedChipFactory(options.chipSeed);
      const server = await serveDevice(factory, { host: options.host, port: options.port });
      const caps = await factory.capabilities();
      process.stdout.write(`listening ${server.address} ${caps.id}\n`);
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = () => {
          if (stopping) process.exit(1); // a second signal forces
          stopping = true;
          void server.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
  identify.register(device);
}

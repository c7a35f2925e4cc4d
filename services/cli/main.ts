/**
 * `spikesweep`: the one command-line entry. Each command lives in ./commands/<name>.ts and
 * exports `register(program)`; this file only lists them and turns errors into one line.
 */
import { Command, CommanderError } from 'commander';
import { SpikeSweepError } from '../../shared/contracts/index.ts';
import * as services from './commands/services.ts';
import * as dataset from './commands/dataset.ts';
import * as trial from './commands/trial.ts';
import * as run from './commands/run.ts';
import * as serve from './commands/serve.ts';
import * as gradcheck from './commands/gradcheck.ts';
import * as dashboard from './commands/dashboard.ts';

const program = new Command('spikesweep')
  .description('Robustness studies of gradient-based training of spiking networks on emulated analog chips')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

for (const command of [services, dataset, trial, run, gradcheck, dashboard, serve]) command.register(program);

function exitWith(error: unknown): never {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  const message = error instanceof SpikeSweepError || error instanceof Error ? error.message : String(error);
  process.stderr.write(`spikesweep: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  if (process.env.SPIKESWEEP_DEBUG && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`);
  process.exit(error instanceof SpikeSweepError && error.code !== 'spikesweep:service-unavailable' ? 2 : 1);
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  exitWith(error);
}

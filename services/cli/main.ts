/**
 * `spikesweep`: the one command-line entry. Each command lives in ./commands/<name>.ts and
 * exports `register(program)`; the table in ./commands.ts lists them. Only the module of the
 * command named on the command line is imported (the others appear in the help by their
 * summary alone), so start-up pays for what that command uses. Errors become one line.
 */
import { Command, CommanderError } from 'commander';
import { SpikeSweepError } from '../../shared/contracts/errors.ts';
import { COMMANDS, isCommandName } from './commands.ts';

const program = new Command('spikesweep')
  .description('Robustness studies of gradient-based training of spiking networks on emulated analog chips')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

const invoked = process.argv.slice(2).find((arg) => !arg.startsWith('-'));
if (isCommandName(invoked)) {
  (await COMMANDS[invoked].load()).register(program);
} else {
  for (const [name, { summary }] of Object.entries(COMMANDS)) program.command(name).description(summary);
}

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

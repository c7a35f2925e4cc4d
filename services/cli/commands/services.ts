import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Command } from 'commander';
import { COMMANDS } from '../commands.ts';
import { SpikeSweepError } from '../../../shared/contracts/index.ts';
import { ROOT } from '../../../shared/runtime/compiled.js';

const script = join(ROOT, 'infra', 'services.sh');

/** `spikesweep services up|down|status`: the local Redis and MongoDB-wire server (infra/services.sh). */
export function register(program: Command): void {
  const services = program
    .command('services')
    .description(COMMANDS.services.summary);
  for (const [action, description] of [
    ['up', 'install if needed and start Redis and the MongoDB-wire server; a no-op when they run'],
    ['down', 'stop what `services up` started (by pid)'],
    ['status', 'show what runs, where, and from which data dir'],
  ] as const) {
    services
      .command(action)
      .description(description)
      .action(() => {
        const run = spawnSync('bash', [script, action], { stdio: 'inherit' });
        if (run.status !== 0) {
          throw new SpikeSweepError('spikesweep:service-unavailable', `services ${action} failed (exit ${run.status ?? run.signal})`);
        }
      });
  }
}

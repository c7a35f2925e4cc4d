import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { SpikeSweepError } from '../../../shared/contracts/index.ts';

const script = fileURLToPath(new URL('../../../infra/services.sh', import.meta.url));

/** `spikesweep services up|down|status`: the local Redis and MongoDB-wire server (infra/services.sh). */
export function register(program: Command): void {
  const services = program
    .command('services')
    .description('install, start, stop or inspect the local Redis and MongoDB-wire server (loopback only)');
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

import { resolve } from 'node:path';
import type { Command } from 'commander';
import { COMMANDS } from '../commands.ts';
import { ValidationError } from '../../../shared/contracts/index.ts';
import { accessPolicy, listen, parseAccessEnv } from '../../../shared/http/index.ts';
import { createEmbeddedStore, createMongoStore, type Store } from '../../../shared/store/index.ts';
import { createResultsApp } from '../../../shared/results-app/app.ts';

interface DashboardOptions {
  store?: string;
  mongo?: string;
  mongoDb: string;
  port: string;
  host: string;
  pollMs: string;
}

/**
 * `spikesweep dashboard [--store DIR | --mongo URL] [--port P]`: serves the results dashboard
 * and REST API over an embedded run's store directory (read-only, following the run's writes
 * live) or over MongoDB, without the queue consumer.
 */
export function register(program: Command): void {
  program
    .command('dashboard')
    .description(COMMANDS.dashboard.summary)
    .option('--store <dir>', 'embedded store directory written by `spikesweep run` (default .data/store)')
    .option('--mongo <url>', 'MongoDB URL instead of an embedded store')
    .option('--mongo-db <name>', 'MongoDB database', 'spikesweep')
    .option('--port <port>', 'HTTP port (0 = any free port)', '8090')
    .option('--host <host>', 'HTTP host', '127.0.0.1')
    .option('--poll-ms <ms>', 'how often the page re-reads a running sweep', '5000')
    .action(async (options: DashboardOptions) => {
      if (options.store && options.mongo) {
        throw new ValidationError('spikesweep:invalid-input', [{ path: '--store', message: 'give either --store or --mongo, not both' }]);
      }
      const port = Number(options.port);
      const pollMs = Number(options.pollMs);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new ValidationError('spikesweep:invalid-input', [{ path: '--port', message: `not a port: ${options.port}` }]);
      }
      if (!Number.isInteger(pollMs) || pollMs < 500) {
        throw new ValidationError('spikesweep:invalid-input', [{ path: '--poll-ms', message: 'an integer ≥ 500' }]);
      }
      const store: Store = options.mongo
        ? await createMongoStore({ url: options.mongo, dbName: options.mongoDb })
        : await createEmbeddedStore({ dir: resolve(options.store ?? '.data/store'), follow: true });
      const access = accessPolicy(parseAccessEnv(), options.host);
      const app = createResultsApp(store, { readiness: { store: () => store.ping() }, access, pollMs });
      const http = await listen(app, port, options.host);
      process.stdout.write(`dashboard: http://${options.host}:${http.port}/  (Ctrl-C to stop)\n`);
      let stopping = false;
      const stop = () => {
        if (stopping) process.exit(130);
        stopping = true;
        void http.close().then(() => store.close()).then(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      await new Promise<never>(() => undefined);
    });
}

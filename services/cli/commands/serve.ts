import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { COMMANDS } from '../commands.ts';
import { DEFAULT_QUEUE_PREFIX } from '../../../shared/contracts/index.ts';
import { positiveWorkers, stopTimeoutSeconds } from '../options.ts';
import { Supervisor } from '../supervisor.ts';
import { entryArgs, ROOT } from '../../../shared/runtime/compiled.js';
import { DEFAULT_TOKEN_FILE, ensureApiToken } from '../token.ts';

const root = `${ROOT}/`;
const entry = (service: string) => `services/${service}/main.ts`;

interface ServeOptions {
  workers?: number;
  redis?: string;
  mongo?: string;
  mongoDb: string;
  queuePrefix: string;
  port: string;
  tokenFile: string;
  stopTimeout: number;
}

/**
 * `spikesweep serve`: the distributed system on one machine — the scheduler, the results
 * service and N worker processes (one trial each), as child processes against the given
 * Redis and MongoDB. Their JSON logs go to stdout, prefixed by name.
 *
 * Supervised (./../supervisor.ts): a child that dies is restarted with backoff (1 s doubling,
 * at most 30 s) while the others keep running; one that dies more than 5 times within a
 * minute is given up and serve stops everything with exit code 1. The first Ctrl-C/SIGTERM
 * stops the children in order — scheduler (no new submissions), workers (they checkpoint
 * their trials after the epoch and give them back), results service (writes what they
 * published) — each stage SIGKILLed after `--stop-timeout`; a second signal kills them all.
 *
 * Mutations need a bearer token: SPIKESWEEP_API_TOKEN, else one generated into --token-file.
 */
export function register(program: Command): void {
  program
    .command('serve')
    .description(COMMANDS.serve.summary)
    .option('--workers <n>', 'worker processes, one trial each (default: one per core)', positiveWorkers)
    .option('--redis <url>', 'Redis (env REDIS_URL)')
    .option('--mongo <url>', 'MongoDB (env MONGO_URL)')
    .option('--mongo-db <name>', 'MongoDB database (env MONGO_DB)', process.env.MONGO_DB ?? 'spikesweep')
    .option('--queue-prefix <prefix>', 'BullMQ key prefix (env QUEUE_PREFIX)', process.env.QUEUE_PREFIX ?? DEFAULT_QUEUE_PREFIX)
    .option('--port <port>', 'scheduler API port (env SCHEDULER_PORT)', process.env.SCHEDULER_PORT ?? '8080')
    .option('--token-file <path>', 'API token file, used (or created, mode 0600) when SPIKESWEEP_API_TOKEN is unset', DEFAULT_TOKEN_FILE)
    .option('--stop-timeout <seconds>', 'on shutdown, kill a stage of children still running after this long', stopTimeoutSeconds, 15)
    .action(async (options: ServeOptions) => {
      const { token, source } = await ensureApiToken(options.tokenFile);
      const env = {
        ...process.env,
        SPIKESWEEP_API_TOKEN: token,
        REDIS_URL: options.redis ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        MONGO_URL: options.mongo ?? process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017',
        MONGO_DB: options.mongoDb,
        QUEUE_PREFIX: options.queuePrefix,
      };
      const workers = options.workers ?? availableParallelism();
      let exitCode = 0;
      const supervisor = new Supervisor({
        stopTimeoutMs: options.stopTimeout * 1000,
        log: (line) => process.stderr.write(`spikesweep: ${line}\n`),
        output: (name, stream, line) => (stream === 'stdout' ? process.stdout : process.stderr).write(`${name.padEnd(10)} ${line}\n`),
        onGiveUp: () => {
          exitCode = 1;
          void shutdown();
        },
      });
      const shutdown = async () => {
        await supervisor.stop(['scheduler', 'worker-', 'results']);
        process.exit(exitCode);
      };
      const start = (name: string, file: string, extra: Record<string, string> = {}) =>
        supervisor.start({ name, command: process.execPath, args: entryArgs(file), cwd: root, env: { ...env, ...extra } });

      let signals = 0;
      const onSignal = () => {
        if (++signals > 1) {
          supervisor.killAll();
          process.exit(130);
        }
        void shutdown();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      process.on('exit', () => supervisor.killAll());

      start('scheduler', entry('scheduler'), { SCHEDULER_PORT: options.port });
      if (existsSync(`${root}${entry('results')}`)) start('results', entry('results'));
      else process.stderr.write('spikesweep: services/results/main.ts is missing; no results service started\n');
      for (let i = 1; i <= workers; i++) start(`worker-${i}`, entry('worker'), { WORKER_CONCURRENCY: '1', WORKER_PORT: '0', WORKER_ID: `serve-worker-${i}` });
      process.stderr.write(`spikesweep: serving on http://127.0.0.1:${options.port}/api/sweeps with ${workers} workers; Ctrl-C stops\n`);
      process.stderr.write(
        source === 'env'
          ? 'spikesweep: submit, cancel and resume need the token in SPIKESWEEP_API_TOKEN (Authorization: Bearer …)\n'
          : `spikesweep: submit, cancel and resume need the API token ${source === 'generated' ? 'generated into' : 'kept in'} ${options.tokenFile} (Authorization: Bearer …; \`spikesweep run --server\` reads it)\n`,
      );
      await new Promise(() => undefined); // until a signal
    });
}

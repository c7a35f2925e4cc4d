import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { COMMANDS } from '../commands.ts';
import { DEFAULT_QUEUE_PREFIX } from '../../../shared/contracts/index.ts';
import { positiveWorkers } from '../options.ts';
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
}

/**
 * `spikesweep serve`: the distributed system on one machine — the scheduler, the results
 * service and N worker processes (one trial each), as child processes against the given
 * Redis and MongoDB. Their JSON logs go to stdout, prefixed by name. Ctrl-C stops them in
 * reverse start order (workers checkpoint their trials first); a second Ctrl-C kills them.
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
      const children: { name: string; child: ChildProcess }[] = [];
      const start = (name: string, file: string, extra: Record<string, string> = {}) => {
        // Own process group: a Ctrl-C in the terminal reaches only this process, which then stops
        // the children one by one (a second SIGINT would make them quit without checkpointing).
        const child = spawn(process.execPath, entryArgs(file), {
          cwd: root,
          env: { ...env, ...extra },
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        });
        const prefixLines = (stream: NodeJS.WritableStream) => (chunk: Buffer) => {
          for (const line of chunk.toString().split('\n')) if (line) stream.write(`${name.padEnd(10)} ${line}\n`);
        };
        child.stdout?.on('data', prefixLines(process.stdout));
        child.stderr?.on('data', prefixLines(process.stderr));
        child.on('exit', (code, signal) => {
          process.stderr.write(`${name.padEnd(10)} exited (${signal ?? code})\n`);
          if (!stopping) void stop(1);
        });
        children.push({ name, child });
      };

      let stopping = false;
      let signals = 0;
      const stop = async (exitCode: number) => {
        stopping = true;
        for (const { child } of [...children].reverse()) {
          if (child.exitCode !== null || child.signalCode !== null) continue;
          child.kill('SIGTERM');
          await new Promise((resolve) => child.once('exit', resolve));
        }
        process.exit(exitCode);
      };
      const onSignal = () => {
        if (++signals > 1) {
          for (const { child } of children) child.kill('SIGKILL');
          process.exit(130);
        }
        void stop(0);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      process.on('exit', () => {
        for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });

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

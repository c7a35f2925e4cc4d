/**
 * The CLI's command table: name, one-line summary and the module that implements it. The
 * entry (main.ts) imports only the module of the command being run, so `spikesweep --help`
 * or `spikesweep trial` never load Redis, MongoDB or HTTP libraries they do not use. A
 * command module exports `register(program)` and takes its summary from here.
 */
import type { Command } from 'commander';

export interface CommandModule {
  register(program: Command): void;
}

export const COMMANDS = {
  services: {
    summary: 'install, start, stop or inspect the local Redis and MongoDB-wire server (loopback only)',
    load: () => import('./commands/services.ts'),
  },
  dataset: {
    summary: 'print a dataset split',
    load: () => import('./commands/dataset.ts'),
  },
  trial: {
    summary: 'run one training trial in-process and print its result JSON',
    load: () => import('./commands/trial.ts'),
  },
  run: {
    summary: 'run a sweep: embedded in this process, or submitted to Redis/MongoDB when --redis/--mongo (or REDIS_URL/MONGO_URL) are given',
    load: () => import('./commands/run.ts'),
  },
  gradcheck: {
    summary: "compare a method's gradient on one minibatch with finite differences (and analytic TTFS with EventProp); prints JSON",
    load: () => import('./commands/gradcheck.ts'),
  },
  dashboard: {
    summary: 'serve the results dashboard for an embedded store directory or a MongoDB database',
    load: () => import('./commands/dashboard.ts'),
  },
  report: {
    summary: "write a sweep's report (question, warnings, recommendation with its confidence, measurement, stability, chips, cost) as PDF or self-contained HTML",
    load: () => import('./commands/report.ts'),
  },
  serve: {
    summary: 'start scheduler, results service and N workers on this machine against Redis and MongoDB, restarting any that dies',
    load: () => import('./commands/serve.ts'),
  },
  device: {
    summary: 'devices behind the SpikeSweep device protocol (gRPC): serve the emulated chip, identify a device',
    load: () => import('./commands/device.ts'),
  },
} satisfies Record<string, { summary: string; load: () => Promise<CommandModule> }>;

export type CommandName = keyof typeof COMMANDS;

export function isCommandName(name: string | undefined): name is CommandName {
  return name !== undefined && Object.hasOwn(COMMANDS, name);
}

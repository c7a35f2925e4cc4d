import { readFile } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { COMMANDS } from '../commands.ts';
import { parse as parseYaml } from 'yaml';
import { parseTrialConfig, ValidationError } from '../../../shared/contracts/index.ts';
import { modeFor } from '../../../shared/engine/modes.ts';
import { runTrial } from '../../../shared/engine/trial.ts';

interface TrialOptions {
  method?: string;
  seed?: number;
  epochs?: number;
  mode?: string;
  chipSeed?: number;
  deviceAddress?: string;
}

async function readInput(path: string): Promise<string> {
  if (path !== '-') return readFile(path, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a trial config (JSON or YAML; `-` = stdin) as a plain object. */
async function readConfig(path: string): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = parseYaml(await readInput(path));
  } catch (error) {
    throw new ValidationError('spikesweep:invalid-config', [{ path: '', message: `${path} is not valid JSON or YAML: ${(error as Error).message}` }]);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError('spikesweep:invalid-config', [{ path: '', message: `${path} must hold an object (a trial config)` }]);
  }
  return value as Record<string, unknown>;
}

function nonNegativeInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new ValidationError('spikesweep:invalid-config', [{ path: flag, message: `must be a non-negative integer, got '${value}'` }]);
    return n;
  };
}

/**
 * `spikesweep trial [config.json|config.yaml|-] [--method M] [--seed S] [--epochs E] [--mode M] [--chip-seed C]`:
 * runs one trial in this process. Without a config file it runs the documented default config
 * of the method (surrogate unless --method). Progress goes to stderr, the TrialResult JSON to
 * stdout. A bad config, or a method/mode not built yet, is one line naming the field (exit 2);
 * a failed trial exits 1 after printing its result.
 */
export function register(program: Command): void {
  program
    .command('trial')
    .description(COMMANDS.trial.summary)
    .argument('[config]', 'trial config, JSON or YAML (- reads stdin); default: the method\'s default config')
    .option('--method <method>', 'gradient method (surrogate, spike-time, eventprop)')
    .option('--seed <s>', 'training seed', nonNegativeInt('--seed'))
    .option('--epochs <e>', 'training.epochs', nonNegativeInt('--epochs'))
    .option('--mode <mode>', 'simulation, in-the-loop, transfer or robust-transfer')
    .option('--chip-seed <s>', 'chip.mismatchSeed: the emulated chip (device instance) trained on or deployed to', nonNegativeInt('--chip-seed'))
    .option('--device-address <url>', 'where to reach the device the config names (device: {pool, id}), e.g. emulated:?mismatchSeed=3')
    .action(async (path: string | undefined, options: TrialOptions) => {
      const input: Record<string, unknown> = path === undefined ? {} : await readConfig(path);
      if (options.method !== undefined) input.method = options.method;
      input.method ??= 'surrogate';
      if (options.seed !== undefined) input.seed = options.seed;
      if (options.mode !== undefined) input.mode = options.mode;
      if (options.chipSeed !== undefined) {
        const chip = input.chip;
        input.chip = { ...(chip && typeof chip === 'object' ? chip : {}), mismatchSeed: options.chipSeed };
      }
      if (options.epochs !== undefined) {
        const training = input.training;
        input.training = { ...(training && typeof training === 'object' ? training : {}), epochs: options.epochs };
      }
      const config = parseTrialConfig(input);
      modeFor(config);
      const bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: `trial ${config.method}/${config.mode} seed ${config.seed} [{bar}] epoch {value}/{total} | loss {loss} | train {train} | val {val} | {seconds}s`,
          hideCursor: true,
          // In a log (stderr not a terminal) print the bar line every 10 s instead of nothing.
          noTTYOutput: true,
          notTTYSchedule: 10_000,
        },
        cliProgress.Presets.shades_classic,
      );
      const t0 = performance.now();
      bar.start(config.training.epochs, 0, { loss: '-', train: '-', val: '-', seconds: '0' });
      const result = await runTrial(config, {
        ...(options.deviceAddress ? { context: { device: { address: options.deviceAddress } } } : {}),
        onEpoch: (m) =>
          bar.update(m.epoch, {
            loss: m.trainLoss.toFixed(4),
            train: (100 * m.trainAccuracy).toFixed(1) + '%',
            val: (100 * m.validationAccuracy).toFixed(1) + '%',
            seconds: ((performance.now() - t0) / 1000).toFixed(0),
          }),
      });
      bar.stop();
      const pct = (x: number | null) => (x === null ? '-' : (100 * x).toFixed(2) + '%');
      process.stderr.write(
        `trial ${result.trialId}: ${result.status}${result.error ? ` (${result.error})` : ''}, test ${pct(result.testAccuracy)}, best epoch ${result.bestEpoch}, ${(result.wallTimeMs / 1000).toFixed(1)} s\n`,
      );
      process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      if (result.status === 'failed') process.exitCode = 1;
    });
}

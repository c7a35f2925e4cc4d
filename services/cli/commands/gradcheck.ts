import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { parseTrialConfig, ValidationError } from '../../../shared/contracts/index.ts';
import { DEFAULT_GRADCHECK_OPTIONS, gradcheck } from '../../../shared/engine/methods/eventprop/gradcheck.ts';
import { chipGradientCheck } from '../../../shared/engine/chip/gradcheck.ts';

interface GradcheckCliOptions {
  method?: string;
  seed: number;
  batchSize: number;
  maxParameters: number;
  step: number;
  listSkipped?: boolean;
  mode: string;
  chipSeed?: number;
}

const number = (flag: string, check: (n: number) => boolean, what: string) => (value: string): number => {
  const n = Number(value);
  if (!check(n)) throw new ValidationError('spikesweep:invalid-input', [{ path: flag, message: `must be ${what}` }]);
  return n;
};

/**
 * `spikesweep gradcheck [config] [--method M] [--seed S]`: how faithful a method's gradient is
 * for a configuration. Prints JSON: cosine and relative error against central finite
 * differences (parameters whose probes change the causal structure are skipped and counted),
 * and analytic vs EventProp where both apply (τ_m = τ_s or 2τ_s).
 */
export function register(program: Command): void {
  program
    .command('gradcheck')
    .description("compare a method's gradient on one minibatch with finite differences (and analytic TTFS with EventProp); prints JSON")
    .argument('[config]', 'trial config, YAML or JSON (default: the method\'s default config)')
    .option('--method <method>', 'spike-time or eventprop (overrides the config\'s method; default spike-time)')
    .option('--seed <n>', 'seed of the initial network and of the minibatch', number('--seed', (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0'), 0)
    .option('--batch-size <n>', 'samples in the minibatch', number('--batch-size', (n) => Number.isInteger(n) && n >= 1, 'an integer ≥ 1'), DEFAULT_GRADCHECK_OPTIONS.batchSize)
    .option(
      '--max-parameters <n>',
      'check at most n weights, evenly strided (0 = all)',
      number('--max-parameters', (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0'),
      DEFAULT_GRADCHECK_OPTIONS.maxParameters,
    )
    .option('--step <h>', 'finite-difference step relative to max(1, |w|)', number('--step', (n) => n > 0 && n < 1, 'in (0, 1)'), DEFAULT_GRADCHECK_OPTIONS.relativeStep)
    .option('--list-skipped', 'list every skipped parameter (default: only their number)')
    .option('--mode <mode>', 'simulation, or in-the-loop: also compare with finite differences of the chip\'s own loss (any method)', 'simulation')
    .option('--chip-seed <n>', 'chip.mismatchSeed for --mode in-the-loop', number('--chip-seed', (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0'))
    .action(async (configPath: string | undefined, options: GradcheckCliOptions) => {
      let input: Record<string, unknown> = {};
      if (configPath) {
        const text = await readFile(configPath, 'utf8');
        let parsed: unknown;
        try {
          parsed = parseYaml(text);
        } catch (error) {
          throw new ValidationError('spikesweep:invalid-config', [{ path: '', message: `${configPath} is not valid YAML or JSON: ${(error as Error).message}` }]);
        }
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
          throw new ValidationError('spikesweep:invalid-config', [{ path: '', message: `${configPath} must hold one trial config (an object)` }]);
        }
        input = parsed as Record<string, unknown>;
      }
      const method = options.method ?? (typeof input.method === 'string' ? input.method : 'spike-time');
      if (options.mode === 'in-the-loop') {
        const chip = input.chip && typeof input.chip === 'object' ? input.chip : {};
        const config = parseTrialConfig({ ...input, method, seed: options.seed, chip: options.chipSeed === undefined ? chip : { ...chip, mismatchSeed: options.chipSeed } });
        const report = await chipGradientCheck(config, { batchSize: options.batchSize, maxParameters: options.maxParameters || Infinity });
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      if (options.mode !== 'simulation') {
        throw new ValidationError('spikesweep:invalid-input', [{ path: '--mode', message: `must be simulation or in-the-loop, not '${options.mode}'` }]);
      }
      const config = parseTrialConfig({ ...input, method });
      if (config.method !== 'spike-time' && config.method !== 'eventprop') {
        throw new ValidationError('spikesweep:invalid-input', [{ path: 'method', message: `gradcheck supports spike-time and eventprop, not '${config.method}'` }]);
      }
      const report = gradcheck(config, options.seed, {
        batchSize: options.batchSize,
        relativeStep: options.step,
        maxParameters: options.maxParameters,
      });
      const { skipped, ...summary } = report;
      const out = options.listSkipped ? report : { ...summary, skippedByReason: countBy(skipped.map((s) => s.reason)) };
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    });
}

function countBy(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

import type { Command } from 'commander';
import { COMMANDS } from '../commands.ts';
import { ValidationError } from '../../../shared/contracts/index.ts';
import { yinYangSplit, type YinYangSplit } from '../../../shared/engine/data/yinyang.ts';

const SPLITS = ['train', 'validation', 'test'] as const;
const FORMATS = ['json', 'csv'] as const;

function nonNegativeInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new ValidationError('spikesweep:invalid-input', [{ path: flag, message: `must be a non-negative integer, got '${value}'` }]);
    return n;
  };
}

function oneOf<T extends string>(flag: string, allowed: readonly T[]) {
  return (value: string): T => {
    if (!(allowed as readonly string[]).includes(value)) {
      throw new ValidationError('spikesweep:invalid-input', [{ path: flag, message: `must be one of ${allowed.join('|')}, got '${value}'` }]);
    }
    return value as T;
  };
}

/**
 * `spikesweep dataset yinyang --split train|validation|test [--size N --seed S] [--format json|csv]`:
 * prints a Yin-Yang split (the publication's size and seed unless given). JSON: an array of
 * `{"x":…, "y":…, "label":…}`; CSV: header `x,y,label`. Numbers in shortest round-trip form,
 * i.e. full double precision.
 */
export function register(program: Command): void {
  const dataset = program.command('dataset').description(COMMANDS.dataset.summary);
  dataset
    .command('yinyang')
    .description('the Yin-Yang dataset (Kriener, Göltz & Petrovici 2022), bit-exact with the publication splits')
    .option('--split <split>', `one of ${SPLITS.join('|')}`, oneOf('--split', SPLITS), 'train')
    .option('--size <n>', 'number of samples (default: the split\'s publication size)', nonNegativeInt('--size'))
    .option('--seed <s>', 'numpy RandomState seed (default: the split\'s publication seed)', nonNegativeInt('--seed'))
    .option('--format <format>', `one of ${FORMATS.join('|')}`, oneOf('--format', FORMATS), 'json')
    .action((options: { split: YinYangSplit; size?: number; seed?: number; format: (typeof FORMATS)[number] }) => {
      const data = yinYangSplit(options.split, { size: options.size, seed: options.seed });
      const rows: string[] = [];
      for (let n = 0; n < data.size; n++) {
        const x = data.features[n * 4]!;
        const y = data.features[n * 4 + 1]!;
        const label = data.labels[n]!;
        rows.push(options.format === 'csv' ? `${x},${y},${label}` : JSON.stringify({ x, y, label }));
      }
      process.stdout.write(options.format === 'csv' ? `x,y,label\n${rows.join('\n')}\n` : `[${rows.join(',\n')}]\n`);
    });
}

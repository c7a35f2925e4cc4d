/**
 * Yin-Yang accuracy study of the `spike-time` method (or `eventprop`, see
 * bench/eventprop-accuracy.ts): the default config in `simulation` mode, trained from several
 * training seeds; prints each seed's test accuracy (the best-validation epoch's parameters, as
 * every trial reports), then the mean ± sample standard deviation and the times.
 *
 *   nice -n 10 node --import tsx bench/spike-time-accuracy.ts [--seeds 5] [--epochs N] [--config overrides.json]
 *
 * Goal (issue 4): mean test accuracy over 5 seeds ≥ 95.9 % (spike-time, Göltz et al. 2021) and
 * ≥ 97.8 % (eventprop, Wunderlich & Pehle 2021 report 98.1 ± 0.2 %).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseTrialConfig } from '../shared/contracts/index.ts';
import { runTrial } from '../shared/engine/trial.ts';

export async function accuracyStudy(method: 'spike-time' | 'eventprop', argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { seeds: { type: 'string', default: '5' }, epochs: { type: 'string' }, config: { type: 'string' }, 'first-seed': { type: 'string', default: '0' } },
  });
  const overrides = values.config ? (JSON.parse(readFileSync(values.config, 'utf8')) as Record<string, unknown>) : {};
  const seeds = Number(values.seeds);
  const firstSeed = Number(values['first-seed']);
  const accuracies: number[] = [];
  const t0 = performance.now();
  for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
    const training = { ...((overrides.training as object | undefined) ?? {}), ...(values.epochs ? { epochs: Number(values.epochs) } : {}) };
    const config = parseTrialConfig({ ...overrides, method, seed, training });
    const result = await runTrial(config);
    accuracies.push(result.testAccuracy ?? NaN);
    console.log(
      JSON.stringify({
        method,
        seed,
        status: result.status,
        testAccuracy: result.testAccuracy,
        validationAccuracy: result.validationAccuracy,
        bestEpoch: result.bestEpoch,
        epochs: result.epochs.length,
        wallTimeS: +(result.wallTimeMs / 1000).toFixed(1),
      }),
    );
  }
  const mean = accuracies.reduce((s, a) => s + a, 0) / accuracies.length;
  const sd = Math.sqrt(accuracies.reduce((s, a) => s + (a - mean) ** 2, 0) / Math.max(1, accuracies.length - 1));
  console.log(
    JSON.stringify({
      method,
      seeds: accuracies.length,
      meanTestAccuracy: +mean.toFixed(4),
      sdTestAccuracy: +sd.toFixed(4),
      worst: Math.min(...accuracies),
      best: Math.max(...accuracies),
      totalWallTimeS: +((performance.now() - t0) / 1000).toFixed(1),
    }),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await accuracyStudy('spike-time', process.argv.slice(2));

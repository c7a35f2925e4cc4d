/**
 * Training throughput of the default `spike-time` config (or `--method eventprop`, see
 * bench/eventprop-throughput.ts): samples per second of forward + analytic backward + Adam
 * step (one `lossAndGradient` and one optimiser update per minibatch of the training split),
 * on one core, per CPU-second of this process (on a shared machine wall time includes waiting
 * for a core; both are printed).
 *
 *   nice -n 10 node --import tsx bench/spike-time-throughput.ts [--seconds 10] [--config overrides.json]
 *
 * Goal (issue 4): ≥ 50,000 training samples/s per core for spike-time on the default config.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseTrialConfig, type TrialConfig } from '../shared/contracts/index.ts';
import { yinYangSplit } from '../shared/engine/data/yinyang.ts';
import type { FirstSpikeModel } from '../shared/engine/event/first-spike-model.ts';
import { methodFor } from '../shared/engine/methods/index.ts';
import { Adam } from '../shared/engine/optim/adam.ts';
import { streamFor } from '../shared/engine/random.ts';

export function measureThroughput(method: 'spike-time' | 'eventprop', argv: string[]): void {
  const { values } = parseArgs({ args: argv, options: { seconds: { type: 'string', default: '10' }, config: { type: 'string' } } });
  const overrides = values.config ? (JSON.parse(readFileSync(values.config, 'utf8')) as object) : {};
  const config: TrialConfig = parseTrialConfig({ ...overrides, method });
  const train = yinYangSplit('train');
  const model = methodFor(config).createModel(config, streamFor(config.seed, 'init'), train);
  const data = model.prepare(train);
  const order = streamFor(0, 'bench-order').permutation(train.size);
  const t = config.training;
  const adam = new Adam(model.params, { beta1: t.adamBeta1, beta2: t.adamBeta2, epsilon: t.adamEpsilon });

  function runFor(ms: number): { samples: number; ms: number; cpuMs: number } {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    let samples = 0;
    let start = 0;
    while (performance.now() - t0 < ms) {
      const count = Math.min(t.batchSize, train.size - start);
      model.lossAndGradient(data, order, start, count);
      adam.update(model.grads, t.learningRate);
      model.afterStep?.();
      samples += count;
      start = start + count >= train.size ? 0 : start + count;
    }
    const c = process.cpuUsage(c0);
    return { samples, ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
  }

  runFor(1500); // warm-up (JIT), and moves the network away from its initial state
  const seconds = Number(values.seconds);
  const { samples, ms, cpuMs } = runFor(seconds * 1000);
  const predicted = new Int32Array(train.size);
  model.predict(data, predicted);
  console.log(
    JSON.stringify(
      {
        method,
        samples,
        trainingSamplesPerCpuSecond: Math.round(samples / (cpuMs / 1000)),
        trainingSamplesPerWallSecond: Math.round(samples / (ms / 1000)),
        cpuSeconds: +(cpuMs / 1000).toFixed(2),
        wallSeconds: +(ms / 1000).toFixed(2),
        spikesPerSample: +(model as FirstSpikeModel).meanSpikesPerSample.toFixed(1),
        node: process.version,
      },
      null,
      2,
    ),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) measureThroughput('spike-time', process.argv.slice(2));

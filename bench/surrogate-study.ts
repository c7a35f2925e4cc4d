/**
 * The accuracy study of the surrogate method's DEFAULT config: 5 training seeds, simulation
 * mode, Yin-Yang publication splits, each trial to its end (≤ 150 epochs, early stopping on
 * validation, best-validation parameters). Prints per-seed test accuracy, mean ± sd and times.
 * Goal (issue 3): mean test accuracy ≥ 95.0 %.
 *
 *   nice -n 10 node --import tsx bench/surrogate-study.ts [--seeds 0,1,2,3,4] [--parallel 2] [--json out.json]
 *
 * Seeds run in worker threads (`--parallel` at a time); each trial is deterministic, so the
 * accuracies do not depend on the parallelism, only the wall time does.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { parseTrialConfig, type TrialResult } from '../shared/contracts/index.ts';
import { runTrial } from '../shared/engine/trial.ts';

if (!isMainThread) {
  const { seed, overrides } = workerData as { seed: number; overrides: Record<string, unknown> };
  const result = await runTrial(parseTrialConfig({ method: 'surrogate', ...overrides, seed }), {
    onEpoch: (m) => parentPort!.postMessage({ kind: 'epoch', seed, epoch: m.epoch, validationAccuracy: m.validationAccuracy }),
  });
  parentPort!.postMessage({ kind: 'result', seed, result });
} else {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '0,1,2,3,4' },
      parallel: { type: 'string', default: '2' },
      json: { type: 'string' },
      overrides: { type: 'string', default: '{}' },
    },
  });
  const seeds = values.seeds.split(',').map(Number);
  const parallel = Math.max(1, Number(values.parallel));
  const overrides = JSON.parse(values.overrides) as Record<string, unknown>;
  const t0 = performance.now();
  const results = new Map<number, TrialResult>();
  const runOne = (seed: number) =>
    new Promise<void>((resolve, reject) => {
      // Node 20 does not pass `--import tsx` on to a thread's module loading: register it there.
      const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); });`;
      const worker = new Worker(boot, { eval: true, workerData: { seed, overrides } });
      worker.on('message', (m: { kind: 'epoch'; seed: number; epoch: number; validationAccuracy: number } | { kind: 'result'; seed: number; result: TrialResult }) => {
        if (m.kind === 'epoch') {
          if (m.epoch % 10 === 0) process.stderr.write(`  seed ${m.seed}: epoch ${m.epoch}, validation ${(100 * m.validationAccuracy).toFixed(1)} %\n`);
        } else results.set(m.seed, m.result);
      });
      worker.on('error', reject);
      worker.on('exit', () => resolve());
    });
  const queue = [...seeds];
  await Promise.all(
    Array.from({ length: Math.min(parallel, seeds.length) }, async () => {
      for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) await runOne(seed);
    }),
  );
  const totalS = (performance.now() - t0) / 1000;
  const pct = (x: number) => (100 * x).toFixed(2);
  console.log(`surrogate study: default config, simulation mode, seeds ${seeds.join(',')}${values.overrides !== '{}' ? `, overrides ${values.overrides}` : ''}`);
  console.log('seed | status    | epochs | best epoch | train % | val % | test % | trial time s');
  const accs: number[] = [];
  for (const seed of seeds) {
    const r = results.get(seed);
    if (!r) {
      console.log(`${seed} | missing (worker failed)`);
      continue;
    }
    if (r.testAccuracy !== null) accs.push(r.testAccuracy);
    const f = (x: number | null) => (x === null ? '-' : pct(x));
    console.log(`${seed} | ${r.status.padEnd(9)} | ${r.epochs.length} | ${r.bestEpoch} | ${f(r.trainAccuracy)} | ${f(r.validationAccuracy)} | ${f(r.testAccuracy)} | ${(r.wallTimeMs / 1000).toFixed(1)}`);
  }
  const mean = accs.reduce((a, b) => a + b, 0) / Math.max(1, accs.length);
  const sd = Math.sqrt(accs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, accs.length - 1));
  console.log(`test accuracy: mean ${pct(mean)} % ± ${pct(sd)} % (sd over ${accs.length} seeds), min ${pct(Math.min(...accs))} %, max ${pct(Math.max(...accs))} %`);
  console.log(`total wall time: ${totalS.toFixed(0)} s with ${parallel} worker thread(s)`);
  console.log(`goal mean ≥ 95.00 %: ${mean >= 0.95 && accs.length === seeds.length ? 'met' : 'NOT met'}`);
  if (values.json) writeFileSync(values.json, JSON.stringify({ seeds, parallel, totalWallTimeS: totalS, results: [...results.values()] }, null, 1));
}

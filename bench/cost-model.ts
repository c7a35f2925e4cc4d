/**
 * Benchmark of the cost model (shared/analysis/cost-model.ts) behind `spikesweep run --dry-run`.
 *
 *   nice -n 10 node --import tsx bench/cost-model.ts [--spec examples/quick-robustness.yaml] [--workers 2]
 *     runs the spec embedded in a temporary store and prints the estimated CPU time, the measured
 *     CPU time of this process (all worker threads; user + system) and their ratio (goal: within
 *     30 %, i.e. 0.7–1.3), and the same for chip time against the trials' reported hardware time.
 *   nice -n 10 node --import tsx bench/cost-model.ts --calibrate
 *     runs small single trials of every method × mode in this thread (three sizes each) and prints
 *     the per-sample CPU costs they imply, to refresh COST_CONSTANTS on a new machine.
 *
 * CPU time, not wall time: on a shared machine the wall time of a trial grows with the load of
 * others, its CPU time much less.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { estimateSweepCost, estimateTrialCost, formatDurationMs } from '../shared/analysis/index.ts';
import { TrialConfig } from '../shared/contracts/index.ts';
import { runTrial } from '../shared/engine/trial.ts';
import { createEmbeddedStore } from '../shared/store/index.ts';
import { runSweepEmbedded } from '../shared/sweep/embedded.ts';
import { planSweep } from '../shared/sweep/plan.ts';

const { values } = parseArgs({
  options: {
    spec: { type: 'string', default: 'examples/quick-robustness.yaml' },
    workers: { type: 'string', default: '2' },
    calibrate: { type: 'boolean', default: false },
  },
});

const cpuMsNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

if (values.calibrate) {
  const sizes = [
    { epochs: 1, evaluateOnChips: [] as number[] },
    { epochs: 3, evaluateOnChips: [] as number[] },
    { epochs: 1, evaluateOnChips: [100, 101] },
  ];
  const dataset = { trainSize: 600, validationSize: 200, testSize: 400 };
  process.stdout.write('method mode: ms per epoch of 600+200 samples | ms per extra chip (400 test) | ms fixed (setup + test) | model estimate of the 3 runs ÷ measured\n');
  for (const method of ['surrogate', 'spike-time', 'eventprop'] as const) {
    for (const mode of ['simulation', 'in-the-loop', 'transfer'] as const) {
      const measured: number[] = [];
      const estimated: number[] = [];
      // one run first so that compilation (JIT) is not counted in the first size
      await runTrial(TrialConfig.parse({ method, mode, dataset, training: { epochs: 1 } }));
      for (const s of sizes) {
        const config = TrialConfig.parse({ method, mode, dataset, training: { epochs: s.epochs }, evaluateOnChips: s.evaluateOnChips });
        const start = cpuMsNow();
        const result = await runTrial(config);
        measured.push(cpuMsNow() - start);
        estimated.push(estimateTrialCost(config as unknown as Record<string, unknown>).cpuMs);
        if (result.status !== 'completed') process.stdout.write(`  (${method} ${mode}: ${result.status} ${result.error ?? ''})\n`);
      }
      const perEpoch = (measured[1]! - measured[0]!) / 2;
      const perChip = (measured[2]! - measured[0]!) / 2;
      const fixed = measured[0]! - perEpoch;
      const ratio = estimated.reduce((a, b) => a + b, 0) / measured.reduce((a, b) => a + b, 0);
      process.stdout.write(`${method} ${mode}: ${perEpoch.toFixed(0)} | ${perChip.toFixed(0)} | ${fixed.toFixed(0)} | ×${ratio.toFixed(2)}\n`);
    }
  }
} else {
  const spec = parseYaml(readFileSync(values.spec, 'utf8')) as unknown;
  const plan = planSweep(spec);
  const estimate = estimateSweepCost(plan.trials);
  const dir = mkdtempSync(join(tmpdir(), 'spikesweep-cost-'));
  const store = await createEmbeddedStore({ dir });
  try {
    const start = cpuMsNow();
    const run = await runSweepEmbedded({ spec, store, workers: Number(values.workers), checkpointDir: null });
    const measuredCpuMs = cpuMsNow() - start;
    const measuredHardwareMs = run.results.reduce((a, r) => a + r.hardwareTimeMs, 0);
    process.stdout.write(
      [
        `${values.spec}: ${plan.trials.length} trials, ${run.executed} run, ${values.workers} workers`,
        `CPU time   estimated ${formatDurationMs(estimate.cpuMs)}  measured ${formatDurationMs(measuredCpuMs)}  estimate/measured ${(estimate.cpuMs / measuredCpuMs).toFixed(2)}`,
        `chip time  estimated ${formatDurationMs(estimate.hardwareTimeMs)}  measured ${formatDurationMs(measuredHardwareMs)}  estimate/measured ${(estimate.hardwareTimeMs / measuredHardwareMs).toFixed(2)}`,
      ].join('\n') + '\n',
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

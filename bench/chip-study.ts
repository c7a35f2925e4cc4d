/**
 * Chip robustness study (issue 5): per method, with calibration OFF at the default mismatch,
 * - `simulation`: train in simulation, test accuracy in simulation;
 * - `transfer`: the same trained network deployed on each of the chips (mismatch seeds 0…C−1);
 * - `in-the-loop`: trained on each chip (forward on the chip, backward through the model),
 *   test accuracy on that chip;
 * and, for comparison, `transfer` onto calibrated chips.
 *
 *   nice -n 10 node --import tsx bench/chip-study.ts [--methods surrogate,spike-time]
 *       [--epochs 20] [--chips 5] [--train-size 5000] [--seed 0] [--json out.json]
 *
 * Prints one line per trial as it finishes, then a table: per method the simulation accuracy,
 * transfer and in-the-loop mean ± sd over chips (worst chip), the two gaps, and the cost of the
 * in-the-loop runs (chip runs, hardware time, energy, read-out bytes per sample).
 * Goal (issue 5): transfer loses ≥ 5 points on average, in-the-loop within 2 points of simulation.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseTrialConfig, type MethodName, type TrialResult } from '../shared/contracts/trial.ts';
import { runTrial } from '../shared/engine/trial.ts';

const { values } = parseArgs({
  options: {
    methods: { type: 'string', default: 'surrogate,spike-time' },
    epochs: { type: 'string', default: '20' },
    chips: { type: 'string', default: '5' },
    'train-size': { type: 'string', default: '5000' },
    seed: { type: 'string', default: '0' },
    json: { type: 'string' },
  },
});
const methods = values.methods.split(',') as MethodName[];
const epochs = Number(values.epochs);
const chips = Array.from({ length: Number(values.chips) }, (_, k) => k);
const trainSize = Number(values['train-size']);
const seed = Number(values.seed);

async function trial(method: MethodName, mode: 'simulation' | 'in-the-loop' | 'transfer', chip: Record<string, unknown>, evaluateOnChips: number[] = []): Promise<TrialResult> {
  const config = parseTrialConfig({ method, mode, seed, dataset: { trainSize }, training: { epochs }, chip, evaluateOnChips });
  const t0 = performance.now();
  const r = await runTrial(config);
  if (r.status !== 'completed') throw new Error(`${method} ${mode}: ${r.status} ${r.error}`);
  const evals = r.chipEvaluations.map((e) => pct(e.testAccuracy)).join(' ');
  console.error(
    `${method} ${mode} chip ${JSON.stringify(chip)}: test ${pct(r.testAccuracy!)}${evals ? ` | chips ${evals}` : ''} | best epoch ${r.bestEpoch} | ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  return r;
}

const pct = (x: number) => (100 * x).toFixed(1);
const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
const sd = (a: number[]) => (a.length > 1 ? Math.sqrt(a.reduce((s, x) => s + (x - mean(a)) ** 2, 0) / (a.length - 1)) : 0);
const summary = (a: number[]) => `${pct(mean(a))} ± ${pct(sd(a))} (worst ${pct(Math.min(...a))})`;

interface MethodStudy {
  method: MethodName;
  simulation: number;
  transfer: number[];
  transferCalibrated: number[];
  inTheLoop: number[];
  inTheLoopCost: { chipRuns: number; hardwareTimeMs: number; energyJ: number; readoutBytesPerSample: number; wallTimeMs: number };
  simulationWallTimeMs: number;
}

const studies: MethodStudy[] = [];
const started = performance.now();
for (const method of methods) {
  const sim = await trial(method, 'simulation', { calibrated: false }, chips);
  const simCal = await trial(method, 'simulation', { calibrated: true }, chips);
  const loops: TrialResult[] = [];
  for (const mismatchSeed of chips) loops.push(await trial(method, 'in-the-loop', { mismatchSeed, calibrated: false }));
  studies.push({
    method,
    simulation: sim.testAccuracy!,
    transfer: sim.chipEvaluations.map((e) => e.testAccuracy),
    transferCalibrated: simCal.chipEvaluations.map((e) => e.testAccuracy),
    inTheLoop: loops.map((r) => r.testAccuracy!),
    inTheLoopCost: {
      chipRuns: mean(loops.map((r) => r.chipRuns)),
      hardwareTimeMs: mean(loops.map((r) => r.hardwareTimeMs)),
      energyJ: mean(loops.map((r) => r.energyJ)),
      readoutBytesPerSample: mean(loops.map((r) => r.readoutBytesPerSample)),
      wallTimeMs: mean(loops.map((r) => r.wallTimeMs)),
    },
    simulationWallTimeMs: sim.wallTimeMs,
  });
}

console.log(`\nChip study: ${epochs} epochs, train ${trainSize}, training seed ${seed}, chips ${chips.join(',')} (calibration off unless stated), ${((performance.now() - started) / 60000).toFixed(1)} min\n`);
console.log('| method | simulation | transfer (uncal.) | transfer loss | in-the-loop (uncal.) | in-the-loop gap | transfer (calibrated) | in-the-loop cost per trial |');
console.log('|---|---|---|---|---|---|---|---|');
for (const s of studies) {
  const c = s.inTheLoopCost;
  console.log(
    `| ${s.method} | ${pct(s.simulation)} | ${summary(s.transfer)} | ${pct(s.simulation - mean(s.transfer))} | ${summary(s.inTheLoop)} | ${pct(s.simulation - mean(s.inTheLoop))} | ${summary(s.transferCalibrated)} | ` +
      `${c.chipRuns.toFixed(0)} runs, ${c.hardwareTimeMs.toFixed(0)} ms hw, ${c.energyJ.toFixed(3)} J, ${c.readoutBytesPerSample.toFixed(0)} B/sample, ${(c.wallTimeMs / 1000).toFixed(0)} s wall |`,
  );
}
if (values.json) writeFileSync(values.json, JSON.stringify({ epochs, trainSize, seed, chips, studies }, null, 2));

/**
 * Robust-transfer study (issue 12): does hardware-aware training in simulation recover plain
 * transfer's loss on unseen, uncalibrated chips, at zero per-device chip time?
 *
 * Per method: one plain trial trained in simulation (its simulation test accuracy, and
 * `evaluateOnChips` = plain transfer) and one `robust-transfer` trial per
 * variant, each deployed on the same chips (mismatch seeds 0…C−1, calibration off, never sampled
 * in training). Loss recovered = (robust − transfer) / (simulation − transfer), for the mean over
 * chips and for the worst chip (simulation = the plain network's test accuracy in simulation).
 * Goal: ≥ 0.5 for both, for at least two methods.
 *
 *   nice -n 10 node --import tsx bench/robust-transfer-study.ts [--methods spike-time,eventprop]
 *       [--epochs 20] [--train-size 3000] [--chips 5] [--variants plain,wide] [--json out.json]
 *
 * Variants: `plain` (a fresh device per minibatch from the chip model's own distributions),
 * `wide` (mismatch σ × 1.5), `wider` (× 2), `adversarial` (plain + worst-case relative weight
 * step ζ = 0.05), `wide-adversarial` (both).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseTrialConfig, type MethodName, type TrialResult } from '../shared/contracts/trial.ts';
import { runTrial } from '../shared/engine/trial.ts';

const { values } = parseArgs({
  options: {
    methods: { type: 'string', default: 'spike-time,eventprop' },
    epochs: { type: 'string', default: '20' },
    chips: { type: 'string', default: '5' },
    'train-size': { type: 'string', default: '3000' },
    variants: { type: 'string', default: 'plain,wide' },
    seed: { type: 'string', default: '0' },
    json: { type: 'string' },
  },
});
const methods = values.methods.split(',') as MethodName[];
const epochs = Number(values.epochs);
const chips = Array.from({ length: Number(values.chips) }, (_, k) => k);
const trainSize = Number(values['train-size']);
const seed = Number(values.seed);

const VARIANTS: Record<string, Record<string, unknown>> = {
  plain: {},
  wide: { mismatchScale: 1.5 },
  adversarial: { adversarialRelativeStep: 0.05 },
  wider: { mismatchScale: 2 },
  'wide-adversarial': { mismatchScale: 1.5, adversarialRelativeStep: 0.05 },
};
const variants = values.variants.split(',');
for (const v of variants) if (!VARIANTS[v]) throw new Error(`unknown variant '${v}' (${Object.keys(VARIANTS).join(', ')})`);

const pct = (x: number) => (100 * x).toFixed(1);
const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
const sd = (a: number[]) => (a.length > 1 ? Math.sqrt(a.reduce((s, x) => s + (x - mean(a)) ** 2, 0) / (a.length - 1)) : 0);
const summary = (a: number[]) => `${pct(mean(a))} ± ${pct(sd(a))} (${pct(Math.min(...a))})`;

async function trial(method: MethodName, mode: 'simulation' | 'robust-transfer', robustTransfer: Record<string, unknown> = {}): Promise<TrialResult> {
  const config = parseTrialConfig({ method, mode, seed, dataset: { trainSize }, training: { epochs }, chip: { calibrated: false }, evaluateOnChips: chips, robustTransfer });
  const t0 = performance.now();
  const r = await runTrial(config);
  if (r.status !== 'completed') throw new Error(`${method} ${mode}: ${r.status} ${r.error}`);
  console.error(`${method} ${mode} ${JSON.stringify(robustTransfer)}: chips ${r.chipEvaluations.map((e) => pct(e.testAccuracy)).join(' ')} | best epoch ${r.bestEpoch} | ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return r;
}


const rows: unknown[] = [];
const started = performance.now();
console.log(`Robust-transfer study: ${epochs} epochs, train ${trainSize}, seed ${seed}, uncalibrated chips ${chips.join(',')}\n`);
console.log('| method | variant | simulation | transfer | robust-transfer | recovered (mean) | recovered (worst chip) | wall time |');
console.log('|---|---|---|---|---|---|---|---|');
for (const method of methods) {
  // plain transfer: trained in simulation (its test accuracy), deployed on each chip
  const plain = await trial(method, 'simulation');
  const sim = plain.testAccuracy!;
  const transfer = plain.chipEvaluations.map((e) => e.testAccuracy);
  for (const variant of variants) {
    const t0 = performance.now();
    const robust = (await trial(method, 'robust-transfer', VARIANTS[variant])).chipEvaluations.map((e) => e.testAccuracy);
    const recoveredMean = (mean(robust) - mean(transfer)) / (sim - mean(transfer));
    const recoveredWorst = (Math.min(...robust) - Math.min(...transfer)) / (sim - Math.min(...transfer));
    const wallS = (performance.now() - t0) / 1000;
    console.log(`| ${method} | ${variant} | ${pct(sim)} | ${summary(transfer)} | ${summary(robust)} | ${recoveredMean.toFixed(2)} | ${recoveredWorst.toFixed(2)} | ${wallS.toFixed(0)} s |`);
    rows.push({ method, variant, simulation: sim, transfer, robust, recoveredMean, recoveredWorst, wallS });
  }
}
console.log(`\n${((performance.now() - started) / 60000).toFixed(1)} min`);
if (values.json) writeFileSync(values.json, JSON.stringify({ epochs, trainSize, seed, chips, rows }, null, 2));

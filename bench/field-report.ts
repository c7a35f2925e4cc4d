/**
 * Field-study report: the "Field conditions" numbers of a sweep in an embedded store, as
 * markdown tables (what the dashboard section shows).
 *
 *   node --import tsx bench/field-report.ts --store .data/store [--sweep field-study]
 *
 * Prints, per method × mode: accuracy (mean ± sd over trials = chips, worst) at each scheduled
 * temperature and age without maintenance, and per policy its mean accuracy, worst accuracy,
 * share of trials kept within tolerance and chip time per trial over the schedule.
 */
import { parseArgs } from 'node:util';
import { createEmbeddedStore } from '../shared/store/index.ts';
import type { Stats } from '../shared/store/types.ts';

const { values } = parseArgs({ options: { store: { type: 'string', default: '.data/store' }, sweep: { type: 'string', default: 'field-study' } } });
const store = await createEmbeddedStore({ dir: values.store, follow: true });
const sweep = (await store.listSweeps({ limit: 1000 })).find((s) => s.name === values.sweep || s.sweepId === values.sweep);
if (!sweep) {
  console.error(`no sweep '${values.sweep}' in ${values.store}`);
  process.exit(2);
}
const f = await store.getFieldSummary(sweep.sweepId);
const pct = (x: number | null) => (x === null ? '–' : (100 * x).toFixed(1));
const cell = (s: Stats) => `${pct(s.mean)} ± ${pct(s.sd)} (${pct(s.min)})`;

console.log(`Sweep ${sweep.name} (${sweep.sweepId}): ${f.trials} trials with an operation study\n`);
for (const axis of ['temperature', 'age'] as const) {
  const curves = f[axis].filter((c) => c.policy === 'none');
  const xs = [...new Set(curves.flatMap((c) => c.points.map((p) => p.x)))].sort((a, b) => a - b);
  if (xs.length === 0) continue;
  const unit = axis === 'temperature' ? '°C' : 'h';
  console.log(`Accuracy vs ${axis}, no maintenance: mean ± sd over chips (worst)\n`);
  console.log(`| method (mode) | ${xs.map((x) => `${x} ${unit}`).join(' | ')} |`);
  console.log(`|---|${xs.map(() => '---').join('|')}|`);
  for (const c of curves) console.log(`| ${c.method} (${c.mode}) | ${xs.map((x) => { const p = c.points.find((q) => q.x === x); return p ? cell(p.accuracy) : '–'; }).join(' | ')} |`);
  console.log('');
}
console.log('Maintenance policies over the whole schedule, per trial\n');
console.log('| method (mode) | deployed | policy | mean acc. | worst acc. (mean over chips) | kept within tolerance | chip time | energy |');
console.log('|---|---|---|---|---|---|---|---|');
for (const p of f.policies) {
  const g = f.groups.find((x) => x.method === p.method && x.mode === p.mode)!;
  console.log(`| ${p.method} (${p.mode}) | ${pct(g.deploymentAccuracy.mean)} | ${p.policy} | ${pct(p.meanAccuracy)} | ${pct(p.worstAccuracy.mean)} | ${Math.round(p.keptFraction * p.trials)} of ${p.trials} | ${p.hardwareTimeMs.toFixed(0)} ms | ${p.energyJ.toFixed(3)} J |`);
}
console.log('\nCheapest policy keeping accuracy within tolerance, per method × mode (trials):');
for (const g of f.groups) console.log(`- ${g.method} (${g.mode}): ${Object.entries(g.cheapest).map(([k, n]) => `${k} ${n}`).join(', ')}`);
await store.close();

/**
 * What a whole sweep costs before it runs: CPU-hours and chip-hours of every trial of a spec,
 * estimated from a stratified sample — one representative trial per method × mode cell (the
 * cell's first planned trial), run for a few epochs at the trial's own split sizes — and
 * scaled by each trial's epoch budget and training-split size.
 *
 * Per cell, CPU time is measured directly for the three parts of a trial: setting it up
 * (data, model, chip calibration), one training epoch (mean of the measured epochs) and
 * finishing it (final accuracies, the `evaluateOnChips` deployments). Chip time comes from two
 * runs of the representative (1 and 2 epochs): their difference is one epoch's chip time, the
 * rest is the fixed part. A trial's estimate is setup + epochs × epoch × trainSize/sampled
 * trainSize + finish; early stopping is ignored (the budget is an upper bound).
 *
 *   node --import tsx bench/study-cost.ts examples/full-robustness.yaml [--baseline REV]
 *
 * With `--baseline REV` the same cells also run on the engine of git revision REV (checked
 * out as a detached worktree next to the system temp dir, sharing this checkout's
 * node_modules), alternating old and new per cell on the same machine, and the ratio of the
 * whole spec's CPU-hours is printed. Goal (issue 13): the full-robustness study at ≤ 1/10 of
 * the old commit's cost.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';

interface Session {
  runEpoch(): unknown;
  finish(): { hardwareTimeMs: number; status: string; error: string | null };
}
interface Engine {
  label: string;
  planSweep(spec: unknown): { trials: readonly { config: Record<string, unknown> & { method: string; mode: string; training: { epochs: number }; dataset: { trainSize: number } } }[] };
  startTrial(config: unknown): Session;
  parseTrialConfig(config: unknown): unknown;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { baseline: { type: 'string' }, epochs: { type: 'string', default: '2' } },
});
const specPath = positionals[0];
if (!specPath) {
  process.stderr.write('usage: bench/study-cost.ts SPEC.yaml [--baseline REV] [--epochs K]\n');
  process.exit(2);
}
const measuredEpochs = Math.max(2, Number(values.epochs));
const root = fileURLToPath(new URL('..', import.meta.url));
const spec: unknown = parseYaml(readFileSync(specPath, 'utf8'));

async function loadEngine(dir: string, label: string): Promise<Engine> {
  const at = (p: string) => pathToFileURL(join(dir, p)).href;
  const plan = (await import(at('shared/sweep/plan.ts'))) as Pick<Engine, 'planSweep'>;
  const trial = (await import(at('shared/engine/trial.ts'))) as Pick<Engine, 'startTrial'>;
  const contracts = (await import(at('shared/contracts/index.ts'))) as Pick<Engine, 'parseTrialConfig'>;
  return { label, planSweep: plan.planSweep, startTrial: trial.startTrial, parseTrialConfig: contracts.parseTrialConfig };
}

function baselineCheckout(rev: string): string {
  const sha = execFileSync('git', ['rev-parse', '--verify', `${rev}^{commit}`], { cwd: root, encoding: 'utf8' }).trim();
  const dir = join(tmpdir(), `spikesweep-baseline-${sha.slice(0, 12)}`);
  if (!existsSync(dir)) execFileSync('git', ['worktree', 'add', '--detach', dir, sha], { cwd: root, stdio: 'ignore' });
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface CellCost {
  setupCpuMs: number;
  epochCpuMs: number;
  finishCpuMs: number;
  epochChipMs: number;
  fixedChipMs: number;
  sampledTrainSize: number;
}

/** Measures one representative trial config of a cell on an engine. */
function measure(engine: Engine, config: Record<string, unknown>): CellCost {
  const short = (epochs: number) => ({ ...config, training: { ...(config.training as object), epochs, earlyStoppingPatience: 0 } });
  let c0 = cpuMs();
  const session = engine.startTrial(engine.parseTrialConfig(short(measuredEpochs)));
  const setupCpuMs = cpuMs() - c0;
  c0 = cpuMs();
  for (let e = 0; e < measuredEpochs; e++) session.runEpoch();
  const epochCpuMs = (cpuMs() - c0) / measuredEpochs;
  c0 = cpuMs();
  const long = session.finish();
  const finishCpuMs = cpuMs() - c0;
  if (long.status !== 'completed') throw new Error(`${engine.label}: representative trial ${long.status}: ${long.error}`);
  const once = engine.startTrial(engine.parseTrialConfig(short(1)));
  once.runEpoch();
  const one = once.finish();
  const epochChipMs = (long.hardwareTimeMs - one.hardwareTimeMs) / (measuredEpochs - 1);
  return {
    setupCpuMs,
    epochCpuMs,
    finishCpuMs,
    epochChipMs,
    fixedChipMs: Math.max(0, one.hardwareTimeMs - epochChipMs),
    sampledTrainSize: (config.dataset as { trainSize: number }).trainSize,
  };
}

const engines: Engine[] = [await loadEngine(root, 'this checkout')];
if (values.baseline) engines.unshift(await loadEngine(baselineCheckout(values.baseline), `baseline ${values.baseline}`));

const plans = engines.map((e) => e.planSweep(spec));
const cells = new Map<string, number>();
for (const t of plans.at(-1)!.trials) cells.set(`${t.config.method} / ${t.config.mode}`, (cells.get(`${t.config.method} / ${t.config.mode}`) ?? 0) + 1);

const HOUR_MS = 3_600_000;
const totals = engines.map(() => ({ cpuH: 0, chipH: 0 }));
const rows: string[][] = [];
let round = 0;
for (const cell of cells.keys()) {
  const order = round++ % 2 === 0 ? engines.map((_, k) => k) : engines.map((_, k) => k).reverse();
  const perEngine: { cpuH: number; chipH: number; cost: CellCost }[] = [];
  for (const k of order) {
    const trials = plans[k]!.trials.filter((t) => `${t.config.method} / ${t.config.mode}` === cell);
    const cost = measure(engines[k]!, trials[0]!.config);
    let cpu = 0;
    let chip = 0;
    for (const t of trials) {
      const scale = t.config.dataset.trainSize / cost.sampledTrainSize;
      cpu += cost.setupCpuMs + t.config.training.epochs * cost.epochCpuMs * scale + cost.finishCpuMs;
      chip += cost.fixedChipMs + t.config.training.epochs * cost.epochChipMs * scale;
    }
    perEngine[k] = { cpuH: cpu / HOUR_MS, chipH: chip / HOUR_MS, cost };
    totals[k]!.cpuH += cpu / HOUR_MS;
    totals[k]!.chipH += chip / HOUR_MS;
  }
  for (const [k, e] of engines.entries()) {
    const p = perEngine[k]!;
    rows.push([
      cell,
      e.label,
      String(cells.get(cell)),
      (p.cost.setupCpuMs / 1000).toFixed(2),
      (p.cost.epochCpuMs / 1000).toFixed(3),
      (p.cost.finishCpuMs / 1000).toFixed(2),
      p.cpuH.toPrecision(3),
      (p.chipH * 3600).toFixed(1),
    ]);
  }
  process.stderr.write(`measured ${cell}\n`);
}

const header = ['method / mode', 'engine', 'trials', 'setup CPU-s', 'epoch CPU-s', 'finish CPU-s', 'cell CPU-h', 'cell chip-s'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log(`${specPath}: ${plans.at(-1)!.trials.length} trials; each cell's first trial measured for ${measuredEpochs} epochs (+1 for chip time)`);
console.log(line(header));
for (const r of rows) console.log(line(r));
for (const [k, e] of engines.entries()) {
  console.log(`${e.label}: ${totals[k]!.cpuH.toFixed(1)} CPU-hours, ${totals[k]!.chipH.toFixed(2)} chip-hours for the whole spec`);
}
if (engines.length === 2) console.log(`cost ratio (this checkout / baseline): ${(totals[1]!.cpuH / totals[0]!.cpuH).toFixed(3)} (goal ≤ 0.100)`);

/**
 * Start-up cost of the `spikesweep` command, as whole processes: `spikesweep --help`, and the
 * overhead of a 1-epoch `trial` (process wall time minus the trial's own `wallTimeMs`, i.e.
 * everything that is not training: node start, module loading, config parsing, output). Each
 * is measured from the compiled dist/ (`npm run build`) and from the TypeScript sources
 * (SPIKESWEEP_FROM_SOURCE=1, the tsx loader), in alternating rounds, next to a bare
 * `node -e 0` as the floor of any Node process on this machine.
 *
 *   node --import tsx bench/cli-startup.ts [--rounds 7]
 *
 * Goals (issue 13): `--help` ≤ 0.3 s, 1-epoch trial overhead ≤ 0.6 s on an idle machine.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compiledIsFresh } from '../shared/runtime/compiled.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' } } });
const rounds = Number(values.rounds);
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = fileURLToPath(new URL('../bin/spikesweep.js', import.meta.url));

if (!compiledIsFresh()) {
  process.stderr.write('dist/ is missing or older than the sources: run `npm run build` first\n');
  process.exit(2);
}

const trialConfig = JSON.stringify({ method: 'spike-time', training: { epochs: 1 }, dataset: { trainSize: 200, validationSize: 100, testSize: 100 } });

interface Timing {
  wallMs: number;
  engineMs: number;
}

function time(args: string[], env: Record<string, string>, input?: string): Timing {
  const t0 = performance.now();
  const run = spawnSync(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, input, encoding: 'utf8' });
  const wallMs = performance.now() - t0;
  if (run.status !== 0) throw new Error(`${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  const engineMs = input ? (JSON.parse(run.stdout) as { wallTimeMs: number }).wallTimeMs : 0;
  return { wallMs, engineMs };
}

const cases: { name: string; run: () => number }[] = [
  { name: 'node -e 0 (floor)', run: () => time(['-e', '0'], {}).wallMs },
  { name: 'spikesweep --help, compiled', run: () => time([bin, '--help'], {}).wallMs },
  { name: 'spikesweep --help, from source (tsx)', run: () => time([bin, '--help'], { SPIKESWEEP_FROM_SOURCE: '1' }).wallMs },
  {
    name: '1-epoch trial overhead, compiled',
    run: () => {
      const t = time([bin, 'trial', '-'], {}, trialConfig);
      return t.wallMs - t.engineMs;
    },
  },
  {
    name: '1-epoch trial overhead, from source (tsx)',
    run: () => {
      const t = time([bin, 'trial', '-'], { SPIKESWEEP_FROM_SOURCE: '1' }, trialConfig);
      return t.wallMs - t.engineMs;
    },
  },
];

const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
for (let r = 0; r < rounds; r++) for (const c of cases) samples.get(c.name)!.push(c.run());

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`whole-process times over ${rounds} alternating rounds (ms): min / median / max`);
for (const [name, xs] of samples) {
  console.log(`${name.padEnd(42)} ${Math.min(...xs).toFixed(0).padStart(6)} ${median(xs).toFixed(0).padStart(6)} ${Math.max(...xs).toFixed(0).padStart(6)}`);
}
const m = (name: string) => median(samples.get(name)!);
console.log(`--help: compiled is ${(m('spikesweep --help, from source (tsx)') / m('spikesweep --help, compiled')).toFixed(1)}× faster than from source; ${(m('spikesweep --help, compiled') - m('node -e 0 (floor)')).toFixed(0)} ms above the node floor`);
console.log(`trial overhead: compiled ${m('1-epoch trial overhead, compiled').toFixed(0)} ms vs from source ${m('1-epoch trial overhead, from source (tsx)').toFixed(0)} ms`);

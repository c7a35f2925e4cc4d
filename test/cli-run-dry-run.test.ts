// `spikesweep run --dry-run`: a real CLI process; the estimate is the cost model's and nothing runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { estimateSweepCost, formatDurationMs } from '../shared/analysis/index.ts';
import { planSweep } from '../shared/sweep/plan.ts';

const bin = fileURLToPath(new URL('../bin/spikesweep.js', import.meta.url));
const spec = fileURLToPath(new URL('../examples/quick-robustness.yaml', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'spikesweep-dry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]) {
  const run = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('spikesweep run --dry-run', () => {
  const expected = estimateSweepCost(planSweep(parseYaml(readFileSync(spec, 'utf8'))).trials);

  it('prints the trial count and the estimated CPU and chip time, and runs nothing', () => {
    const store = join(dir, 'store');
    const r = cli(['run', spec, '--dry-run', '--workers', '2', '--store', store]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('"quick-robustness": 24 trials (dry run: nothing was run)');
    expect(r.stdout).toContain(`estimated CPU time ${formatDurationMs(expected.cpuMs)}`);
    expect(r.stdout).toContain(`chip time ${formatDurationMs(expected.hardwareTimeMs)}`);
    expect(r.stdout).toMatch(/surrogate\s+│ in-the-loop\s+│ 6 /);
    expect(existsSync(store)).toBe(false);
  });

  it('--json gives the same estimate as the cost model in process', () => {
    const r = cli(['run', spec, '--dry-run', '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { name: string; estimate: typeof expected };
    expect(out.name).toBe('quick-robustness');
    expect(out.estimate).toEqual(expected);
    expect(out.estimate.trials).toBe(24);
    expect(out.estimate.chipRuns).toBe(6 * (14_700 + 4300 + 14_700 + 4300));
  });
});

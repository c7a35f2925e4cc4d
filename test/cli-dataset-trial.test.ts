// The `dataset` and `trial` commands end to end (a real CLI process each; slow to start under tsx).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TrialResult } from '../shared/contracts/index.ts';

const bin = fileURLToPath(new URL('../bin/spikesweep.js', import.meta.url));

function cli(args: string[], input?: string) {
  const run = spawnSync(process.execPath, [bin, ...args], { input, encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('spikesweep dataset', () => {
  it('prints the publication training split as JSON with full precision', () => {
    const r = cli(['dataset', 'yinyang', '--split', 'train', '--size', '2']);
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as { x: number; y: number; label: number }[];
    expect(rows[0]).toEqual({ x: 0.6803075385877797, y: 0.450499251969543, label: 2 });
    expect(rows).toHaveLength(2);
  });

  it('prints CSV with a header; the test split has 1000 rows', () => {
    const r = cli(['dataset', 'yinyang', '--split', 'test', '--format', 'csv']);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('x,y,label');
    expect(lines[1]).toBe('0.23409664559563403,0.4017249751828972,2');
    expect(lines).toHaveLength(1001);
  });

  it('rejects an unknown split with one line and exit 2', () => {
    const r = cli(['dataset', 'yinyang', '--split', 'holdout']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--split/);
  });
});

describe('spikesweep trial', () => {
  it('runs a config from stdin with overrides and prints a valid result', () => {
    const config = JSON.stringify({ method: 'surrogate', dataset: { trainSize: 100, validationSize: 50, testSize: 50 }, network: { hiddenSize: 10 } });
    const r = cli(['trial', '-', '--epochs', '2', '--seed', '7'], config);
    expect(r.status).toBe(0);
    const result = TrialResult.parse(JSON.parse(r.stdout));
    expect(result.epochs).toHaveLength(2);
    expect((result.config as { seed: number }).seed).toBe(7);
  });

  it('a bad config is one line naming the field, exit 2', () => {
    const r = cli(['trial', '-'], JSON.stringify({ method: 'surrogate', surrogate: { beta: -3 } }));
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/surrogate\.beta/);
  });

  it('an unknown method or mode is rejected, exit 2', () => {
    expect(cli(['trial', '--method', 'backprop']).status).toBe(2);
    const r = cli(['trial', '--mode', 'quantum']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/mode/);
  });
});

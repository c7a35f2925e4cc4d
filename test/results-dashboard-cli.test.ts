/**
 * `spikesweep dashboard --store DIR --port 0` serves the API and the page over an embedded
 * store directory, read-only, and shows what a running process appends to it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEmbeddedStore } from '../shared/store/index.ts';
import { syntheticSweep } from '../shared/store/synthetic.ts';
import type { SweepSummary } from '../shared/store/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'spikesweep-dashboard-cli-'));
let child: ChildProcess | undefined;

afterAll(() => {
  if (child?.pid && child.exitCode === null) child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

describe('spikesweep dashboard', () => {
  it('serves an embedded store directory and follows its writer', async () => {
    const data = syntheticSweep({ sweepId: 'sw-cli', seed: 31, methods: ['eventprop'], learningRates: [0.002], betas: [100], trainingSeeds: 1, chips: 2, epochs: 3 });
    const writer = await createEmbeddedStore({ dir });
    await writer.apply({ kind: 'sweep-registered', sweep: data.sweep });

    child = spawn(process.execPath, ['bin/spikesweep.js', 'dashboard', '--store', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child!.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = out.match(/dashboard: (http:\/\/\S+?)\/\s/);
        if (m) resolve(m[1]!);
      });
      child!.on('exit', (code) => reject(new Error(`dashboard exited with ${code}: ${out}`)));
    });

    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('vendor/echarts.min.js');
    const sweeps = (await (await fetch(`${url}/api/sweeps`)).json()) as { sweeps: { sweepId: string }[] };
    expect(sweeps.sweeps.map((s) => s.sweepId)).toEqual(['sw-cli']);

    for (const result of data.results) await writer.apply({ kind: 'trial-finished', result, at: '2026-01-01T00:00:00Z' });
    const summary = (await (await fetch(`${url}/api/sweeps/sw-cli/summary`)).json()) as SweepSummary;
    const finished = summary.byStatus.completed + summary.byStatus.failed + summary.byStatus.diverged;
    expect(finished).toBe(data.results.length);
    await writer.close();

    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child!.on('exit', (c) => resolve(c)));
    expect(code).toBe(0);
  });
});

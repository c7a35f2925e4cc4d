/**
 * Browser test in Debian's Chromium (playwright-core): the dashboard's "Field conditions"
 * section appears for a sweep whose trials carry an operation study, draws accuracy vs
 * temperature and vs age per method × mode (mean and ± sd lines: 3 series each) and the policy
 * cost chart, lists every policy of the API's field summary, and stays hidden for a sweep
 * without one. Screenshot: test-artifacts/dashboard-field.png.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import type { OperationResult } from '../shared/contracts/operation.ts';
import { summarise } from '../shared/engine/operation.ts';
import { createEmbeddedStore, type FieldSummary, type Store } from '../shared/store/index.ts';
import { syntheticSweep } from '../shared/store/synthetic.ts';
import { AccessEnv, accessPolicy, listen } from '../shared/http/index.ts';
import { createResultsApp } from '../shared/results-app/app.ts';
import { chromiumPath } from './support/services.ts';

const at = '2026-01-01T00:00:00.000Z';
const ARTIFACTS = 'test-artifacts';

/** Accuracy a − drop·|T − 25| − drop·h/1000 without maintenance; recalibration restores a for 300 ms of chip time. */
function operation(a: number, drop: number): OperationResult {
  const row = (axis: 'temperature' | 'age', temperatureC: number, ageHours: number) => ({
    axis,
    temperatureC,
    ageHours,
    policies: [
      { policy: 'none' as const, testAccuracy: Math.max(0, a - drop * Math.abs(temperatureC - 25) - (drop * ageHours) / 1000), hardwareTimeMs: 0, energyJ: 0, chipRuns: 0 },
      { policy: 'recalibrate' as const, testAccuracy: a, hardwareTimeMs: 300, energyJ: 0.045, chipRuns: 10_000 },
    ],
  });
  const conditions = [row('temperature', 5, 0), row('temperature', 25, 0), row('temperature', 45, 0), row('age', 25, 0), row('age', 25, 10_000)];
  return { conditions, ...summarise(a, 2, 25, conditions) };
}

const field = syntheticSweep({ sweepId: 'sw-field', seed: 4, learningRates: [0.002], betas: [100], trainingSeeds: 1, chips: 3, epochs: 3 });
const plain = syntheticSweep({ sweepId: 'sw-plain', seed: 5, learningRates: [0.002], betas: [100], trainingSeeds: 1, chips: 2, epochs: 3 });

let store: Store;
let http: Awaited<ReturnType<typeof listen>>;
let base: string;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  store = await createEmbeddedStore();
  for (const data of [field, plain]) {
    await store.apply({ kind: 'sweep-registered', sweep: data.sweep });
    for (const [k, r] of data.results.entries()) {
      const result = data === field && r.status === 'completed' && r.config.mode !== 'simulation' ? { ...r, operation: operation(0.9 - 0.01 * (k % 3), 0.002) } : r;
      await store.apply({ kind: 'trial-finished', result, at });
    }
    await store.apply({ kind: 'sweep-status', sweepId: data.sweep.sweepId, status: 'completed', at });
  }
  http = await listen(createResultsApp(store, { readiness: {}, access: accessPolicy(AccessEnv.parse({}), '127.0.0.1'), pollMs: 600 }), 0, '127.0.0.1');
  base = `http://127.0.0.1:${http.port}`;
  browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
  await http?.close();
  await store?.close();
});

async function openSweep(sweepId: string) {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`${base}/#/sweep/${sweepId}`);
  await page.waitForFunction(() => ((window as unknown as { __spikesweep: { rendered?: number } }).__spikesweep.rendered ?? 0) >= 1);
  return { page, errors };
}

const seriesCount = (page: import('playwright-core').Page, id: string) =>
  page.evaluate((chartId) => {
    const charts = (window as unknown as { __spikesweep: { charts: Record<string, { getOption(): { series: unknown[] } }> } }).__spikesweep.charts;
    return charts[chartId]?.getOption().series.length ?? -1;
  }, id);

describe('dashboard field-conditions section in Chromium', () => {
  it('draws accuracy vs temperature and age per method × mode and the policy costs from the API', async () => {
    const res = await fetch(`${base}/api/sweeps/sw-field/field`);
    expect(res.status).toBe(200);
    const summary = (await res.json()) as FieldSummary;
    expect(summary.trials).toBeGreaterThan(0);
    const { page, errors } = await openSweep('sw-field');
    expect(await page.isVisible('#field')).toBe(true);
    const groups = summary.groups.length;
    expect(await seriesCount(page, 'ch-field-temp')).toBe(3 * groups);
    expect(await seriesCount(page, 'ch-field-age')).toBe(3 * groups);
    expect(await seriesCount(page, 'ch-field-cost')).toBe(groups);
    expect(await page.$$eval('#field-policies tbody tr', (rows) => rows.length)).toBe(summary.policies.length);
    expect(await page.textContent('#field-note')).toContain('cheapest policy keeping accuracy: recalibrate');
    // switching the policy redraws the curves for it
    await page.selectOption('#field-policy', 'recalibrate');
    const flat = await page.evaluate(() => {
      const c = (window as unknown as { __spikesweep: { charts: Record<string, { getOption(): { series: { data: number[][] }[] } }> } }).__spikesweep.charts['ch-field-temp']!;
      return c.getOption().series[2]!.data.map((d) => d[1]);
    });
    expect(new Set(flat.map((v) => v!.toFixed(6))).size).toBe(1); // recalibration keeps the same accuracy at every temperature
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-field.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('stays hidden for a sweep without an operation study', async () => {
    const { page, errors } = await openSweep('sw-plain');
    expect(await page.isVisible('#field')).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  });
});

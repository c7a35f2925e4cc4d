/**
 * Browser test in Debian's Chromium (playwright-core): the dashboard of a seeded sweep loads,
 * every chart renders with the number of series the API's aggregates imply, the manager cards
 * show the API's numbers, and a running sweep updates live. Screenshots go to test-artifacts/.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createEmbeddedStore, type Store } from '../shared/store/index.ts';
import type { AnalyzedSummary } from '../shared/results-app/analyzed-summary.ts';
import { syntheticSweep } from '../shared/store/synthetic.ts';
import { listen } from '../shared/http/index.ts';
import { createResultsApp } from '../shared/results-app/app.ts';
import { chromiumPath } from './support/services.ts';

const at = '2026-01-01T00:00:00.000Z';
const ARTIFACTS = 'test-artifacts';
const done = syntheticSweep({ sweepId: 'sw-browser', seed: 5, learningRates: [0.001, 0.002, 0.005], betas: [50, 100, 150], trainingSeeds: 2, chips: 3, epochs: 15 });
const live = syntheticSweep({ sweepId: 'sw-live', seed: 6, methods: ['eventprop'], learningRates: [0.002], betas: [100], trainingSeeds: 2, chips: 2, epochs: 5 });

let store: Store;
let http: Awaited<ReturnType<typeof listen>>;
let base: string;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  store = await createEmbeddedStore();
  await store.apply({ kind: 'sweep-registered', sweep: done.sweep });
  for (const result of done.results) await store.apply({ kind: 'trial-finished', result, at });
  await store.apply({ kind: 'sweep-status', sweepId: 'sw-browser', status: 'completed', at });
  await store.apply({ kind: 'sweep-registered', sweep: live.sweep });
  http = await listen(createResultsApp(store, { readiness: {}, pollMs: 600 }), 0, '127.0.0.1');
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

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${base}${path}`);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

async function open(hash: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`${base}/${hash}`);
  return { page, errors };
}

const seriesCount = (page: Page, id: string) =>
  page.evaluate((chartId) => {
    const charts = (window as unknown as { __spikesweep: { charts: Record<string, { getOption(): { series: unknown[] } }> } }).__spikesweep.charts;
    return charts[chartId]?.getOption().series.length ?? -1;
  }, id);

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : (100 * x).toFixed(1));

describe('dashboard in Chromium', () => {
  it('lists the sweeps', async () => {
    const { page, errors } = await open('#/');
    await page.waitForSelector('#sweeps a');
    const names = await page.$$eval('#sweeps tbody tr td:first-child', (tds) => tds.map((td) => td.textContent));
    expect(names.sort()).toEqual(['synthetic sw-browser', 'synthetic sw-live']);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-sweeps.png` });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows the manager summary first, with the API numbers, and every chart with the right series', async () => {
    const summary = await api<AnalyzedSummary>('/api/sweeps/sw-browser/summary');
    const { bands } = await api<{ bands: unknown[] }>('/api/sweeps/sw-browser/curve-bands');
    const parallel = await api<{ rows: { method: string; mode: string }[] }>('/api/sweeps/sw-browser/parallel?limit=500');
    const { page, errors } = await open('#/sweep/sw-browser');
    await page.waitForFunction(() => ((window as unknown as { __spikesweep: { rendered?: number } }).__spikesweep.rendered ?? 0) >= 1);

    const r = summary.recommendation!;
    expect(r).not.toBeNull();
    expect(await page.textContent('#sentence')).toBe(r.sentence);
    expect(await page.textContent('#c-method')).toBe(r.method);
    expect(await page.textContent('#c-acc')).toBe(`${pct(r.meanAccuracy)} % ${r.spread.text}`);
    expect(await page.textContent('#c-worst')).toBe(`${pct(r.worstDevice?.meanAccuracy)} %`);
    expect(await page.textContent('#c-acc-sub')).toContain(`across ${r.chips} chips`);
    if (r.roi) expect(await page.textContent('#c-roi')).toBe(`${r.roi.accuracyGainPp >= 0 ? '+' : ''}${r.roi.accuracyGainPp.toFixed(1)} pp`);
    // the manager section comes before the engineers' charts
    const [managerTop, engineersTop] = await page.evaluate(() => [
      document.querySelector('#manager')!.getBoundingClientRect().top,
      document.querySelector('#engineers')!.getBoundingClientRect().top,
    ]);
    expect(managerTop).toBeLessThan(engineersTop);
    expect(await page.$$eval('#groups tbody tr', (rows) => rows.length)).toBe(summary.groups.length);

    const heatGroup = await page.$eval('#heat-group', (s) => (s as HTMLSelectElement).value);
    const axis = await page.$eval('#axis-select', (s) => (s as HTMLSelectElement).value);
    const axisGroups = new Set(summary.byAxis.filter((a) => a.axis === axis).map((a) => `${a.method}|${a.mode}`));
    expect(await seriesCount(page, 'ch-box')).toBe(2); // box per group + the chips as points
    expect(await seriesCount(page, 'ch-heat')).toBe(1);
    const heatCells = await page.evaluate(
      () => ((window as unknown as { __spikesweep: { charts: Record<string, { getOption(): { series: { data: unknown[] }[] } }> } }).__spikesweep.charts['ch-heat']!.getOption().series[0]!.data.length),
    );
    expect(heatCells).toBe(summary.lrBetaGrid.filter((c) => `${c.method}|${c.mode}` === heatGroup).length);
    expect(await seriesCount(page, 'ch-curves')).toBe(3 * bands.length); // mean line + two band layers per group
    expect(await seriesCount(page, 'ch-parallel')).toBe(new Set(parallel.rows.map((p) => `${p.method}|${p.mode}`)).size);
    expect(await seriesCount(page, 'ch-axis')).toBe(axisGroups.size);
    const chipRows = await page.$$eval('#chips tbody tr', (rows) => rows.length);
    expect(chipRows).toBe(new Set(summary.chips.map((c) => c.mismatchSeed)).size);

    await page.screenshot({ path: `${ARTIFACTS}/dashboard-sweep-top.png` });
    await page.evaluate(() => document.querySelector('#engineers')!.scrollIntoView());
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-sweep-engineers.png` });
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-sweep-full.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('updates a running sweep live', async () => {
    const first = live.results.slice(0, 3);
    for (const result of first) await store.apply({ kind: 'trial-finished', result, at });
    const { page, errors } = await open('#/sweep/sw-live');
    await page.waitForFunction(() => ((window as unknown as { __spikesweep: { rendered?: number } }).__spikesweep.rendered ?? 0) >= 1);
    expect(await page.isVisible('#live')).toBe(true);
    expect(await page.textContent('#crumb')).toContain(`${first.length}/${live.results.length} trials finished`);
    for (const result of live.results.slice(3)) await store.apply({ kind: 'trial-finished', result, at });
    await page.waitForFunction(
      (n) => document.querySelector('#crumb')?.textContent?.includes(`${n}/${n} trials finished`),
      live.results.length,
      { timeout: 15_000 },
    );
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-live.png` });
    expect(errors).toEqual([]);
    await page.close();
  });
});

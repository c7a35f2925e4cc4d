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
import { AccessEnv, accessPolicy, listen } from '../shared/http/index.ts';
import { createResultsApp } from '../shared/results-app/app.ts';
import { chromiumPath } from './support/services.ts';

const at = '2026-01-01T00:00:00.000Z';
const ARTIFACTS = 'test-artifacts';
const done = syntheticSweep({ sweepId: 'sw-browser', seed: 5, learningRates: [0.001, 0.002, 0.005], betas: [50, 100, 150], trainingSeeds: 2, chips: 3, epochs: 15 });
// an interrupted run: 7 of 24 trials finished, after 8 epochs still rising (unconverged)
const partial = syntheticSweep({ sweepId: 'sw-partial', seed: 8, methods: ['surrogate', 'spike-time'], modes: ['in-the-loop', 'transfer'], learningRates: [0.002], betas: [100], trainingSeeds: 2, chips: 3, epochs: 8 });
// the same study on the same chips and seeds, finished: to compare side by side
const batch2 = syntheticSweep({ sweepId: 'sw-batch2', seed: 9, methods: ['surrogate', 'spike-time'], modes: ['in-the-loop', 'transfer'], learningRates: [0.002], betas: [100], trainingSeeds: 2, chips: 3, epochs: 9 });
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
  await store.apply({ kind: 'sweep-registered', sweep: partial.sweep });
  for (const result of partial.results.filter((r) => r.status === 'completed').slice(0, 7)) await store.apply({ kind: 'trial-finished', result, at });
  await store.apply({ kind: 'sweep-registered', sweep: batch2.sweep });
  for (const result of batch2.results) await store.apply({ kind: 'trial-finished', result, at });
  await store.apply({ kind: 'sweep-status', sweepId: 'sw-batch2', status: 'completed', at });
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
    expect(names.sort()).toEqual(['synthetic sw-batch2', 'synthetic sw-browser', 'synthetic sw-live', 'synthetic sw-partial']);
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
    expect(await page.textContent('#c-acc')).toBe(`${pct(r.meanAccuracy)} %`);
    expect(await page.textContent('#c-worst')).toBe(`${pct(r.worstDevice?.meanAccuracy)} %`);
    expect(await page.textContent('#c-acc-sub')).toContain(`${r.spread.text}`);
    expect(r.spread.text).toContain(`(sd over chip means, ${r.chips} chips)`);
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

  it('the headline states the confidence; every spread on the page carries its name', async () => {
    const summary = await api<AnalyzedSummary>('/api/sweeps/sw-browser/summary');
    const { page, errors } = await open('#/sweep/sw-browser');
    await page.waitForFunction(() => ((window as unknown as { __spikesweep: { rendered?: number } }).__spikesweep.rendered ?? 0) >= 1);
    const r = summary.recommendation!;
    const headline = (await page.textContent('#sentence'))!;
    expect(headline).toBe(r.sentence);
    expect(headline).toMatch(/^(Decisive|Not decisive): .+ 95 % CI .+ pp \(paired over \d+ shared chip × seed pairs\)/);
    expect(headline.startsWith(r.confidence.level === 'decisive' ? 'Decisive' : 'Not decisive')).toBe(true);
    const c = r.confidence.comparison!;
    expect(headline).toContain(`${(c.ci95Pp![0] < 0 ? '−' : '+')}${Math.abs(c.ci95Pp![0]).toFixed(1)} to`);
    if (!c.decisive && c.moreChipsNeeded !== null) expect(headline).toContain(`about ${c.moreChipsNeeded} more chip`);
    // the paired comparisons table has one row per compared group, the verdicts as in the API
    const verdicts = await page.$$eval('#paired tbody tr td:last-child', (tds) => tds.map((td) => td.textContent ?? ''));
    expect(verdicts).toHaveLength(summary.analysis.comparisons.length);
    summary.analysis.comparisons.forEach((x, i) => expect(verdicts[i]!.startsWith(x.decisive ? 'decisive' : 'not decisive')).toBe(true));

    // every "±" and every sd on the manager section is named: in its own text or in its column header
    const unnamed = await page.evaluate(() => {
      const bad: string[] = [];
      for (const el of Array.from(document.querySelectorAll('#manager *'))) {
        const own = Array.from(el.childNodes).filter((n) => n.nodeType === 3).map((n) => n.textContent ?? '').join('');
        if (!/±|\bsd\b/.test(own)) continue;
        const cell = el.closest('td');
        const header = cell ? cell.closest('table')!.querySelectorAll('thead th')[(cell as HTMLTableCellElement).cellIndex]?.textContent ?? '' : '';
        if (!/sd over (trials|chip means|seed means)/.test(own + header)) bad.push(own);
      }
      return bad;
    });
    expect(unnamed).toEqual([]);
    const headers = await page.$$eval('#groups thead th', (ths) => ths.map((th) => th.textContent ?? ''));
    for (const name of ['sd over trials', 'sd over chip means', 'sd over seed means']) expect(headers.some((h) => h.includes(name))).toBe(true);
    expect(await page.textContent('#c-stab-sub')).toContain('sd over seed means');
    expect(await page.textContent('#spread-legend')).toContain('sd over chip means: sample sd over chips');

    // importance names its estimator; the Pareto chart has one point per group with a completed trial
    expect(await page.textContent('#importance-title')).toBe(`Parameter importance (${summary.analysis.importance!.estimator})`);
    const paretoPoints = await page.evaluate(
      () => ((window as unknown as { __spikesweep: { charts: Record<string, { getOption(): { series: { data: unknown[] }[] } }> } }).__spikesweep.charts['ch-pareto']!.getOption().series[0]!.data.length),
    );
    expect(paretoPoints).toBe(summary.analysis.pareto.length);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-confidence.png` });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('an incomplete and unconverged sweep shows its warnings first, and its planned cost', async () => {
    const summary = await api<AnalyzedSummary>('/api/sweeps/sw-partial/summary');
    const estimate = await api<{ planned: { trials: number; cpuMs: number } }>('/api/sweeps/sw-partial/estimate');
    const codes = summary.analysis.warnings.map((w) => w.code);
    expect(codes[0]).toBe('sweep-incomplete');
    expect(codes).toContain('unconverged');
    const { page, errors } = await open('#/sweep/sw-partial');
    await page.waitForFunction(() => ((window as unknown as { __spikesweep: { rendered?: number } }).__spikesweep.rendered ?? 0) >= 1);
    const shown = await page.$$eval('#warnings .warning', (ps) => ps.map((p) => ({ code: p.getAttribute('data-code'), text: p.textContent ?? '' })));
    expect(shown.map((w) => w.code)).toEqual(codes);
    expect(shown[0]!.text).toContain(`Sweep incomplete: 7 of ${partial.results.length} trials finished`);
    expect(shown.find((w) => w.code === 'unconverged')!.text).toContain('still rising after 8 epochs');
    // first on the page: the warnings come before the headline and everything else
    const firstChild = await page.evaluate(() => document.querySelector('#manager')!.firstElementChild!.id);
    expect(firstChild).toBe('warnings');
    const [warningsTop, sentenceTop] = await page.evaluate(() => [
      document.querySelector('#warnings .warning')!.getBoundingClientRect().top,
      document.querySelector('#sentence')!.getBoundingClientRect().top,
    ]);
    expect(warningsTop).toBeLessThan(sentenceTop);
    expect(await page.textContent('#planned')).toContain(`Planned: ${estimate.planned.trials} trials · estimated CPU time`);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-warnings.png` });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('compares two sweeps side by side', async () => {
    const comparison = await api<{ rows: { method: string; mode: string; differences: ({ ciMethod: string } | null)[] }[] }>('/api/compare?sweeps=sw-batch2,sw-partial');
    const { page, errors } = await open('#/');
    await page.waitForSelector('#compare-picker');
    await page.check('#compare-picker input[value="sw-batch2"]');
    await page.check('#compare-picker input[value="sw-partial"]');
    await page.click('#compare-go');
    await page.waitForSelector('#compare-table tbody tr');
    const rows = await page.$$eval('#compare-table tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? '')));
    expect(rows).toHaveLength(comparison.rows.length);
    expect(rows.map((r) => r[0])).toEqual(comparison.rows.map((r) => `${r.method} (${r.mode})`));
    rows.forEach((r, i) => {
      const d = comparison.rows[i]!.differences[0];
      if (d) expect(r[3]).toContain(d.ciMethod);
    });
    expect(comparison.rows.some((r) => r.differences[0]?.ciMethod.startsWith('paired'))).toBe(true);
    const bad = await fetch(`${base}/api/compare?sweeps=sw-batch2`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('spikesweep:invalid-input');
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-compare.png` });
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

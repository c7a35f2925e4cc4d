/**
 * `spikesweep report`: a tiny embedded sweep is run by the CLI, reported as PDF and as HTML by the
 * CLI, and the PDF's text (read back with poppler's pdftotext) carries the same numbers as the
 * results API's summary of that sweep; a sweep in MongoDB reports the same way. The first page is
 * saved to test-artifacts/report-first-page.png.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes, formatDurationMs, formatPercent, formatPp, groupLabel } from '../shared/analysis/index.ts';
import { escapeHtml } from '../shared/report/html.ts';
import { AccessEnv, accessPolicy, listen } from '../shared/http/index.ts';
import { createResultsApp } from '../shared/results-app/app.ts';
import { readAnalyzedSummary, type AnalyzedSummary } from '../shared/results-app/analyzed-summary.ts';
import { createEmbeddedStore, createMongoStore } from '../shared/store/index.ts';
import { syntheticSweep } from '../shared/store/synthetic.ts';
import { uniqueName } from './support/names.ts';
import { chromiumPath, dropMongoDatabase, MONGO_URL } from './support/services.ts';

const bin = fileURLToPath(new URL('../bin/spikesweep.js', import.meta.url));
const ARTIFACTS = 'test-artifacts';
const dir = mkdtempSync(join(tmpdir(), 'spikesweep-report-'));
const storeDir = join(dir, 'store');

/** Two methods × in-the-loop and transfer on two chips (and one further test chip): 8 small trials, a few seconds. */
const SPEC = `name: report-tiny
description: does training on the chip beat deploying a simulation-trained network, for either gradient method?
base:
  training: { epochs: 2, batchSize: 20 }
  dataset: { trainSize: 60, validationSize: 20, testSize: 40 }
  network: { hiddenSize: 10 }
  evaluateOnChips: [100]
axes:
  method: [surrogate, spike-time]
  mode: [in-the-loop, transfer]
  chip.mismatchSeed: [0, 1]
  seed: [0]
`;

function cli(args: string[]) {
  // Without REDIS_URL/MONGO_URL (which CI exports): `run` would submit to the distributed
  // system, where no worker runs, instead of running the sweep embedded in its --store.
  const { REDIS_URL: _redis, MONGO_URL: _mongo, ...env } = process.env;
  const run = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 180_000, env: { ...env, SPIKESWEEP_CHROMIUM: chromiumPath() } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The PDF's text with runs of white space made one space (pdftotext -layout pads columns). */
function pdfText(file: string): string {
  const run = spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  if (run.error || run.status !== 0) throw new Error(`pdftotext failed (bash infra/services.sh test-tools installs poppler-utils): ${run.error?.message ?? run.stderr}`);
  return run.stdout.replace(/[ \t]+/g, ' ');
}

let sweepId = '';
let summary: AnalyzedSummary;

beforeAll(async () => {
  writeFileSync(join(dir, 'tiny.yaml'), SPEC);
  const run = cli(['run', join(dir, 'tiny.yaml'), '--store', storeDir, '--workers', '1', '--json']);
  expect(run.status, run.stderr).toBe(0);
  sweepId = (JSON.parse(run.stdout) as { sweepId: string }).sweepId;

  // The numbers to expect: the results API's summary of the sweep.
  const store = await createEmbeddedStore({ dir: storeDir, follow: true });
  const http = await listen(createResultsApp(store, { readiness: {}, access: accessPolicy(AccessEnv.parse({}), '127.0.0.1') }), 0, '127.0.0.1');
  try {
    const res = await fetch(`http://127.0.0.1:${http.port}/api/sweeps/${sweepId}/summary`);
    expect(res.status).toBe(200);
    summary = (await res.json()) as AnalyzedSummary;
  } finally {
    await http.close();
    await store.close();
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('spikesweep report', () => {
  it('writes an A4 PDF whose text shows the results API numbers, section by section', () => {
    const out = join(dir, 'report.pdf');
    const r = cli(['report', sweepId, '--store', storeDir, '-o', out, '--format', 'pdf']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`report: ${out}\n`);
    expect(readFileSync(out).subarray(0, 5).toString()).toBe('%PDF-');
    const text = pdfText(out);

    const rec = summary.recommendation!;
    expect(rec).not.toBeNull();
    const finished = summary.byStatus.completed + summary.byStatus.failed + summary.byStatus.diverged + summary.byStatus.pruned;
    expect(summary.planned).toBe(8);
    expect(text).toContain(`Trials ${finished} of ${summary.planned} trials finished (${summary.byStatus.completed} completed)`);
    expect(text).toContain(`Recommended ${groupLabel(rec)}`);
    expect(text).toContain(`Mean test accuracy ${formatPercent(rec.meanAccuracy)} %`);
    expect(text).toContain(`Spread ${rec.spread.text}`);
    expect(text).toContain(`Confidence ${rec.confidence.level}`);

    // Sections in the brief's order; warnings (small splits at least) before the recommendation.
    const order = ['Question and setup', 'Warnings', 'Recommendation', 'Measurement each method needs', 'Stability', 'Reproducibility across chips', 'Cost and return', 'Appendix: configuration and versions'];
    const at = order.map((heading) => text.indexOf(`\n${heading}\n`));
    expect(at.every((i) => i >= 0), JSON.stringify(at)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(summary.analysis.warnings.map((w) => w.code)).toContain('small-split');

    for (const c of summary.analysis.comparisons) expect(text).toContain(`${groupLabel(c.a)} − ${groupLabel(c.b)} ${c.pairs} ${formatPp(c.meanDifferencePp)}`);
    for (const g of summary.groups) {
      expect(text).toContain(`${groupLabel(g)} ${g.measurement} ${formatBytes(g.cost.readoutBytesPerSample.mean)} ${formatDurationMs(g.cost.hardwareTimeMs.mean)}`);
      if (g.roi) expect(text).toContain(`${groupLabel(g)} ${groupLabel(g.roi.baseline)} ${formatPp(g.roi.accuracyGainPp)}`);
    }
    expect(summary.groups.some((g) => g.roi !== null)).toBe(true);
    expect(text).toContain(`spikesweep ${JSON.parse(readFileSync('package.json', 'utf8')).version as string}`);
    expect(text).toContain(`Node.js ${process.version}`);
  });

  it('writes self-contained HTML (no script, no external resource) and screenshots its first page', async () => {
    const out = join(dir, 'report.html');
    const r = cli(['report', sweepId, '--store', storeDir, '-o', out, '--format', 'html']);
    expect(r.status, r.stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|<link|<img|src=|@import|url\((?!#)/i);
    expect(html.match(/<svg /g)?.length).toBe(2);
    expect(html).toContain('&quot;name&quot;: &quot;report-tiny&quot;');

    mkdirSync(ARTIFACTS, { recursive: true });
    const browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
    try {
      const page = await browser.newPage({ viewport: { width: 794, height: 1123 } });
      const requests: string[] = [];
      page.on('request', (req) => requests.push(req.url()));
      await page.setContent(html, { waitUntil: 'load' });
      expect(requests).toEqual([]);
      await page.screenshot({ path: `${ARTIFACTS}/report-first-page.png` });
    } finally {
      await browser.close();
    }
    expect(existsSync(`${ARTIFACTS}/report-first-page.png`)).toBe(true);
  });

  it('a missing sweep and a missing store directory are one-line errors (exit 2); the directory is not created', () => {
    const missing = cli(['report', 'no-such-sweep', '--store', storeDir, '-o', join(dir, 'x.pdf')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe("spikesweep: no sweep 'no-such-sweep' in the store\n");

    const noStore = join(dir, 'no-store');
    const absent = cli(['report', sweepId, '--store', noStore, '-o', join(dir, 'x.pdf')]);
    expect(absent.status).toBe(2);
    expect(absent.stderr).toBe(`spikesweep: --store: no store directory ${noStore}\n`);
    expect(existsSync(noStore)).toBe(false);
    expect(existsSync(join(dir, 'x.pdf'))).toBe(false);
  });

  it('reads a sweep of the distributed system from MongoDB (--mongo, --mongo-db)', async () => {
    const dbName = uniqueName('report');
    const data = syntheticSweep({ sweepId: 'sw-report-mongo', seed: 11, methods: ['surrogate', 'spike-time'], modes: ['in-the-loop', 'transfer'], learningRates: [0.002], betas: [100], trainingSeeds: 2, chips: 2, epochs: 4 });
    const store = await createMongoStore({ url: MONGO_URL, dbName });
    try {
      await store.applyMany([{ kind: 'sweep-registered', sweep: data.sweep }, ...data.results.map((result) => ({ kind: 'trial-finished' as const, result, at: '2026-01-01T00:00:00Z' }))]);
      const expected = await readAnalyzedSummary(store, 'sw-report-mongo');
      const out = join(dir, 'mongo.html');
      const r = cli(['report', 'sw-report-mongo', '--mongo', MONGO_URL, '--mongo-db', dbName, '-o', out, '--format', 'html']);
      expect(r.status, r.stderr).toBe(0);
      const html = readFileSync(out, 'utf8');
      const rec = expected.recommendation!;
      expect(html).toContain(`<dt>Recommended</dt><dd>${escapeHtml(groupLabel(rec))}</dd>`);
      expect(html).toContain(`<dt>Mean test accuracy</dt><dd>${formatPercent(rec.meanAccuracy)} %</dd>`);
      expect(html).toContain(`<dd>${data.results.length} of ${expected.planned} trials finished (${expected.byStatus.completed} completed)</dd>`);
    } finally {
      await store.close();
      await dropMongoDatabase(dbName);
    }
  });
});

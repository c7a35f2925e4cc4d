/**
 * The report's HTML builder on a synthetic sweep in an in-memory embedded store: sections in
 * order, warnings only when there are any, the analysis' numbers as formatted, text escaped, and
 * the same input giving the same document.
 */
import { describe, expect, it } from 'vitest';
import { formatPercent, groupLabel } from '../analysis/index.ts';
import { readAnalyzedSummary } from '../results-app/analyzed-summary.ts';
import { createEmbeddedStore } from '../store/index.ts';
import { syntheticSweep } from '../store/synthetic.ts';
import { escapeHtml, reportHtml, type ReportInput } from './html.ts';

const at = '2026-01-01T00:00:00.000Z';

async function inputOf(finishedShare: number, name: string): Promise<ReportInput> {
  const data = syntheticSweep({ sweepId: 'sw-report', seed: 5, methods: ['surrogate', 'spike-time'], modes: ['in-the-loop', 'transfer'], learningRates: [0.002], betas: [100], trainingSeeds: 2, chips: 3, epochs: 8 });
  const sweep = { ...data.sweep, name, spec: { ...data.sweep.spec, name } };
  const store = await createEmbeddedStore();
  await store.apply({ kind: 'sweep-registered', sweep });
  for (const result of data.results.slice(0, Math.round(finishedShare * data.results.length))) await store.apply({ kind: 'trial-finished', result, at });
  const summary = await readAnalyzedSummary(store, 'sw-report');
  const field = await store.getFieldSummary('sw-report');
  await store.close();
  const { trials: _trials, ...record } = sweep;
  return { summary, sweep: record, field, versions: { spikesweep: '9.9.9', node: 'v20.0.0' }, generatedAt: at };
}

const headings = (html: string) => [...html.matchAll(/<h2>([^<]*)<\/h2>/g)].map((m) => m[1]);

describe('reportHtml', () => {
  it('an incomplete sweep leads with its warning; the recommendation carries the analysis numbers', async () => {
    const input = await inputOf(0.75, 'half <done> & "quoted"');
    const html = reportHtml(input);
    expect(headings(html)).toEqual([
      'Question and setup',
      'Warnings',
      'Recommendation',
      'Measurement each method needs',
      'Stability',
      'Reproducibility across chips',
      'Cost and return',
      'Appendix: configuration and versions',
    ]);
    const rec = input.summary.recommendation!;
    expect(html).toContain(`<dt>Recommended</dt><dd>${escapeHtml(groupLabel(rec))}</dd>`);
    expect(html).toContain(`<dt>Mean test accuracy</dt><dd>${formatPercent(rec.meanAccuracy)} %</dd>`);
    expect(html).toContain(`<dd>18 of 24 trials finished (${input.summary.byStatus.completed} completed)</dd>`);
    expect(input.summary.analysis.warnings[0]!.code).toBe('sweep-incomplete');
    expect(html).toContain(escapeHtml(input.summary.analysis.warnings[0]!.message));
    expect(html).toContain('SpikeSweep report: half &lt;done&gt; &amp; &quot;quoted&quot;');
    expect(html).not.toContain('<done>');
    expect(html).toContain('<dt>spikesweep</dt><dd>9.9.9</dd>');
    expect(reportHtml(input)).toBe(html);
  });

  it('a complete sweep with no warning has no warnings section', async () => {
    const input = await inputOf(1, 'complete');
    expect(input.summary.analysis.warnings.filter((w) => w.code === 'sweep-incomplete')).toEqual([]);
    const html = reportHtml(input);
    expect(headings(html).includes('Warnings')).toBe(input.summary.analysis.warnings.length > 0);
    for (const g of input.summary.groups.filter((x) => x.roi)) expect(html).toContain(`<td>${escapeHtml(groupLabel(g.roi!.baseline))}</td>`);
  });
});

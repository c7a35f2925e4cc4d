/**
 * The store's summary joined with its analysis, on an embedded in-memory store: what the CLI's
 * end table, the API and the dashboard show. An interrupted run's summary leads with the
 * incomplete warning.
 */
import { describe, expect, it } from 'vitest';
import { createEmbeddedStore } from '../store/index.ts';
import { syntheticSweep } from '../store/synthetic.ts';
import { datasetsOf, readAnalyzedSummary } from './analyzed-summary.ts';

const at = '2026-01-01T00:00:00.000Z';

describe('readAnalyzedSummary', () => {
  it('joins the aggregates with ROI, the recommendation and the analysis; an interrupted run warns first', async () => {
    const data = syntheticSweep({ sweepId: 'sw-analyzed', seed: 3, methods: ['surrogate', 'spike-time'], modes: ['in-the-loop', 'transfer'], learningRates: [0.002], betas: [100], trainingSeeds: 2, chips: 3, epochs: 8 });
    const store = await createEmbeddedStore();
    await store.apply({ kind: 'sweep-registered', sweep: data.sweep });
    const done = data.results.slice(0, 16);
    for (const result of done) await store.apply({ kind: 'trial-finished', result, at });
    const s = await readAnalyzedSummary(store, 'sw-analyzed');

    expect(s.analysis.warnings[0]!.code).toBe('sweep-incomplete');
    expect(s.analysis.warnings[0]!.message).toContain(`${done.length} of ${data.results.length} trials finished`);
    expect(s.recommendation).toEqual(s.analysis.recommendation);
    expect(s.recommendation!.sentence).toMatch(/^(Decisive|Not decisive): /);
    // ROI: in-the-loop groups against their method's transfer baseline
    const itl = s.groups.find((g) => g.method === 'surrogate' && g.mode === 'in-the-loop')!;
    expect(itl.roi?.baseline).toEqual({ method: 'surrogate', mode: 'transfer' });
    expect(s.groups.find((g) => g.mode === 'transfer')!.roi).toBeNull();
    // the outcomes the comparisons rest on: every planned trial, the finished ones with their status
    const outcomes = await store.getOutcomes('sw-analyzed');
    expect(outcomes).toHaveLength(data.results.length);
    expect(outcomes.filter((t) => t.status !== 'pending')).toHaveLength(done.length);
    expect(s.analysis.comparisons.every((c) => c.a.method === s.recommendation!.method && c.a.mode === s.recommendation!.mode)).toBe(true);
    expect(s.spreadDefinitions.sdOverChipMeans.label).toBe('sd over chip means');
    await store.close();
  });

  it('dataset sizes come from the planned configs, schema defaults where absent', () => {
    expect(datasetsOf([{ config: { dataset: { trainSize: 1000, validationSize: 300, testSize: 1000 } } }, { config: {} }])).toEqual([
      { trainSize: 1000, validationSize: 300, testSize: 1000 },
      { trainSize: 5000, validationSize: 1000, testSize: 1000 },
    ]);
  });
});

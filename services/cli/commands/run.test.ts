/** The end table of `spikesweep run` on an embedded in-memory store (no services). */
import { describe, expect, it } from 'vitest';
import { readAnalyzedSummary } from '../../../shared/results-app/analyzed-summary.ts';
import { createEmbeddedStore } from '../../../shared/store/index.ts';
import { syntheticSweep } from '../../../shared/store/synthetic.ts';
import { planSweep } from '../../../shared/sweep/plan.ts';
import { summaryTable } from './run.ts';

const at = '2026-01-01T00:00:00.000Z';

describe('spikesweep run: end table', () => {
  it("the CLI's end table leads with the warnings and names every spread", async () => {
    const spec = {
      name: 'cli-table',
      base: { training: { epochs: 8 }, dataset: { trainSize: 1000, validationSize: 300, testSize: 1000 } },
      axes: { method: ['surrogate', 'spike-time'], mode: ['in-the-loop'], 'chip.mismatchSeed': [0, 1], seed: [0, 1] },
    };
    const plan = planSweep(spec);
    const data = syntheticSweep({ sweepId: plan.sweepId, seed: 4, methods: ['surrogate', 'spike-time'], modes: ['in-the-loop'], learningRates: [0.002], betas: [100], trainingSeeds: 2, chips: 2, epochs: 8 });
    const store = await createEmbeddedStore();
    await store.apply({ kind: 'sweep-registered', sweep: { ...data.sweep, trials: data.sweep.trials.map((t) => ({ ...t, config: { ...t.config, dataset: spec.base.dataset } })) } });
    for (const result of data.results.slice(0, 5)) await store.apply({ kind: 'trial-finished', result, at });
    const text = summaryTable(plan, await readAnalyzedSummary(store, plan.sweepId), 5);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^!! Sweep incomplete: \d of 8 trials finished/);
    expect(text).toContain('Small splits: 1000 train / 300 validation / 1000 test samples');
    for (const name of ['sd over trials', 'sd over chip means', 'sd over seed means']) expect(text).toContain(name);
    expect(lines.at(-1)).toMatch(/^(Decisive|Not decisive): /);
    await store.close();
  });
});

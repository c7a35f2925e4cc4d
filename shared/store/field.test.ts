import { describe, expect, it } from 'vitest';
import type { OperationResult } from '../contracts/operation.ts';
import { summarise } from '../engine/operation.ts';
import { fieldSummaryOf } from './field.ts';
import { createEmbeddedStore } from './index.ts';
import { syntheticSweep } from './synthetic.ts';

const at = '2026-01-01T00:00:00.000Z';

/** An operation study with accuracy a − drop·|T − 25| and recalibration costing 100 ms per condition. */
function operation(a: number, drop: number): OperationResult {
  const conditions = [5, 25, 45].map((t) => ({
    axis: 'temperature' as const,
    temperatureC: t,
    ageHours: 0,
    policies: [
      { policy: 'none' as const, testAccuracy: a - drop * Math.abs(t - 25), hardwareTimeMs: 0, energyJ: 0, chipRuns: 0 },
      { policy: 'recalibrate' as const, testAccuracy: a, hardwareTimeMs: 100, energyJ: 0.015, chipRuns: 1000 },
    ],
  }));
  return { conditions, ...summarise(a, 2, 25, conditions) };
}

describe('field summary', () => {
  it('aggregates accuracy per temperature and policy costs per method × mode', () => {
    const s = fieldSummaryOf([
      { method: 'spike-time', mode: 'transfer', operation: operation(0.9, 0.002) },
      { method: 'spike-time', mode: 'transfer', operation: operation(0.8, 0.0) },
      { method: 'eventprop', mode: 'in-the-loop', operation: operation(0.95, 0.001) },
    ]);
    expect(s.trials).toBe(3);
    expect(s.groups.map((g) => `${g.method}/${g.mode}:${g.trials}`)).toEqual(['eventprop/in-the-loop:1', 'spike-time/transfer:2']);
    const none = s.temperature.find((c) => c.method === 'spike-time' && c.policy === 'none')!;
    expect(none.points.map((p) => p.x)).toEqual([5, 25, 45]);
    expect(none.points[0]!.accuracy.mean).toBeCloseTo((0.9 - 0.04 + 0.8) / 2, 12);
    expect(none.points[0]!.accuracy.min).toBeCloseTo(0.8, 12);
    const recal = s.policies.find((p) => p.method === 'spike-time' && p.policy === 'recalibrate')!;
    expect(recal.hardwareTimeMs).toBeCloseTo(300, 12);
    expect(recal.keptFraction).toBe(1);
    const doNothing = s.policies.find((p) => p.method === 'spike-time' && p.policy === 'none')!;
    expect(doNothing.keptFraction).toBe(0.5); // the drifting trial loses 4 points, the other none
    expect(s.groups.find((g) => g.method === 'spike-time')!.cheapest).toEqual({ recalibrate: 1, none: 1 });
    expect(s.age).toEqual([]);
  });

  it('is served by the store from the trials of one sweep that carry an operation study', async () => {
    const data = syntheticSweep({ sweepId: 'sw-field', seed: 3, learningRates: [0.001], betas: [50], trainingSeeds: 2, chips: 2, epochs: 3 });
    const completed = data.results.filter((r) => r.status === 'completed');
    const withOperation = completed.slice(0, 4).map((r, k) => ({ ...r, operation: operation(0.9 - 0.01 * k, 0.001) }));
    const store = await createEmbeddedStore();
    await store.apply({ kind: 'sweep-registered', sweep: data.sweep });
    for (const result of [...withOperation, ...data.results.filter((r) => !withOperation.some((w) => w.trialId === r.trialId))]) {
      await store.apply({ kind: 'trial-finished', result, at });
    }
    const served = await store.getFieldSummary('sw-field');
    const byId = [...withOperation].sort((a, b) => (a.trialId < b.trialId ? -1 : 1));
    const expected = fieldSummaryOf(byId.map((r) => ({ method: String(r.config.method), mode: String(r.config.mode), operation: r.operation })));
    expect(served).toEqual(expected);
    expect(served.trials).toBe(4);
    expect((await store.getFieldSummary('no-such-sweep')).trials).toBe(0);
    await store.close();
  });
});

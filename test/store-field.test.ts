/**
 * The field-conditions summary (shared/store/field.ts) read from the real MongoDB-wire server
 * (FerretDB) equals the embedded store's, and counts only the sweep's trials with an operation
 * study (a nested `$exists` filter and a nested projection, which both backends must honour).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationResult } from '../shared/contracts/operation.ts';
import { summarise } from '../shared/engine/operation.ts';
import { createEmbeddedStore, createMongoStore, type Store } from '../shared/store/index.ts';
import { syntheticSweep } from '../shared/store/synthetic.ts';
import { dropMongoDatabase, MONGO_URL } from './support/services.ts';

const at = '2026-01-01T00:00:00.000Z';
const dbName = `spikesweep_test_store_field_${process.pid}`;

function operation(a: number): OperationResult {
  const conditions = [0, 25, 50].map((t) => ({
    axis: 'temperature' as const,
    temperatureC: t,
    ageHours: 0,
    policies: [
      { policy: 'none' as const, testAccuracy: a - 0.001 * Math.abs(t - 25), hardwareTimeMs: 0, energyJ: 0, chipRuns: 0 },
      { policy: 'fine-tune' as const, testAccuracy: a, hardwareTimeMs: 60, energyJ: 0.01, chipRuns: 1000 },
    ],
  }));
  return { conditions, ...summarise(a, 2, 25, conditions) };
}

const data = syntheticSweep({ sweepId: 'sw-field-db', seed: 8, learningRates: [0.002], betas: [100], trainingSeeds: 1, chips: 2, epochs: 2 });
const results = data.results.map((r, k) => (r.status === 'completed' && k % 2 === 0 ? { ...r, operation: operation(0.8 + 0.01 * (k % 5)) } : r));

let mongo: Store;
let embedded: Store;

beforeAll(async () => {
  mongo = await createMongoStore({ url: MONGO_URL, dbName });
  embedded = await createEmbeddedStore();
  for (const store of [mongo, embedded]) {
    await store.apply({ kind: 'sweep-registered', sweep: data.sweep });
    for (const result of results) await store.apply({ kind: 'trial-finished', result, at });
  }
});

afterAll(async () => {
  await mongo?.close();
  await embedded?.close();
  await dropMongoDatabase(dbName);
});

describe('field summary on the MongoDB-wire server', () => {
  it('equals the embedded store and counts the trials with an operation study', async () => {
    const fromMongo = await mongo.getFieldSummary('sw-field-db');
    expect(fromMongo.trials).toBe(results.filter((r) => r.operation).length);
    expect(fromMongo.trials).toBeGreaterThan(0);
    expect(fromMongo).toEqual(await embedded.getFieldSummary('sw-field-db'));
    const fineTune = fromMongo.policies.filter((p) => p.policy === 'fine-tune');
    for (const p of fineTune) expect(p.hardwareTimeMs).toBeCloseTo(180, 9);
  });
});

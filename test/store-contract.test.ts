/**
 * Contract test: the same store code on the MongoDB-wire server (FerretDB 1.24 in tests, real,
 * started by `spikesweep services up`) and in process (mingo) gives the same numbers for every
 * aggregate, equal to a plain recomputation from the raw trials; and it stays so after
 * duplicates, out-of-order delivery and a full rebuild.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { createEmbeddedStore, createMongoStore, Store as StoreClass, type Store } from '../shared/store/index.ts';
import { connectMongoDatabase } from '../shared/store/mongo-database.ts';
import type { Database, DocCollection, UpdateOp } from '../shared/store/collection.ts';
import { syntheticSweep } from '../shared/store/synthetic.ts';
import { differences, referenceSummary, summaryAsReference } from '../shared/store/testing/reference.ts';
import { MONGO_URL } from './support/services.ts';

const dbName = `spikesweep_test_store_contract_${process.pid}`;
const at = '2026-01-01T00:00:00.000Z';
const data = syntheticSweep({ sweepId: 'sw-contract', seed: 11, learningRates: [0.001, 0.005], betas: [50, 150], trainingSeeds: 1, chips: 2, epochs: 6 });
const other = syntheticSweep({ sweepId: 'sw-other', seed: 12, methods: ['eventprop'], modes: ['transfer'], learningRates: [0.002], betas: [100], trainingSeeds: 1, chips: 2 });

let mongo: Store;
let embedded: Store;

async function load(store: Store): Promise<void> {
  await store.apply({ kind: 'sweep-registered', sweep: data.sweep });
  await store.apply({ kind: 'sweep-registered', sweep: other.sweep });
  // the first few results arrive twice, once before their sweep is known
  for (const result of data.results.slice(0, 10)) await store.apply({ kind: 'trial-finished', result, at });
  for (const result of [...data.results, ...other.results]) await store.apply({ kind: 'trial-finished', result, at });
}

beforeAll(async () => {
  mongo = await createMongoStore({ url: MONGO_URL, dbName });
  embedded = await createEmbeddedStore();
  await Promise.all([load(mongo), load(embedded)]);
});

afterAll(async () => {
  await mongo?.close();
  await embedded?.close();
  const client = new MongoClient(MONGO_URL);
  await client.db(dbName).dropDatabase();
  await client.close();
});

/** The summary without its read timestamp. */
const comparable = async (store: Store, sweepId = 'sw-contract') => {
  const { computedAt: _t, ...rest } = await store.getSummary(sweepId);
  return rest;
};

describe('store contract: MongoDB-wire server vs embedded vs raw recomputation', () => {
  it('every aggregate of the summary is the same on both stores', async () => {
    const [a, b] = await Promise.all([comparable(mongo), comparable(embedded)]);
    expect(a.groups).toHaveLength(9);
    expect(a.lrBetaGrid.length).toBeGreaterThan(0);
    expect(differences(a, b)).toEqual([]);
    expect(differences(await comparable(mongo, 'sw-other'), await comparable(embedded, 'sw-other'))).toEqual([]);
  });

  it('equals a recomputation from the raw trials', async () => {
    const expected = referenceSummary(data.sweep, data.results);
    expect(differences(summaryAsReference(await mongo.getSummary('sw-contract')), expected)).toEqual([]);
    expect(differences(summaryAsReference(await embedded.getSummary('sw-contract')), expected)).toEqual([]);
  });

  it('curve bands, trial pages and results are the same on both stores', async () => {
    expect(differences(await mongo.getCurveBands('sw-contract'), await embedded.getCurveBands('sw-contract'))).toEqual([]);
    const query = { status: 'completed' as const, method: 'surrogate', sort: { field: 'testAccuracy' as const, direction: 'desc' as const }, offset: 3, limit: 7 };
    const [pa, pb] = await Promise.all([mongo.listTrials('sw-contract', query), embedded.listTrials('sw-contract', query)]);
    expect(pa.trials).toHaveLength(7);
    expect(differences(pa, pb)).toEqual([]);
    const ids = data.results.slice(0, 5).map((r) => r.trialId);
    const byId = (rs: { trialId: string }[]) => [...rs].sort((x, y) => x.trialId.localeCompare(y.trialId));
    expect(byId(await mongo.getResults(ids))).toEqual(byId(data.results.slice(0, 5)));
    expect(byId(await embedded.getResults(ids))).toEqual(byId(data.results.slice(0, 5)));
    expect(await mongo.getSweep('sw-contract')).toEqual(data.sweep);
    // the analysis's per-trial rows: one per planned trial, the same on both stores
    const outcomes = await mongo.getOutcomes('sw-contract');
    expect(outcomes).toHaveLength(data.results.length);
    expect(outcomes.filter((t) => t.status === 'completed' && t.testAccuracy !== null)).toHaveLength(data.results.filter((r) => r.status === 'completed').length);
    expect(outcomes[0]!.params).toHaveProperty('training.learningRate');
    expect(differences(outcomes, await embedded.getOutcomes('sw-contract'))).toEqual([]);
    expect((await mongo.listSweeps()).map((s) => s.sweepId).sort()).toEqual(['sw-contract', 'sw-other']);
  });

  it('a crash in the middle of summary writes on the server is completed by the replay, nothing counted twice', async () => {
    const crash = syntheticSweep({ sweepId: 'sw-crash', seed: 13, methods: ['spike-time'], modes: ['in-the-loop', 'transfer'], learningRates: [0.002], betas: [100], trainingSeeds: 2, chips: 2, epochs: 4 });
    const inner = await connectMongoDatabase({ url: MONGO_URL, dbName: `${dbName}_crash` });
    let failNext = false;
    // Applies the first half of a summary bulk write, then "dies".
    const faulty: Database = {
      ping: () => inner.ping(),
      close: () => inner.close(),
      collection(name: string): DocCollection {
        const c = inner.collection(name);
        if (name !== 'summaries') return c;
        return Object.assign(Object.create(c) as DocCollection, {
          bulkUpdate: async (ops: readonly UpdateOp[]) => {
            if (!failNext) return c.bulkUpdate(ops);
            failNext = false;
            await c.bulkUpdate(ops.slice(0, Math.ceil(ops.length / 2)));
            throw new Error('simulated crash');
          },
        });
      },
    };
    const store = new StoreClass(faulty);
    try {
      await store.init();
      await store.apply({ kind: 'sweep-registered', sweep: crash.sweep });
      for (const [i, result] of crash.results.entries()) {
        if (i % 2 === 0) {
          failNext = true;
          await expect(store.apply({ kind: 'trial-finished', result, at })).rejects.toThrow('simulated crash');
        }
        await store.apply({ kind: 'trial-finished', result, at });
      }
      expect(differences(summaryAsReference(await store.getSummary('sw-crash')), referenceSummary(crash.sweep, crash.results))).toEqual([]);
    } finally {
      const client = new MongoClient(MONGO_URL);
      await client.db(`${dbName}_crash`).dropDatabase();
      await client.close();
      await store.close();
    }
  });

  it('a rebuild of every summary from the trial documents gives the same numbers', async () => {
    const before = await comparable(mongo);
    await mongo.rebuildSummaries('sw-contract');
    expect(differences(await comparable(mongo), before)).toEqual([]);
  });
});

/**
 * Benchmark: reading the summary of a 10,000-trial sweep (goal: < 1 s), in the embedded store
 * and, when a MongoDB-wire server answers at MONGO_URL, on it.
 *
 *   nice -n 10 node --import tsx bench/summary-bench.ts [--trials-per-cell 7] [--chips 10] [--repeat 5] [--no-mongo]
 *
 * The sweep is synthetic (shared/store/synthetic.ts): 3 methods × 3 modes × 4 learning rates ×
 * 4 β × 7 seeds × 10 chips = 10,080 trials, 10 epochs each, 2 extra chip evaluations per
 * on-chip trial. It is ingested through `apply` into the embedded store (timed too). For the
 * MongoDB-wire server the resulting documents are copied in with insertMany (the write path
 * through `apply` is the contract test's business; ingesting 10k trials one by one into
 * FerretDB/SQLite takes tens of minutes), then the same reads are timed there.
 * Prints one line per measurement: name, median and min over the repetitions, in ms.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { createEmbeddedStore, createMongoStore, type Store } from '../shared/store/index.ts';
import { syntheticSweep } from '../shared/store/synthetic.ts';
import { readAnalyzedSummary } from '../shared/results-app/analyzed-summary.ts';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '7' },
    chips: { type: 'string', default: '10' },
    repeat: { type: 'string', default: '5' },
    'no-mongo': { type: 'boolean', default: false },
  },
});
const repeat = Number(values.repeat);
const MONGO_URL = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017';

const data = syntheticSweep({
  sweepId: 'bench',
  seed: 1,
  learningRates: [0.0005, 0.001, 0.002, 0.005],
  betas: [25, 50, 100, 150],
  trainingSeeds: Number(values.seeds),
  chips: Number(values.chips),
  epochs: 10,
});
console.log(`sweep: ${data.results.length} trials`);

async function time(name: string, run: () => Promise<unknown>): Promise<void> {
  const ms: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    await run();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  console.log(`${name.padEnd(44)} median ${ms[Math.floor(ms.length / 2)]!.toFixed(1).padStart(8)} ms   min ${ms[0]!.toFixed(1).padStart(8)} ms`);
}

async function reads(label: string, store: Store): Promise<void> {
  const s = await store.getSummary('bench');
  console.log(`${label}: ${s.groups.length} groups, ${s.chips.length} chip rows, ${s.lrBetaGrid.length} grid cells, ${s.byAxis.length} axis rows; ${(await readAnalyzedSummary(store, 'bench')).recommendation?.sentence}`);
  await time(`${label} readAnalyzedSummary`, () => readAnalyzedSummary(store, 'bench'));
  await time(`${label} getSummary`, () => store.getSummary('bench'));
  await time(`${label} getCurveBands`, () => store.getCurveBands('bench'));
  await time(`${label} listTrials (page 100, sorted)`, () => store.listTrials('bench', { offset: 5000, limit: 50, sort: { field: 'testAccuracy', direction: 'desc' } }));
}

const dir = mkdtempSync(join(tmpdir(), 'spikesweep-bench-'));
try {
  const embedded = await createEmbeddedStore({ dir });
  const t0 = performance.now();
  await embedded.apply({ kind: 'sweep-registered', sweep: data.sweep });
  for (const result of data.results) await embedded.apply({ kind: 'trial-finished', result, at: '2026-01-01T00:00:00Z' });
  const ingestMs = performance.now() - t0;
  console.log(`embedded ingest through apply: ${ingestMs.toFixed(0)} ms (${(ingestMs / data.results.length).toFixed(2)} ms per trial)`);
  await reads('embedded', embedded);
  await embedded.close();

  if (!values['no-mongo']) {
    const client = new MongoClient(MONGO_URL, { serverSelectionTimeoutMS: 2000 });
    const reachable = await client.connect().then(
      () => true,
      () => false,
    );
    if (!reachable) console.log(`MongoDB-wire server at ${MONGO_URL} not reachable: skipped`);
    else {
      const dbName = `spikesweep_bench_summary_${process.pid}`;
      const db = client.db(dbName);
      try {
        const snapshot = JSON.parse(readFileSync(join(dir, 'snapshot.json'), 'utf8')) as { collections: Record<string, { _id: string }[]> };
        const t1 = performance.now();
        for (const [name, docs] of Object.entries(snapshot.collections)) {
          for (let i = 0; i < docs.length; i += 1000) await db.collection<{ _id: string }>(name).insertMany(docs.slice(i, i + 1000));
        }
        console.log(`copied the embedded documents into ${MONGO_URL} in ${(performance.now() - t1).toFixed(0)} ms`);
        const mongo = await createMongoStore({ url: MONGO_URL, dbName });
        await reads('mongo', mongo);
        await mongo.close();
      } finally {
        await db.dropDatabase();
        await client.close();
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

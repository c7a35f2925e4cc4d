/**
 * Cost of one update by `_id` on the MongoDB-wire server as its collection grows: the number
 * that bounds the results service's ingestion rate (each finished trial is a few updates by
 * `_id`). On FerretDB 1.24 with the SQLite backend a lookup by `_id` stays constant while an
 * update by `_id` grows with the collection; MongoDB uses its `_id` index for both.
 *
 *   npx tsx bench/ferretdb-updates.ts [--url mongodb://127.0.0.1:27017] [--docs 5000]
 *
 * Writes to a scratch database (`bench_updates`) and drops it afterwards.
 */
import { MongoClient } from 'mongodb';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const url = arg('url', process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017');
const maxDocs = Number(arg('docs', '5000'));
const step = 1000;
const probes = 20;

const client = new MongoClient(url);
const db = client.db('bench_updates');
const col = db.collection<{ _id: string; x: number; y?: number }>('t');
try {
  await db.dropDatabase();
  const buildInfo = await db.admin().command({ buildInfo: 1 });
  console.log(`server reports MongoDB ${String(buildInfo.version)}${buildInfo.ferretdbVersion ? `, FerretDB ${String(buildInfo.ferretdbVersion)}` : ''}`);
  console.log('docs    insert/doc   findOne(_id)   updateOne(_id)   updates/s');
  let first: number | null = null;
  let last = 0;
  for (let n = step; n <= maxDocs; n += step) {
    const t0 = performance.now();
    await col.insertMany(Array.from({ length: step }, (_, j) => ({ _id: `d${n - step + j}`, x: j })));
    const insert = (performance.now() - t0) / step;
    const t1 = performance.now();
    for (let j = 0; j < probes; j++) await col.findOne({ _id: `d${j * 37}` });
    const find = (performance.now() - t1) / probes;
    const t2 = performance.now();
    for (let j = 0; j < probes; j++) await col.updateOne({ _id: `d${j * 37}` }, { $set: { y: n } });
    const update = (performance.now() - t2) / probes;
    first ??= update;
    last = update;
    console.log(`${String(n).padEnd(7)} ${insert.toFixed(3).padStart(8)} ms ${find.toFixed(1).padStart(10)} ms ${update.toFixed(1).padStart(12)} ms ${(1000 / update).toFixed(0).padStart(11)}`);
  }
  console.log(`updateOne(_id) at ${maxDocs} docs / at ${step} docs: ${(last / first!).toFixed(2)}x`);
} finally {
  await db.dropDatabase().catch(() => undefined);
  await client.close();
}

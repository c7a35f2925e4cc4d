/**
 * The MongoDB-wire collection against the real server: a bulk write larger than one update
 * command (FerretDB 1.24 never answers an `update` command of 100 or more statements, so the
 * collection splits it) completes, in order, and its duplicate-key skips still work across the
 * command boundaries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { connectMongoDatabase, UPDATE_STATEMENTS_PER_COMMAND } from '../shared/store/mongo-database.ts';
import type { Database, UpdateOp } from '../shared/store/collection.ts';
import { MONGO_URL } from './support/services.ts';

const dbName = `spikesweep_test_mongo_bulk_${process.pid}`;
let database: Database;

beforeAll(async () => {
  database = await connectMongoDatabase({ url: MONGO_URL, dbName });
});

afterAll(async () => {
  await database?.close();
  const client = new MongoClient(MONGO_URL);
  await client.db(dbName).dropDatabase();
  await client.close();
});

describe('MongoCollection.bulkUpdate on the real MongoDB-wire server', () => {
  it('writes 250 upserts (several commands) and then 250 increments, in order', async () => {
    const c = database.collection('docs');
    const n = 250;
    expect(n).toBeGreaterThan(2 * UPDATE_STATEMENTS_PER_COMMAND);
    await c.bulkUpdate(Array.from({ length: n }, (_, i) => ({ filter: { _id: `d${i}` }, update: { $set: { i, k: 0 } }, upsert: true })));
    // the same document updated in two commands: order must hold across the split
    const ops: UpdateOp[] = Array.from({ length: n }, (_, i) => ({ filter: { _id: `d${i % 100}` }, update: { $inc: { k: 1 } } }));
    ops.push({ filter: { _id: 'd0' }, update: { $set: { last: true } } });
    await c.bulkUpdate(ops);
    expect(await c.count({})).toBe(n);
    const docs = await c.find({ _id: { $in: ['d0', 'd49', 'd99', 'd100', 'd249'] } }, { sort: { i: 1 } });
    expect(docs.map((d) => [d._id, d.k])).toEqual([['d0', 3], ['d49', 3], ['d99', 2], ['d100', 0], ['d249', 0]]);
    expect(docs[0]!.last).toBe(true);
  }, 60_000);

  it('skips a duplicate-key collision of a skipIfUnmatched op and goes on past the command boundary, though FerretDB reports it at index 0', async () => {
    const c = database.collection('guarded');
    await c.bulkUpdate([{ filter: { _id: 'g' }, update: { $set: { flag: 1 } }, upsert: true }]);
    const ops: UpdateOp[] = Array.from({ length: 150 }, (_, i) => ({ filter: { _id: `h${i}` }, update: { $set: { i } }, upsert: true }));
    // an upsert whose extra condition fails on an existing document collides on _id: skipped
    ops.splice(UPDATE_STATEMENTS_PER_COMMAND - 1, 0, { filter: { _id: 'g', flag: 2 }, update: { $set: { hit: true } }, upsert: true, skipIfUnmatched: true });
    await c.bulkUpdate(ops);
    expect(await c.count({})).toBe(151);
    expect((await c.findOne({ _id: 'g' }))!.hit).toBeUndefined();
    expect((await c.findOne({ _id: 'h149' }))!.i).toBe(149);
  }, 60_000);
});

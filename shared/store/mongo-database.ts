import { Double, MongoBulkWriteError, MongoNetworkError, MongoServerSelectionError, type Collection, type Document } from 'mongodb';
import { ServiceUnavailableError } from '../contracts/index.ts';
import { createMongo } from '../clients/mongo.ts';
import type { Database, Doc, DocCollection, Filter, FindOptions, UpdateDoc, UpdateOp } from './collection.ts';

/** Network and server-selection failures become ServiceUnavailableError (retryable). */
async function guarded<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof MongoNetworkError || error instanceof MongoServerSelectionError) {
      throw new ServiceUnavailableError(`MongoDB unreachable during ${what}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

/**
 * Numbers in `$inc`, `$min`, `$max` are sent as BSON doubles: the driver would send integral
 * values as int32, and sums of squares of integral costs overflow int32 (FerretDB 1.24 does
 * not widen on overflow as MongoDB does).
 */
function asDoubles(update: UpdateDoc): Document {
  const out: Document = { ...update };
  for (const op of ['$inc', '$min', '$max'] as const) {
    const expr = update[op];
    if (!expr) continue;
    out[op] = Object.fromEntries(Object.entries(expr).map(([k, v]) => [k, typeof v === 'number' ? new Double(v) : v]));
  }
  return out;
}

class MongoCollection implements DocCollection {
  constructor(private readonly c: Collection<Doc>) {}

  /**
   * Ordered bulk write. An ordered bulk stops at its first error (FerretDB 1.24 stops there
   * even when unordered), so after a duplicate-key collision of a `skipIfUnmatched` op the
   * rest is resubmitted.
   */
  async bulkUpdate(ops: readonly UpdateOp[]): Promise<void> {
    let rest = ops;
    while (rest.length > 0) {
      const batch = rest;
      try {
        await guarded('bulkUpdate', () =>
          this.c.bulkWrite(
            batch.map((op) => ({
              updateOne: { filter: op.filter as Document, update: asDoubles(op.update), upsert: op.upsert ?? false },
            })),
            { ordered: true },
          ),
        );
        return;
      } catch (error) {
        const first = error instanceof MongoBulkWriteError ? [error.writeErrors].flat()[0] : undefined;
        if (!first || first.code !== 11000 || !batch[first.index]?.skipIfUnmatched) throw error;
        rest = batch.slice(first.index + 1);
      }
    }
  }

  async updateMany(filter: Filter, update: UpdateDoc): Promise<number> {
    const r = await guarded('updateMany', () => this.c.updateMany(filter as Document, asDoubles(update)));
    return r.matchedCount;
  }

  find(filter: Filter, options: FindOptions = {}): Promise<Doc[]> {
    return guarded('find', () => {
      let cursor = this.c.find(filter as Document);
      if (options.projection) cursor = cursor.project(options.projection);
      if (options.sort) cursor = cursor.sort(options.sort);
      if (options.skip) cursor = cursor.skip(options.skip);
      if (options.limit) cursor = cursor.limit(options.limit);
      return cursor.toArray() as Promise<Doc[]>;
    });
  }

  async findOne(filter: Filter, options: FindOptions = {}): Promise<Doc | null> {
    const [doc] = await this.find(filter, { ...options, limit: 1 });
    return doc ?? null;
  }

  count(filter: Filter): Promise<number> {
    return guarded('count', () => this.c.countDocuments(filter as Document));
  }

  aggregate(pipeline: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    return guarded('aggregate', () => this.c.aggregate(pipeline).toArray());
  }

  async deleteMany(filter: Filter): Promise<number> {
    const r = await guarded('deleteMany', () => this.c.deleteMany(filter as Document));
    return r.deletedCount;
  }

  async createIndex(keys: Record<string, 1 | -1>, name: string): Promise<void> {
    await guarded('createIndex', () => this.c.createIndex(keys, { name }));
  }
}

/**
 * Connects (through the shared client factory) to MongoDB or a MongoDB-wire server (FerretDB).
 * Fails with ServiceUnavailableError when no server answers within `serverSelectionTimeoutMs`.
 */
export async function connectMongoDatabase(options: {
  url: string;
  dbName: string;
  serverSelectionTimeoutMs?: number;
}): Promise<Database> {
  const handle = await createMongo(options.url, options.dbName, {
    serverSelectionTimeoutMs: options.serverSelectionTimeoutMs ?? 5000,
    appName: 'spikesweep-results',
  });
  const collections = new Map<string, MongoCollection>();
  return {
    collection(name) {
      let c = collections.get(name);
      if (!c) {
        c = new MongoCollection(handle.db.collection<Doc>(name));
        collections.set(name, c);
      }
      return c;
    },
    async ping() {
      try {
        await handle.db.command({ ping: 1 });
        return true;
      } catch {
        return false;
      }
    },
    close: () => handle.close(),
  };
}

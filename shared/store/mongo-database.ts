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

/**
 * Statements per update command. FerretDB 1.24 (SQLite backend) never answers an `update`
 * command of 100 or more statements (measured 2026-12-03: 99 return in about 0.5 s, 100 hang
 * with the server idle, from 200 to 10,000 documents), so larger bulk writes go as several
 * commands of at most this many.
 */
export const UPDATE_STATEMENTS_PER_COMMAND = 64;

class MongoCollection implements DocCollection {
  constructor(private readonly c: Collection<Doc>) {}

  /**
   * Ordered bulk write, in commands of at most UPDATE_STATEMENTS_PER_COMMAND statements. An
   * ordered command stops at its first error. After a duplicate-key collision in a command with
   * `skipIfUnmatched` ops, that command is applied again one op at a time, skipping the ops that
   * collide alone: FerretDB 1.24 reports every such collision at index 0 (and counts of 0), so
   * the failing op cannot be told from the error. The ops before it are applied twice, which is
   * why a bulk with `skipIfUnmatched` ops must be idempotent (the guarded summary updates are:
   * each is conditional on the bit it sets).
   */
  async bulkUpdate(ops: readonly UpdateOp[]): Promise<void> {
    for (let start = 0; start < ops.length; start += UPDATE_STATEMENTS_PER_COMMAND) {
      const command = ops.slice(start, start + UPDATE_STATEMENTS_PER_COMMAND);
      try {
        await this.write(command);
      } catch (error) {
        if (!MongoCollection.isDuplicateKey(error) || !command.some((op) => op.skipIfUnmatched)) throw error;
        for (const op of command) {
          try {
            await this.write([op]);
          } catch (single) {
            if (!MongoCollection.isDuplicateKey(single) || !op.skipIfUnmatched) throw single;
          }
        }
      }
    }
  }

  private static isDuplicateKey(error: unknown): boolean {
    return error instanceof MongoBulkWriteError && [error.writeErrors].flat()[0]?.code === 11000;
  }

  private async write(ops: readonly UpdateOp[]): Promise<void> {
    await guarded('bulkUpdate', () =>
      this.c.bulkWrite(
        ops.map((op) => ({ updateOne: { filter: op.filter as Document, update: asDoubles(op.update), upsert: op.upsert ?? false } })),
        { ordered: true },
      ),
    );
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

/**
 * The result store (see ./types.ts for the interface and ./store.ts for the document layout).
 * `createMongoStore` for MongoDB / FerretDB, `createEmbeddedStore` in process (mingo), both
 * running the same store code.
 */
import { Store } from './store.ts';
import { connectMongoDatabase } from './mongo-database.ts';
import { openEmbeddedDatabase } from './embedded-database.ts';
import type { EmbeddedStoreOptions, MongoStoreOptions } from './types.ts';

export type * from './types.ts';
export { Store, STORE_SCHEMA_VERSION } from './store.ts';

/** Connects, creates indexes, records the schema version and completes interrupted writes. */
export async function createMongoStore(options: MongoStoreOptions & { serverSelectionTimeoutMs?: number }): Promise<Store> {
  const store = new Store(await connectMongoDatabase(options));
  await store.init();
  return store;
}

/**
 * The in-process store: in memory, or persisted to `dir`. With `follow`, opens a directory
 * another process writes, read-only, and shows its appends live.
 */
export async function createEmbeddedStore(options: EmbeddedStoreOptions & { follow?: boolean } = {}): Promise<Store> {
  const store = new Store(openEmbeddedDatabase(options));
  if (!options.follow) await store.init();
  return store;
}



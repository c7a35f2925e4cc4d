/**
 * The one factory for MongoDB clients (the official driver). Works against MongoDB and
 * MongoDB-wire servers such as FerretDB.
 */
import { type Db, MongoClient } from 'mongodb';
import { ServiceUnavailableError } from '../contracts/index.ts';

export interface MongoClientOptions {
  /** Fail a connect or an operation that finds no server after this long. */
  serverSelectionTimeoutMs?: number;
  /** Give up on opening one TCP connection after this long. */
  connectTimeoutMs?: number;
  /** Reported to the server (visible in its logs and `currentOp`). */
  appName?: string;
}

export interface MongoHandle {
  readonly client: MongoClient;
  readonly db: Db;
  /** Closes the client; safe to call twice, also concurrently. */
  close(): Promise<void>;
}

/**
 * Connects to `url` (mongodb://host:port) and opens database `dbName`. Fails fast with a
 * ServiceUnavailableError (retryable) when no server answers within the selection timeout,
 * instead of the driver's default 30 s.
 */
export async function createMongo(url: string, dbName: string, options: MongoClientOptions = {}): Promise<MongoHandle> {
  const client = new MongoClient(url, {
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 10_000,
    connectTimeoutMS: options.connectTimeoutMs ?? 10_000,
    appName: options.appName ?? 'spikesweep',
  });
  try {
    await client.connect();
  } catch (error) {
    await client.close().catch(() => undefined);
    throw new ServiceUnavailableError(`MongoDB at ${redactUrl(url)} is not reachable: ${errorMessage(error)}`, { cause: error });
  }
  let closed: Promise<void> | undefined;
  return {
    client,
    db: client.db(dbName),
    close: () => (closed ??= client.close()),
  };
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable url)';
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

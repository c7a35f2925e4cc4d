/**
 * The small collection interface the store code is written against, so the same store logic
 * runs on MongoDB / FerretDB (./mongo-database.ts) and in process (./embedded-database.ts).
 *
 * Deliberately minimal, and limited to what FerretDB 1.24 runs: updates address one document
 * by `_id` (optionally with further conditions) and use update operators ($set, $setOnInsert,
 * $inc, $min, $max, $bit, $addToSet, $pull); reads are finds with sort/projection/skip/limit, counts
 * and `$match`/`$group`($sum) pipelines.
 */

export type Doc = Record<string, unknown> & { _id: string };
export type Filter = Record<string, unknown>;
export type UpdateDoc = Partial<
  Record<'$set' | '$setOnInsert' | '$inc' | '$min' | '$max' | '$bit' | '$addToSet' | '$pull' | '$unset', Record<string, unknown>>
>;

/**
 * One single-document update. `filter._id` is required; further conditions make the update
 * conditional. With `upsert`, a missing `_id` inserts a document. An upsert whose extra
 * conditions do not match an existing document collides with its `_id` (duplicate key,
 * MongoDB error 11000): with `skipIfUnmatched` that collision means "condition already
 * satisfied, nothing to do" and the op is skipped; without it, it is an error.
 */
export interface UpdateOp {
  filter: Filter & { _id: string };
  update: UpdateDoc;
  upsert?: boolean;
  skipIfUnmatched?: boolean;
}

export interface FindOptions {
  sort?: Record<string, 1 | -1>;
  projection?: Record<string, 0 | 1>;
  skip?: number;
  limit?: number;
}

export interface DocCollection {
  /** Runs the updates in order (one round trip where the backend allows; see UpdateOp for duplicates). */
  bulkUpdate(ops: readonly UpdateOp[]): Promise<void>;
  /** Same update on every matching document; returns how many matched. */
  updateMany(filter: Filter, update: UpdateDoc): Promise<number>;
  find(filter: Filter, options?: FindOptions): Promise<Doc[]>;
  findOne(filter: Filter, options?: FindOptions): Promise<Doc | null>;
  count(filter: Filter): Promise<number>;
  /** `$match`, `$group` with `$sum`, `$sort`, `$project`, `$limit`, `$skip` only. */
  aggregate(pipeline: Record<string, unknown>[]): Promise<Record<string, unknown>[]>;
  deleteMany(filter: Filter): Promise<number>;
  createIndex(keys: Record<string, 1 | -1>, name: string): Promise<void>;
}

export interface Database {
  collection(name: string): DocCollection;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

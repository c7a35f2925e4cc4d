import { appendFileSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Query, aggregate } from 'mingo';
import * as updateOperators from 'mingo/operators/update';
import type { Database, Doc, DocCollection, Filter, FindOptions, UpdateDoc, UpdateOp } from './collection.ts';

/**
 * An in-process Database on the `mingo` library (MongoDB query language and update operators
 * for plain objects), so the embedded mode runs the very same store code as MongoDB.
 *
 * Persistence (when `dir` is given): every write is appended as one JSON line to
 * `log-<generation>.jsonl` and replayed at open; `close()` writes `snapshot.json` (atomically,
 * via rename) carrying the next generation, then starts an empty log and deletes the old one.
 * A crash at any point leaves either (snapshot g, log g) or (snapshot g+1, log g+1): nothing is
 * applied twice. A truncated last line (a crash mid-append) is ignored.
 *
 * `follow: true` opens a directory another process writes (read-only): each read first
 * replays what was appended since, so a dashboard shows a running embedded sweep live.
 */

type LogEntry =
  | { c: string; op: 'bulk'; ops: UpdateOp[] }
  | { c: string; op: 'many'; filter: Filter; update: UpdateDoc }
  | { c: string; op: 'del'; filter: Filter };

interface Snapshot {
  generation: number;
  collections: Record<string, Doc[]>;
}

function withoutId(filter: Filter): Filter {
  const { _id: _ignored, ...rest } = filter;
  return rest;
}

type UpdateOperator = (expr: Record<string, unknown>) => (doc: Record<string, unknown>) => unknown;
const UPDATE_OPERATORS = updateOperators as unknown as Record<string, UpdateOperator>;

/**
 * Applies `update` to `doc` in place with mingo's update operators (called directly: the
 * generic `update()` entry rebuilds its operator context on every call, which dominated the
 * embedded store's write time). `$setOnInsert` acts as `$set` when `inserting`, else not at all.
 */
function modify(doc: Doc, update: UpdateDoc, inserting: boolean): void {
  for (const [op, expr] of Object.entries(update)) {
    if (!expr) continue;
    if (op === '$setOnInsert') {
      if (inserting) UPDATE_OPERATORS.$set!(expr)(doc);
      continue;
    }
    const operator = UPDATE_OPERATORS[op];
    if (!operator) throw new Error(`unsupported update operator ${op}`);
    operator(expr)(doc);
  }
}

/** Compiled queries by filter text: contributions of one trial share their condition. */
const compiled = new Map<string, Query>();
function queryOf(filter: Filter): Query {
  const text = JSON.stringify(filter);
  let q = compiled.get(text);
  if (!q) {
    if (compiled.size > 500) compiled.clear();
    q = new Query(filter);
    compiled.set(text, q);
  }
  return q;
}

class MemoryCollection implements DocCollection {
  readonly docs = new Map<string, Doc>();
  constructor(
    private readonly name: string,
    private readonly db: EmbeddedDatabase,
  ) {}

  applyBulk(ops: readonly UpdateOp[]): void {
    for (const op of ops) {
      const id = op.filter._id;
      const existing = this.docs.get(id);
      if (existing) {
        const rest = withoutId(op.filter);
        if (Object.keys(rest).length > 0 && !queryOf(rest).test(existing)) {
          if (op.upsert && !op.skipIfUnmatched) throw new Error(`duplicate key: upsert of ${this.name} ${id} collides with an unmatched document`);
          continue;
        }
        modify(existing, op.update, false);
      } else if (op.upsert) {
        const doc: Doc = { _id: id };
        modify(doc, op.update, true);
        this.docs.set(id, doc);
      }
    }
  }

  applyMany(filter: Filter, update: UpdateDoc): number {
    const matched = this.matching(filter);
    for (const doc of matched) modify(doc, update, false);
    return matched.length;
  }

  applyDelete(filter: Filter): number {
    const matched = this.matching(filter);
    for (const doc of matched) this.docs.delete(doc._id);
    return matched.length;
  }

  /** Documents a filter can match: looked up by `_id` (a value or `$in`) when it names one. */
  candidates(filter: Filter): Doc[] {
    const id = filter._id;
    if (typeof id === 'string') {
      const doc = this.docs.get(id);
      return doc ? [doc] : [];
    }
    if (id && typeof id === 'object' && Array.isArray((id as { $in?: unknown }).$in)) {
      return ((id as { $in: unknown[] }).$in)
        .map((x) => (typeof x === 'string' ? this.docs.get(x) : undefined))
        .filter((d): d is Doc => d !== undefined);
    }
    return [...this.docs.values()];
  }

  private matching(filter: Filter): Doc[] {
    return this.candidates(filter).filter((doc) => queryOf(filter).test(doc));
  }

  async bulkUpdate(ops: readonly UpdateOp[]): Promise<void> {
    if (ops.length === 0) return;
    this.db.write({ c: this.name, op: 'bulk', ops: [...ops] });
  }

  async updateMany(filter: Filter, update: UpdateDoc): Promise<number> {
    return this.db.write({ c: this.name, op: 'many', filter, update });
  }

  async find(filter: Filter, options: FindOptions = {}): Promise<Doc[]> {
    this.db.follow();
    let cursor = queryOf(filter).find<Doc>(this.candidates(filter), options.projection);
    if (options.sort) cursor = cursor.sort(options.sort);
    if (options.skip) cursor = cursor.skip(options.skip);
    if (options.limit) cursor = cursor.limit(options.limit);
    return structuredClone(cursor.all());
  }

  async findOne(filter: Filter, options: FindOptions = {}): Promise<Doc | null> {
    const [doc] = await this.find(filter, { ...options, limit: 1 });
    return doc ?? null;
  }

  async count(filter: Filter): Promise<number> {
    this.db.follow();
    return this.matching(filter).length;
  }

  async aggregate(pipeline: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    this.db.follow();
    return structuredClone(aggregate([...this.docs.values()], pipeline));
  }

  async deleteMany(filter: Filter): Promise<number> {
    return this.db.write({ c: this.name, op: 'del', filter });
  }

  async createIndex(): Promise<void> {}
}

class EmbeddedDatabase implements Database {
  private readonly collections = new Map<string, MemoryCollection>();
  private generation = 0;
  private logBytesRead = 0;
  private closed = false;

  constructor(
    private readonly dir: string | undefined,
    private readonly readOnly: boolean,
  ) {
    if (dir) {
      mkdirSync(dir, { recursive: true });
      this.load();
    }
  }

  private logPath(generation = this.generation): string {
    return join(this.dir ?? '.', `log-${generation}.jsonl`);
  }

  private load(): void {
    this.collections.clear();
    this.logBytesRead = 0;
    const snapshotPath = join(this.dir ?? '.', 'snapshot.json');
    if (existsSync(snapshotPath)) {
      const snapshot = JSON.parse(readFileSync(snapshotPath, 'utf8')) as Snapshot;
      this.generation = snapshot.generation;
      for (const [name, docs] of Object.entries(snapshot.collections)) {
        const c = this.collection(name) as MemoryCollection;
        for (const doc of docs) c.docs.set(doc._id, doc);
      }
    } else {
      this.generation = 0;
    }
    this.replayNew();
  }

  /** Replays complete lines appended to the current log since the last read. */
  private replayNew(): void {
    const path = this.logPath();
    if (!existsSync(path)) return;
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size <= this.logBytesRead) return;
      const buffer = Buffer.alloc(size - this.logBytesRead);
      readSync(fd, buffer, 0, buffer.length, this.logBytesRead);
      const lastNewline = buffer.lastIndexOf(0x0a);
      if (lastNewline < 0) return;
      for (const line of buffer.subarray(0, lastNewline).toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        try {
          this.replay(JSON.parse(line) as LogEntry);
        } catch {
          // The entry failed the same way (and with the same partial effect) when written.
        }
      }
      this.logBytesRead += lastNewline + 1;
    } finally {
      closeSync(fd);
    }
  }

  private replay(entry: LogEntry): number {
    const c = this.collection(entry.c) as MemoryCollection;
    if (entry.op === 'bulk') {
      c.applyBulk(entry.ops);
      return entry.ops.length;
    }
    if (entry.op === 'many') return c.applyMany(entry.filter, entry.update);
    return c.applyDelete(entry.filter);
  }

  /** In follow mode, catches up with what the writing process appended (or compacted). */
  follow(): void {
    if (!this.readOnly || !this.dir) return;
    const snapshotPath = join(this.dir, 'snapshot.json');
    if (existsSync(snapshotPath)) {
      const { generation } = JSON.parse(readFileSync(snapshotPath, 'utf8')) as Snapshot;
      if (generation !== this.generation) return this.load();
    }
    this.replayNew();
  }

  write(entry: LogEntry): number {
    if (this.readOnly) throw new Error('embedded store opened read-only (follow mode)');
    if (this.closed) throw new Error('embedded store is closed');
    if (this.dir) {
      const line = `${JSON.stringify(entry)}\n`;
      appendFileSync(this.logPath(), line);
      this.logBytesRead += Buffer.byteLength(line);
    }
    return this.replay(entry);
  }

  collection(name: string): DocCollection {
    let c = this.collections.get(name);
    if (!c) {
      c = new MemoryCollection(name, this);
      this.collections.set(name, c);
    }
    return c;
  }

  async ping(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.dir || this.readOnly) return;
    const next = this.generation + 1;
    const snapshot: Snapshot = { generation: next, collections: {} };
    for (const [name, c] of this.collections) snapshot.collections[name] = [...c.docs.values()];
    const tmp = join(this.dir, 'snapshot.json.tmp');
    writeFileSync(tmp, JSON.stringify(snapshot));
    renameSync(tmp, join(this.dir, 'snapshot.json'));
    rmSync(this.logPath(), { force: true });
    this.generation = next;
  }
}

export function openEmbeddedDatabase(options: { dir?: string; follow?: boolean } = {}): Database {
  return new EmbeddedDatabase(options.dir, options.follow ?? false);
}

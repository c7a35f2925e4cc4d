/**
 * The foundation against the real services that `spikesweep services up` starts: Redis through
 * ioredis and BullMQ, the MongoDB-wire server through the official driver, the client
 * factories in shared/clients, and the life cycle of infra/services.sh itself.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertNoEviction, closeRedis, createMongo, createRedis, type MongoHandle } from '../shared/clients/index.ts';
import { ServiceUnavailableError, SpikeSweepError } from '../shared/contracts/index.ts';
import { uniqueName } from './support/names.ts';
import { MONGO_URL, REDIS_URL, REPO_DIR, SERVICES_DATA_DIR } from './support/services.ts';

const run = promisify(execFile);
const SERVICES_SH = path.join(REPO_DIR, 'infra', 'services.sh');

describe('Redis through ioredis', () => {
  const redis = createRedis(REDIS_URL, { connectionName: 'test-services' });
  const key = uniqueName('kv');

  afterAll(async () => {
    await redis.del(key);
    await closeRedis(redis);
  });

  it('sets and gets a value', async () => {
    await redis.set(key, 'spikes', 'EX', 60);
    expect(await redis.get(key)).toBe('spikes');
    expect(await redis.ttl(key)).toBeGreaterThan(0);
  });

  it('runs with maxmemory-policy noeviction, so assertNoEviction passes', async () => {
    await expect(assertNoEviction(redis)).resolves.toBeUndefined();
  });
});

describe('a BullMQ queue round trip', () => {
  const prefix = uniqueName('bull');
  const name = uniqueName('roundtrip');
  const connection = createRedis(REDIS_URL, { connectionName: 'test-bullmq' });
  let queue: Queue<{ a: number; b: number }, { sum: number; by: string }>;
  let worker: Worker<{ a: number; b: number }, { sum: number; by: string }>;

  beforeAll(() => {
    queue = new Queue(name, { connection, prefix });
    worker = new Worker(name, async (job) => ({ sum: job.data.a + job.data.b, by: `job-${job.id}` }), {
      connection,
      prefix,
      concurrency: 2,
    });
  });

  afterAll(async () => {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    await closeRedis(connection);
  });

  it('delivers each job to the worker and stores its result', async () => {
    const inputs = [
      { a: 1, b: 2 },
      { a: 40, b: 2 },
      { a: -5, b: 5 },
    ];
    const completed = new Map<string, { sum: number; by: string }>();
    const allDone = new Promise<void>((resolve, reject) => {
      worker.on('completed', (job, result) => {
        completed.set(job.id ?? '', result);
        if (completed.size === inputs.length) resolve();
      });
      worker.on('failed', (_job, error) => reject(error));
    });
    const jobs = await Promise.all(inputs.map((data, i) => queue.add('add', data, { jobId: `j${i}` })));
    await allDone;

    for (const [i, job] of jobs.entries()) {
      const input = inputs[i]!;
      const stored = await queue.getJob(job.id!);
      expect(await stored?.getState()).toBe('completed');
      expect(stored?.returnvalue).toEqual({ sum: input.a + input.b, by: `job-j${i}` });
      expect(completed.get(job.id!)).toEqual(stored?.returnvalue);
    }
  });

  it('does not add a job twice under the same jobId', async () => {
    const before = await queue.getJobCounts('completed', 'waiting', 'active');
    await queue.add('add', { a: 1, b: 1 }, { jobId: 'j0' });
    const after = await queue.getJobCounts('completed', 'waiting', 'active');
    expect(after).toEqual(before);
  });
});

describe('the MongoDB-wire server through the mongodb driver', () => {
  const dbName = uniqueName('test_services');
  let mongo: MongoHandle;

  beforeAll(async () => {
    mongo = await createMongo(MONGO_URL, dbName);
  });

  afterAll(async () => {
    await mongo.db.dropDatabase();
    await mongo.close();
  });

  // FerretDB 1.24 lacks $avg/$min/$max/$push, and computes only the FIRST accumulator of a
  // $group (the others come back as 0: FerretDB issue #4616), so each $group here has one.
  it('inserts, indexes and aggregates with $match, $group ($sum) and $sort', async () => {
    const trials = mongo.db.collection<{ trialId: string; method: string; status: string; epochs: number }>('trials');
    const docs = [
      { trialId: 't1', method: 'surrogate', status: 'done', epochs: 10 },
      { trialId: 't2', method: 'surrogate', status: 'done', epochs: 12 },
      { trialId: 't3', method: 'eventprop', status: 'done', epochs: 7 },
      { trialId: 't4', method: 'eventprop', status: 'failed', epochs: 3 },
      { trialId: 't5', method: 'spike-time', status: 'done', epochs: 30 },
    ];
    const inserted = await trials.insertMany(docs);
    expect(inserted.insertedCount).toBe(5);

    await trials.createIndex({ trialId: 1 }, { unique: true, name: 'trialId_unique' });
    await trials.createIndex({ method: 1, status: 1 }, { name: 'method_status' });
    const indexNames = (await trials.listIndexes().toArray()).map((index) => index.name as string);
    expect(indexNames).toEqual(expect.arrayContaining(['_id_', 'trialId_unique', 'method_status']));
    // the unique index is enforced, not only listed
    await expect(trials.insertOne({ trialId: 't1', method: 'surrogate', status: 'done', epochs: 1 })).rejects.toMatchObject({ code: 11000 });

    const epochsByMethod = await trials
      .aggregate<{ _id: string; epochs: number }>([
        { $match: { status: 'done' } },
        { $group: { _id: '$method', epochs: { $sum: '$epochs' } } },
        { $sort: { epochs: -1 } },
      ])
      .toArray();
    expect(epochsByMethod).toEqual([
      { _id: 'spike-time', epochs: 30 },
      { _id: 'surrogate', epochs: 22 },
      { _id: 'eventprop', epochs: 7 },
    ]);
    const trialsByStatus = await trials
      .aggregate<{ _id: string; trials: number }>([
        { $match: { method: { $in: ['surrogate', 'eventprop'] } } },
        { $group: { _id: '$status', trials: { $sum: 1 } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(trialsByStatus).toEqual([
      { _id: 'done', trials: 3 },
      { _id: 'failed', trials: 1 },
    ]);
  });
});

describe('client factories', () => {
  it('createMongo: close() twice, also concurrently, is safe', async () => {
    const mongo = await createMongo(MONGO_URL, uniqueName('close_twice'));
    expect((await mongo.db.command({ ping: 1 })).ok).toBe(1);
    await Promise.all([mongo.close(), mongo.close()]);
    await expect(mongo.close()).resolves.toBeUndefined();
  });

  it('createMongo: an unreachable server fails fast with a retryable ServiceUnavailableError', async () => {
    const port = await freePort();
    const started = Date.now();
    const failure = await createMongo(`mongodb://127.0.0.1:${port}`, 'nothing', { serverSelectionTimeoutMs: 500 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ServiceUnavailableError);
    expect(failure).toMatchObject({ code: 'spikesweep:service-unavailable', retryable: true });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('createRedis: configured for BullMQ; closeRedis twice, also concurrently, is safe', async () => {
    const redis = createRedis(REDIS_URL);
    expect(redis.options.maxRetriesPerRequest).toBeNull();
    expect(await redis.ping()).toBe('PONG');
    await Promise.all([closeRedis(redis), closeRedis(redis)]);
    await expect(closeRedis(redis)).resolves.toBeUndefined();
    expect(redis.status).toBe('end');
  });

  it('closeRedis also ends clients that never connected or cannot reach their server', async () => {
    const lazy = createRedis(REDIS_URL, { lazyConnect: true });
    await closeRedis(lazy);
    expect(lazy.status).toBe('end');

    const unreachable = createRedis(`redis://127.0.0.1:${await freePort()}`);
    const errors: unknown[] = [];
    unreachable.on('error', (error) => errors.push(error));
    await waitFor(async () => unreachable.status === 'reconnecting');
    await closeRedis(unreachable);
    const errorsAtClose = errors.length;
    expect(errorsAtClose).toBeGreaterThan(0);
    // no retry after close: the error count stays put past ioredis' first back-off steps
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(errors.length).toBe(errorsAtClose);
  });

  it('assertNoEviction rejects a Redis that may evict keys', async () => {
    const port = await freePort();
    const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'allkeys-lru'], {
      stdio: 'ignore',
    });
    const redis = createRedis(`redis://127.0.0.1:${port}`);
    redis.on('error', () => undefined); // refused until redis-server listens; ioredis retries
    try {
      await waitFor(async () => (await redis.ping()) === 'PONG');
      const failure = await assertNoEviction(redis).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(SpikeSweepError);
      expect(failure).toMatchObject({ code: 'spikesweep:misconfigured-service' });
      expect((failure as Error).message).toContain("'allkeys-lru'");
    } finally {
      await closeRedis(redis);
      server.kill('SIGTERM');
    }
  });
});

describe('infra/services.sh', () => {
  it('a second `up` is a no-op: exit 0, the same pids', async () => {
    await run('bash', [SERVICES_SH, 'up']);
    const before = await pids(SERVICES_DATA_DIR);
    const second = await run('bash', [SERVICES_SH, 'up']);
    expect(second.stderr).toContain('already runs');
    expect(await pids(SERVICES_DATA_DIR)).toEqual(before);
    expect(isRunning(before.redis)).toBe(true);
    expect(isRunning(before.mongo)).toBe(true);
  });

  it('up, status and down on private ports and data dir: down leaves nothing running', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'spikesweep-services-'));
    const env = { ...process.env, SPIKESWEEP_DATA_DIR: dataDir, REDIS_PORT: String(await freePort()), MONGO_PORT: String(await freePort()) };
    try {
      await run('bash', [SERVICES_SH, 'up'], { env });
      const started = await pids(dataDir);
      expect(isRunning(started.redis)).toBe(true);
      expect(isRunning(started.mongo)).toBe(true);

      const redis = createRedis(`redis://127.0.0.1:${env.REDIS_PORT}`);
      await assertNoEviction(redis);
      expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      await closeRedis(redis);
      const mongo = await createMongo(`mongodb://127.0.0.1:${env.MONGO_PORT}`, 'probe');
      expect((await mongo.db.command({ ping: 1 })).ok).toBe(1);
      await mongo.close();

      const status = await run('bash', [SERVICES_SH, 'status'], { env });
      expect(status.stdout).toMatch(new RegExp(`redis +running +pid ${started.redis} .*127\\.0\\.0\\.1:${env.REDIS_PORT}`));
      expect(status.stdout).toMatch(new RegExp(`running +pid ${started.mongo} .*127\\.0\\.0\\.1:${env.MONGO_PORT}`));

      await run('bash', [SERVICES_SH, 'down'], { env });
      await waitFor(async () => !isRunning(started.redis) && !isRunning(started.mongo));
      expect((await run('bash', [SERVICES_SH, 'status'], { env })).stdout).not.toContain('running');
    } finally {
      await run('bash', [SERVICES_SH, 'down'], { env }).catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('infra/services.sh never swaps the database backend for an empty one', () => {
  it('refuses another backend than the one the data dir holds, and a recorded backend that cannot start', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'spikesweep-backend-'));
    const env = { ...process.env, SPIKESWEEP_DATA_DIR: dataDir, REDIS_PORT: String(await freePort()), MONGO_PORT: String(await freePort()) };
    try {
      await mkdir(path.join(dataDir, 'mongo'), { recursive: true });
      await writeFile(path.join(dataDir, 'mongo', 'backend'), 'ferretdb-sqlite\n');
      const other = await run('bash', [SERVICES_SH, 'up'], { env: { ...env, SPIKESWEEP_MONGO_BACKEND: 'ferretdb-postgresql' } }).then(
        () => null,
        (error: unknown) => error as { stderr?: string; message: string },
      );
      expect(other, 'up must fail').not.toBeNull();
      expect(`${other?.stderr ?? ''}${other?.message ?? ''}`).toContain('holds data of the ferretdb-sqlite backend, not ferretdb-postgresql');

      // recorded mongod, but no mongod here: an error, not FerretDB on an empty database
      await writeFile(path.join(dataDir, 'mongo', 'backend'), 'mongod\n');
      const noMongod = await run('bash', [SERVICES_SH, 'up'], { env: { ...env, PATH: '/usr/bin:/bin' } }).then(
        () => null,
        (error: unknown) => error as { stderr?: string; message: string },
      );
      expect(noMongod, 'up must fail').not.toBeNull();
      expect(`${noMongod?.stderr ?? ''}${noMongod?.message ?? ''}`).toContain('mongod is not on PATH');
      expect(await readFile(path.join(dataDir, 'mongo', 'backend'), 'utf8')).toBe('mongod\n');
    } finally {
      await run('bash', [SERVICES_SH, 'down'], { env }).catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

async function pids(dataDir: string): Promise<{ redis: number; mongo: number }> {
  const read = async (file: string) => Number((await readFile(path.join(dataDir, file), 'utf8')).trim());
  return { redis: await read('redis/redis.pid'), mongo: await read('mongo/mongo.pid') };
}

/** Whether `pid` is a live process (a zombie awaiting its reaper does not count). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return !/^\d+ \(.*\) [ZX]/.test(readStat(pid));
}

function readStat(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return '';
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

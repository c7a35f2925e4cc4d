/**
 * Credentials end to end: a private Redis with an ACL user (the default user disabled) and a
 * private FerretDB with authentication on (v1.24: `--test-enable-new-auth` and a setup user),
 * both started by this test on their own ports; the scheduler, results service and a worker
 * run as processes with the credentials in REDIS_URL / MONGO_URL and the API token in
 * SPIKESWEEP_API_TOKEN. A sweep submitted over HTTP with the token completes with every
 * result in the database; anonymous Redis and MongoDB clients are refused; no log line carries
 * a password or the token.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_DIR } from './support/services.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const id = randomUUID().slice(0, 8);
const dataDir = join(REPO_DIR, '.data', `test-credentials-${id}`);
const redisPort = 6400 + (randomBytes(1)[0] as number) % 90;
const mongoPort = 27400 + (randomBytes(1)[0] as number) % 90;
const redisPassword = `rp-${randomBytes(12).toString('hex')}`;
const mongoPassword = `mp-${randomBytes(12).toString('hex')}`;
const token = `tk-${randomBytes(16).toString('hex')}`;
const REDIS_URL = `redis://spikesweep:${redisPassword}@127.0.0.1:${redisPort}`;
const MONGO_URL = `mongodb://spikesweep:${mongoPassword}@127.0.0.1:${mongoPort}/?authSource=admin`;
const ferretdb = process.env.FERRETDB_BIN ?? join(process.env.GOPATH ?? join(process.env.HOME ?? '/root', 'go'), 'bin', 'ferretdb');

const spec = {
  name: 'credentials',
  base: { method: 'surrogate', training: { epochs: 2 }, dataset: { trainSize: 20, validationSize: 10, testSize: 10 } },
  axes: { seed: { range: [0, 4] } },
};

class Proc {
  readonly output: string[] = [];
  readonly child: ChildProcess;
  constructor(
    readonly name: string,
    command: string,
    args: string[],
    env: Record<string, string> = {},
  ) {
    this.child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (c: Buffer) => this.output.push(c.toString()));
    this.child.stderr?.on('data', (c: Buffer) => this.output.push(c.toString()));
  }
  text(): string {
    return this.output.join('');
  }
  async waitFor(pattern: RegExp, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const match = pattern.exec(this.text());
      if (match) return match[0];
      if (this.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.name}: ${pattern} not seen; output: ${this.text().slice(-1500)}`);
  }
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

const service = (name: string, env: Record<string, string>) =>
  new Proc(name, process.execPath, ['--import', 'tsx', `services/${name}/main.ts`], {
    REDIS_URL,
    MONGO_URL,
    MONGO_DB: `creds_${id}`,
    QUEUE_PREFIX: `test-creds-${id}`,
    SPIKESWEEP_API_TOKEN: token,
    OTEL_SDK_DISABLED: 'true',
    ...env,
  });

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('Redis ACL and MongoDB credentials end to end', () => {
  const procs: Proc[] = [];
  let schedulerUrl = '';

  beforeAll(async () => {
    mkdirSync(join(dataDir, 'sqlite'), { recursive: true });
    const redis = new Proc('redis', 'redis-server', [
      '--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dataDir, '--save', '', '--appendonly', 'no',
      '--maxmemory-policy', 'noeviction', '--user', 'default', 'off', '--user', 'spikesweep', 'on', `>${redisPassword}`, '~*', '&*', '+@all',
    ]);
    const mongo = new Proc('ferretdb', ferretdb, [
      '--handler=sqlite', `--sqlite-url=file:${dataDir}/sqlite/`, `--listen-addr=127.0.0.1:${mongoPort}`, `--state-dir=${dataDir}`,
      '--telemetry=disable', '--test-enable-new-auth', '--setup-username=spikesweep', '--setup-database=admin',
    ], { FERRETDB_SETUP_PASSWORD: mongoPassword });
    procs.push(redis, mongo);
    await redis.waitFor(/Ready to accept connections/, 20_000);
    await until('FerretDB', async () => {
      const client = new MongoClient(MONGO_URL, { serverSelectionTimeoutMS: 1000 });
      try {
        await client.db('admin').command({ ping: 1 });
        return true;
      } finally {
        await client.close();
      }
    }, 30_000);
    const results = service('results', { RESULTS_PORT: '0' });
    const scheduler = service('scheduler', { SCHEDULER_PORT: '0' });
    const worker = service('worker', {
      WORKER_CONCURRENCY: '1',
      WORKER_PORT: '0',
      WORKER_ID: `creds-${id}`,
      TRIAL_ENGINE_MODULE: fileURLToPath(new URL('../shared/sweep/noop-engine.ts', import.meta.url)),
    });
    procs.push(results, scheduler, worker);
    const ready = await scheduler.waitFor(/"msg":"ready","port":\d+/, 120_000);
    schedulerUrl = `http://127.0.0.1:${/"port":(\d+)/.exec(ready)?.[1]}`;
    await results.waitFor(/"msg":"ready"/, 120_000);
    await worker.waitFor(/"msg":"ready"/, 120_000);
  }, 180_000);

  afterAll(async () => {
    for (const p of [...procs].reverse()) await p.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 120_000);

  it('anonymous clients are refused by both servers', async () => {
    // Raw connections: an anonymous command gets NOAUTH, a wrong password WRONGPASS.
    const ask = (command: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(redisPort, '127.0.0.1', () => socket.write(command));
        socket.once('data', (d) => {
          resolve(d.toString());
          socket.destroy();
        });
        socket.once('error', reject);
      });
    expect(await ask('SET k v\r\n')).toMatch(/^-NOAUTH/);
    expect(await ask('AUTH spikesweep wrong\r\n')).toMatch(/^-WRONGPASS/);
    const client = new MongoClient(`mongodb://127.0.0.1:${mongoPort}/`, { serverSelectionTimeoutMS: 3000 });
    try {
      await expect(client.db('x').collection('y').insertOne({ a: 1 })).rejects.toThrow(/requires authentication/);
    } finally {
      await client.close();
    }
  });

  it('a sweep submitted with the token completes, every result in the authenticated database', async () => {
    const anonymous = await fetch(`${schedulerUrl}/api/sweeps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
    expect(anonymous.status).toBe(401);
    // The CLI as a client of the API: refused without the token (exit 2, one line) …
    const specFile = join(dataDir, 'spec.json');
    writeFileSync(specFile, JSON.stringify(spec));
    const cli = (env: Record<string, string>) =>
      spawnSync(process.execPath, ['bin/spikesweep.js', 'run', specFile, '--server', schedulerUrl, '--json', '--token-file', join(dataDir, 'none')], {
        cwd: root,
        env: { ...process.env, SPIKESWEEP_API_TOKEN: '', ...env },
        encoding: 'utf8',
        timeout: 120_000,
      });
    const refused = cli({});
    expect(refused.status).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^spikesweep: SPIKESWEEP_API_TOKEN: .* answered 401/);
    // … and with it, submits and follows the sweep to the end.
    const run = cli({ SPIKESWEEP_API_TOKEN: token });
    expect(run.status).toBe(0);
    const { sweepId, finished, counts } = JSON.parse(run.stdout) as { sweepId: string; finished: number; counts: { completed: number } };
    expect(finished).toBe(4);
    expect(counts.completed).toBe(4);
    expect(sweepId).toMatch(/^[0-9a-f]{16}$/);
    const client = new MongoClient(MONGO_URL);
    try {
      const names = (await client.db(`creds_${id}`).listCollections().toArray()).map((c) => c.name);
      expect(names.length).toBeGreaterThan(0);
      const summary = (await (await fetch(`${schedulerUrl}/api/sweeps/${sweepId}`)).json()) as { counts: { completed: number } };
      expect(summary.counts.completed).toBe(4);
    } finally {
      await client.close();
    }
  });

  it('no log line carries a password or the token', () => {
    for (const p of procs.filter((x) => x.name !== 'redis' && x.name !== 'ferretdb')) {
      const text = p.text();
      expect(text.length).toBeGreaterThan(0);
      expect(text).not.toContain(redisPassword);
      expect(text).not.toContain(mongoPassword);
      expect(text).not.toContain(token);
    }
  });
});

/**
 * Private Redis and FerretDB instances for tests that stop, kill or restart them: own free
 * ports, own data dirs (never the shared services at 6379/27017). Each can be stopped and
 * started again on the same port and data, as an operator would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';

/** The FerretDB binary infra/services.sh builds ($GOPATH/bin/ferretdb). */
export const FERRETDB_BIN = process.env.FERRETDB_BIN ?? path.join(process.env.GOPATH ?? path.join(os.homedir(), 'go'), 'bin', 'ferretdb');

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

async function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A server process that can be stopped and started again with the same arguments. */
export class PrivateServer {
  private child: ChildProcess | null = null;
  constructor(
    readonly name: string,
    readonly port: number,
    private readonly command: string,
    private readonly args: string[],
    private readonly ready: () => Promise<boolean>,
  ) {}

  async start(): Promise<void> {
    if (this.child) throw new Error(`${this.name} already runs`);
    const child = spawn(this.command, this.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    child.stderr?.on('data', () => undefined);
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    await waitFor(this.name, this.ready);
  }

  /** SIGTERM (a clean shutdown) or SIGKILL; resolves once the process has exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    this.child = null;
  }

  get running(): boolean {
    return this.child !== null;
  }
}

/** A private Redis (AOF fsync always, noeviction) with its data in `dir`. */
export async function privateRedis(dir: string): Promise<PrivateServer> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--maxmemory-policy', 'noeviction'];
  return new PrivateServer('redis', port, 'redis-server', args, () => portAnswers(port));
}

/** A private FerretDB on SQLite with its data in `dir`. */
export async function privateFerretDb(dir: string): Promise<PrivateServer> {
  mkdirSync(path.join(dir, 'sqlite'), { recursive: true });
  const port = await freePort();
  const args = [
    '--handler=sqlite',
    `--sqlite-url=file:${path.join(dir, 'sqlite')}/`,
    `--listen-addr=127.0.0.1:${port}`,
    `--state-dir=${dir}`,
    '--debug-addr=-',
    '--telemetry=disable',
    '--log-level=error',
  ];
  return new PrivateServer('ferretdb', port, FERRETDB_BIN, args, async () => {
    if (!(await portAnswers(port))) return false;
    const client = new MongoClient(`mongodb://127.0.0.1:${port}`, { serverSelectionTimeoutMS: 1000 });
    try {
      return (await client.db('admin').command({ ping: 1 })).ok === 1;
    } finally {
      await client.close();
    }
  });
}

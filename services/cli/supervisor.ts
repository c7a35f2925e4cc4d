import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Supervises the child processes of `spikesweep serve`.
 *
 * - A child that exits while the supervisor is not stopping is restarted after a backoff,
 *   `min(maxBackoffMs, backoffMs · 2^r)` for its r-th restart within `restartWindowMs`; the
 *   other children keep running.
 * - A child that needed more than `maxRestarts` restarts within `restartWindowMs` is given up:
 *   `onGiveUp` is called (serve then stops everything and exits 1, naming the child).
 * - `stop()` stops the children stage by stage in the order given (each stage in parallel):
 *   SIGTERM, then SIGKILL for whatever still runs after `stopTimeoutMs`; so it ends within
 *   stages × stopTimeoutMs. Safe to call twice.
 */
export interface ChildSpec {
  name: string;
  command: string;
  args: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface SupervisorOptions {
  backoffMs?: number;
  maxBackoffMs?: number;
  maxRestarts?: number;
  restartWindowMs?: number;
  stopTimeoutMs?: number;
  /** One line of the supervisor's own output (default stderr). */
  log?: (line: string) => void;
  /** Output of the children, one line at a time. */
  output?: (name: string, stream: 'stdout' | 'stderr', line: string) => void;
  onGiveUp?: (name: string, restarts: number) => void;
}

interface Supervised {
  spec: ChildSpec;
  child: ChildProcess;
  restartsAt: number[];
  restartTimer: NodeJS.Timeout | null;
  exited: Promise<void>;
  givenUp: boolean;
}

export class Supervisor {
  private readonly children = new Map<string, Supervised>();
  private stopping: Promise<void> | null = null;
  private readonly o: Required<Omit<SupervisorOptions, 'onGiveUp' | 'output'>> & Pick<SupervisorOptions, 'onGiveUp' | 'output'>;

  constructor(options: SupervisorOptions = {}) {
    this.o = {
      backoffMs: options.backoffMs ?? 1_000,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      maxRestarts: options.maxRestarts ?? 5,
      restartWindowMs: options.restartWindowMs ?? 60_000,
      stopTimeoutMs: options.stopTimeoutMs ?? 15_000,
      log: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
      output: options.output,
      onGiveUp: options.onGiveUp,
    };
  }

  /** Starts a child under supervision. */
  start(spec: ChildSpec): void {
    if (this.children.has(spec.name)) throw new Error(`a child named ${spec.name} is already supervised`);
    const entry: Supervised = { spec, child: null as unknown as ChildProcess, restartsAt: [], restartTimer: null, exited: Promise.resolve(), givenUp: false };
    this.children.set(spec.name, entry);
    this.spawn(entry);
  }

  /** The running process of a child (for tests and status), null while it waits for a restart. */
  pid(name: string): number | null {
    const entry = this.children.get(name);
    if (!entry || entry.restartTimer || !alive(entry.child)) return null;
    return entry.child.pid ?? null;
  }

  /** Restarts so far of a child within the window. */
  restarts(name: string): number {
    return this.children.get(name)?.restartsAt.length ?? 0;
  }

  private spawn(entry: Supervised): void {
    const { spec } = entry;
    // Own process group: a Ctrl-C in the terminal reaches only serve, which then stops the
    // children in order (a second SIGINT straight to them would make them quit without checkpointing).
    const child = spawn(spec.command, [...spec.args], { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    entry.child = child;
    for (const stream of ['stdout', 'stderr'] as const) {
      let rest = '';
      child[stream]?.on('data', (chunk: Buffer) => {
        const lines = (rest + chunk.toString()).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) if (line) this.o.output?.(spec.name, stream, line);
      });
      child[stream]?.on('end', () => {
        if (rest) this.o.output?.(spec.name, stream, rest);
        rest = '';
      });
    }
    entry.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        resolve();
        this.o.log(`${spec.name} exited (${signal ?? code})`);
        if (this.stopping === null) this.scheduleRestart(entry);
      });
      child.once('error', (error) => this.o.log(`${spec.name} could not start: ${error.message}`));
    });
  }

  private scheduleRestart(entry: Supervised): void {
    const now = Date.now();
    entry.restartsAt = entry.restartsAt.filter((t) => now - t < this.o.restartWindowMs);
    if (entry.restartsAt.length >= this.o.maxRestarts) {
      entry.givenUp = true;
      this.o.log(`${entry.spec.name} died ${entry.restartsAt.length + 1} times within ${this.o.restartWindowMs / 1000} s; not restarting it`);
      this.o.onGiveUp?.(entry.spec.name, entry.restartsAt.length);
      return;
    }
    const delayMs = Math.min(this.o.maxBackoffMs, this.o.backoffMs * 2 ** entry.restartsAt.length);
    entry.restartsAt.push(now);
    this.o.log(`${entry.spec.name} restarts in ${(delayMs / 1000).toFixed(1)} s (restart ${entry.restartsAt.length} of at most ${this.o.maxRestarts} per ${this.o.restartWindowMs / 1000} s)`);
    entry.restartTimer = setTimeout(() => {
      entry.restartTimer = null;
      if (this.stopping === null) this.spawn(entry);
    }, delayMs);
  }

  /**
   * Stops every child, stage by stage: `order` lists name prefixes (e.g. ['scheduler',
   * 'worker-', 'results']); children matching no prefix stop last.
   */
  stop(order: readonly string[] = []): Promise<void> {
    this.stopping ??= (async () => {
      for (const entry of this.children.values()) {
        if (entry.restartTimer) clearTimeout(entry.restartTimer);
        entry.restartTimer = null;
      }
      const entries = [...this.children.values()];
      const stageOf = (name: string) => {
        const i = order.findIndex((prefix) => name.startsWith(prefix));
        return i < 0 ? order.length : i;
      };
      for (let stage = 0; stage <= order.length; stage++) {
        await Promise.all(entries.filter((e) => stageOf(e.spec.name) === stage).map((e) => this.stopOne(e)));
      }
    })();
    return this.stopping;
  }

  private async stopOne(entry: Supervised): Promise<void> {
    const { child } = entry;
    if (!alive(child)) return;
    signalGroup(child, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      entry.exited.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.o.stopTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut && alive(child)) {
      this.o.log(`${entry.spec.name} did not stop within ${this.o.stopTimeoutMs / 1000} s; killing it`);
      signalGroup(child, 'SIGKILL');
      await entry.exited;
    }
  }

  /** Kills every child at once (second Ctrl-C, or serve exiting). */
  killAll(): void {
    for (const entry of this.children.values()) {
      if (entry.restartTimer) clearTimeout(entry.restartTimer);
      if (alive(entry.child)) signalGroup(entry.child, 'SIGKILL');
    }
  }
}

function alive(child: ChildProcess | null): boolean {
  return child !== null && child.exitCode === null && child.signalCode === null;
}

/** Signals the child's process group (it was started detached, as its group's leader). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

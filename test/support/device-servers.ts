/**
 * Real device-protocol server processes for integration tests: the emulated chip
 * (`spikesweep device serve`) and the Python SDK's Brian2 device (`.venv/bin/python -m
 * spikesweep_device serve`, venv from `bash infra/services.sh test-tools`). Each prints
 * `listening HOST:PORT ID` once it takes calls; `start*` resolves with that address.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { TrialResult } from '../../shared/contracts/index.ts';
import { REPO_DIR } from './services.ts';

export interface ServerProcess {
  readonly address: string;
  readonly id: string;
  readonly child: ChildProcess;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. */
  stop(): Promise<void>;
}

export const VENV_PYTHON = path.join(REPO_DIR, '.venv', 'bin', 'python');

function startProcess(command: string, args: string[], what: string, timeoutMs = 120_000): Promise<ServerProcess> {
  const child = spawn(command, args, { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what}: no 'listening' line within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /listening (\S+) (\S+)/.exec(stdout);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        address: m[1]!,
        id: m[2]!,
        child,
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(kill);
        },
      });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) before listening; stderr: ${stderr}`));
    });
  });
}

/** `spikesweep device serve --chip-seed S --port 0`. */
export function startChipServer(chipSeed: number): Promise<ServerProcess> {
  return startProcess(process.execPath, ['bin/spikesweep.js', 'device', 'serve', '--chip-seed', String(chipSeed), '--port', '0'], 'spikesweep device serve');
}

/** The Brian2 device of the Python SDK. */
export function startBrian2Server(args: string[] = []): Promise<ServerProcess> {
  if (!existsSync(VENV_PYTHON)) throw new Error(`${VENV_PYTHON} is missing: run \`bash infra/services.sh test-tools\` (creates the venv with Brian2 and the SDK)`);
  return startProcess(VENV_PYTHON, ['-m', 'spikesweep_device', 'serve', '--port', '0', ...args], 'python -m spikesweep_device serve');
}

/** A trial result without what depends on the clock, for comparing runs on different devices. */
export function comparable(r: TrialResult): unknown {
  return { ...r, wallTimeMs: 0, epochs: r.epochs.map((e) => ({ ...e, wallTimeMs: 0 })) };
}

import { describe, expect, it } from 'vitest';
import { Supervisor } from './supervisor.ts';

/** A child that runs until signalled; with `ignoreTerm` it ignores SIGTERM. */
const sleeper = (name: string, options: { ignoreTerm?: boolean } = {}) => ({
  name,
  command: process.execPath,
  args: ['-e', `${options.ignoreTerm ? "process.on('SIGTERM', () => {});" : ''} console.log('up'); setInterval(() => {}, 1000);`],
});
const crasher = (name: string) => ({ name, command: process.execPath, args: ['-e', 'process.exit(3)'] });

async function until(ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Supervisor', () => {
  it('restarts a killed child after its backoff and leaves the others running', async () => {
    const lines: string[] = [];
    const s = new Supervisor({ backoffMs: 50, log: (l) => lines.push(l) });
    s.start(sleeper('a'));
    s.start(sleeper('b'));
    await until(() => s.pid('a') !== null && s.pid('b') !== null);
    const [a, b] = [s.pid('a')!, s.pid('b')!];
    process.kill(a, 'SIGKILL');
    await until(() => s.pid('a') !== null && s.pid('a') !== a);
    expect(s.pid('b')).toBe(b);
    expect(s.restarts('a')).toBe(1);
    expect(lines.some((l) => /^a exited \(SIGKILL\)/.test(l))).toBe(true);
    await s.stop();
    expect(s.pid('a')).toBeNull();
    expect(s.pid('b')).toBeNull();
  });

  it('gives up on a child that keeps dying, with growing delays', async () => {
    const lines: string[] = [];
    let gaveUp: [string, number] | null = null;
    const s = new Supervisor({ backoffMs: 20, maxRestarts: 3, log: (l) => lines.push(l), onGiveUp: (name, n) => (gaveUp = [name, n]) });
    s.start(crasher('c'));
    await until(() => gaveUp !== null);
    expect(gaveUp).toEqual(['c', 3]);
    expect(lines.filter((l) => l.startsWith('c restarts in')).map((l) => l.match(/in ([\d.]+) s/)![1])).toEqual(['0.0', '0.0', '0.1']);
    expect(lines.some((l) => /not restarting it/.test(l))).toBe(true);
    await s.stop();
  });

  it('stops in stages and kills a child that ignores SIGTERM after the timeout', async () => {
    const lines: string[] = [];
    const up = new Set<string>();
    const s = new Supervisor({ stopTimeoutMs: 300, log: (l) => lines.push(l), output: (name, _stream, line) => line === 'up' && up.add(name) });
    s.start(sleeper('worker-1'));
    s.start(sleeper('results', { ignoreTerm: true }));
    s.start(sleeper('scheduler'));
    await until(() => up.size === 3); // each has installed its handlers
    const t0 = Date.now();
    await s.stop(['scheduler', 'worker-', 'results']);
    const tookMs = Date.now() - t0;
    expect(tookMs).toBeLessThan(5_000);
    const exits = lines.filter((l) => / exited /.test(l)).map((l) => l.split(' ')[0]);
    expect(exits).toEqual(['scheduler', 'worker-1', 'results']);
    expect(lines).toContain('results did not stop within 0.3 s; killing it');
    expect(lines.some((l) => /restarts in/.test(l))).toBe(false);
  });
});

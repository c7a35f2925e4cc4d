/**
 * Device pools end to end on the real Redis, with worker PROCESSES: trials that name a device
 * run only on a worker that reaches it, one at a time, and wait (back in the queue) while no
 * worker reaches their device; once one does, they run there. Results equal the same chip run
 * in-process (the device is part of the result).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTrialConfig, type ResultsMessage, type TrialResult } from '../shared/contracts/index.ts';
import { closeRedis, createRedis } from '../shared/clients/redis.ts';
import { DeviceLeases } from '../shared/queue/devices.ts';
import { createTrialQueue, trialJobOptions, trialPayload } from '../shared/queue/queues.ts';
import { runTrial } from '../shared/engine/trial.ts';
import { planSweep } from '../shared/sweep/plan.ts';
import { REDIS_URL, deleteRedisPrefix } from './support/services.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const prefix = `test-pools-${randomUUID().slice(0, 8)}`;

class Service {
  readonly lines: { msg: string; [k: string]: unknown }[] = [];
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  constructor(
    readonly name: string,
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'services/worker/main.ts'], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let buffer = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line) as Service['lines'][number]);
        } catch {
          /* not a log line */
        }
      }
    });
    this.child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[${name}] ${chunk.toString()}`));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }
  async waitFor(predicate: (l: Service['lines'][number]) => boolean, timeoutMs: number): Promise<Service['lines'][number]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`${this.name}: timed out; log: ${JSON.stringify(this.lines.slice(-5))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const workerEnv = (id: string, devices: unknown[], extra: Record<string, string> = {}) => ({
  ...extra,
  REDIS_URL,
  QUEUE_PREFIX: prefix,
  WORKER_ID: id,
  WORKER_CONCURRENCY: '2',
  WORKER_PORT: '0',
  LOCK_DURATION_MS: '3000',
  STALLED_INTERVAL_MS: '1000',
  HEARTBEAT_INTERVAL_MS: '500',
  DEVICE_LEASE_MS: '1500',
  DEVICE_WAIT_MS: '200',
  WORKER_DEVICES: JSON.stringify(devices),
});

const chip3 = 'emulated:?mismatchSeed=3&calibrated=false';
const base = { method: 'spike-time', mode: 'in-the-loop', dataset: { trainSize: 80, validationSize: 40, testSize: 40 }, training: { epochs: 2, batchSize: 40 }, network: { hiddenSize: 16 } } as const;
const spec = { name: 'pools', base, axes: { seed: [0, 1], 'device.id': ['chip-3'], 'device.pool': ['lab'] }, checkpointEveryEpochs: 1 };
const absentSpec = { name: 'absent', base: { ...base, device: { pool: 'lab', id: 'chip-9' } }, checkpointEveryEpochs: 1 };

describe('device pools (workers, leases, waiting)', () => {
  let redis: Redis;
  const services: Service[] = [];

  beforeAll(() => {
    redis = createRedis(REDIS_URL, { connectionName: 'test-pools' });
  });

  afterAll(async () => {
    for (const s of services) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
    await Promise.all(services.map((s) => Promise.race([s.exited, new Promise((r) => setTimeout(r, 15_000))])));
    for (const s of services) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    for (const name of ['trials', 'results', 'dead-letter']) {
      const q = new Queue(name, { connection: redis, prefix });
      await q.obliterate({ force: true }).catch(() => undefined);
      await q.close();
    }
    await deleteRedisPrefix(redis, prefix);
    await closeRedis(redis);
  });

  it('runs device trials one at a time on the worker that reaches the device; an unreachable device waits until a worker brings it', async () => {
    const plan = planSweep(spec);
    const absent = planSweep(absentSpec);
    expect(plan.trials.map((t) => t.config.device)).toEqual([
      { pool: 'lab', id: 'chip-3' },
      { pool: 'lab', id: 'chip-3' },
    ]);
    const a = new Service('worker-a', workerEnv('worker-a', [{ pool: 'lab', id: 'chip-3', address: chip3 }]));
    const b = new Service('worker-b', workerEnv('worker-b', []));
    services.push(a, b);
    await Promise.all([a, b].map((w) => w.waitFor((l) => l.msg === 'ready', 150_000)));
    const trials = createTrialQueue({ connection: redis, prefix });
    for (const [p, t] of [...plan.trials.map((t) => [plan, t] as const), [absent, absent.trials[0]!] as const]) {
      await trials.add('trial', trialPayload('sweep-pools', p.spec, t), trialJobOptions(t.trialId, p.spec));
    }

    // nobody reaches chip-9: whichever worker takes its trial hands it back
    await Promise.any(
      [a, b].map((w) => w.waitFor((l) => l.msg === 'trial waiting for device' && l.device === 'lab/chip-9' && String(l.reason).includes('not reachable from worker'), 150_000)),
    );
    const results = new Queue('results', { connection: redis, prefix });
    const finished = async (n: number): Promise<ResultsMessage[]> => {
      for (let i = 0; i < 3000; i++) {
        const messages = (await results.getJobs(['waiting', 'active', 'completed', 'delayed'])).map((j) => j.data as ResultsMessage);
        if (messages.filter((m) => m.kind === 'trial-finished').length >= n) return messages;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('trials did not finish');
    };
    let messages = await finished(2);
    const onChip3 = new Set(plan.trials.map((t) => t.trialId));
    const done = messages.filter((m): m is Extract<ResultsMessage, { kind: 'trial-finished' }> => m.kind === 'trial-finished');
    expect(done.map((m) => m.result.trialId).sort()).toEqual([...onChip3].sort());
    for (const m of done) expect(m.result.status).toBe('completed');
    // one at a time: the second trial on chip-3 started after the first finished
    const started = messages.filter((m): m is Extract<ResultsMessage, { kind: 'trial-started' }> => m.kind === 'trial-started' && onChip3.has(m.trialId));
    for (const s of started) expect(s.workerId).toBe('worker-a');
    const spans = [...onChip3].map((id) => ({
      start: Math.min(...started.filter((s) => s.trialId === id).map((s) => Date.parse(s.at))),
      end: Date.parse(done.find((d) => d.result.trialId === id)!.at),
    }));
    spans.sort((x, y) => x.start - y.start);
    expect(spans[1]!.start).toBeGreaterThanOrEqual(spans[0]!.end);

    // the device is part of the result: the same chip in-process gives the same numbers
    const strip = (r: TrialResult) => ({ ...r, trialId: '', config: {}, wallTimeMs: 0, epochs: r.epochs.map((e) => ({ ...e, wallTimeMs: 0 })) });
    const first = plan.trials[0]!;
    const inProcess = await runTrial(parseTrialConfig({ ...base, seed: first.config.seed, chip: { mismatchSeed: 3, calibrated: false } }));
    expect(strip(done.find((d) => d.result.trialId === first.trialId)!.result)).toEqual(strip(inProcess));

    // the trial for chip-9 is still waiting, in the queue
    const waiting = await trials.getJob(absent.trials[0]!.trialId);
    expect(await waiting!.getState()).toMatch(/delayed|waiting|prioritized|active/);
    expect(waiting!.progress).toMatchObject({ status: 'waiting-for-device', device: 'lab/chip-9' });

    // a worker that reaches chip-9 arrives: the trial runs there
    const c = new Service('worker-c', workerEnv('worker-c', [{ pool: 'lab', id: 'chip-9', address: 'emulated:?mismatchSeed=9' }]));
    services.push(c);
    messages = await finished(3);
    const last = messages.find((m) => m.kind === 'trial-finished' && m.result.trialId === absent.trials[0]!.trialId);
    expect(last).toMatchObject({ result: { status: 'completed' } });
    const devices = await new DeviceLeases(redis, prefix).list();
    expect(devices.find((d) => d.id === 'chip-3')).toMatchObject({ pool: 'lab', leases: 2, holder: null });
    expect(devices.find((d) => d.id === 'chip-9')!.reachableBy).toEqual(['worker-c']);
    await trials.close();
    await results.close();
  }, 400_000);

  it('a device that goes away mid-trial: the trial waits, then resumes from its checkpoint on that device and completes once, as if never interrupted', async () => {
    const up = join(tmpdir(), `spikesweep-device-up-${randomUUID()}`);
    const address = `flaky:?after=4&up=${encodeURIComponent(up)}&mismatchSeed=3&calibrated=false`;
    const flakySpec = { name: 'flaky', base: { ...base, training: { epochs: 3, batchSize: 40 }, device: { pool: 'lab', id: 'flaky' } }, checkpointEveryEpochs: 1 };
    const plan = planSweep(flakySpec);
    const trial = plan.trials[0]!;
    const w = new Service('worker-flaky', workerEnv('worker-flaky', [{ pool: 'lab', id: 'flaky', address }], { TRIAL_ENGINE_MODULE: join(root, 'test/support/flaky-device-engine.ts') }));
    services.push(w);
    await w.waitFor((l) => l.msg === 'ready', 150_000);
    const trials = createTrialQueue({ connection: redis, prefix });
    await trials.add('trial', trialPayload('sweep-flaky', plan.spec, trial), trialJobOptions(trial.trialId, plan.spec));
    // 3 device runs per epoch (2 minibatches, 1 validation batch): the device goes away in epoch 2
    await w.waitFor((l) => l.msg === 'trial waiting for device' && l.device === 'lab/flaky' && String(l.reason).includes('gone (connection lost)'), 150_000);
    expect(await new DeviceLeases(redis, prefix).holder({ pool: 'lab', id: 'flaky' })).toBeNull();
    writeFileSync(up, 'up');
    try {
      const results = new Queue('results', { connection: redis, prefix });
      let done: Extract<ResultsMessage, { kind: 'trial-finished' }>[] = [];
      for (let i = 0; i < 3000 && done.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        done = (await results.getJobs(['waiting', 'active', 'completed', 'delayed']))
          .map((j) => j.data as ResultsMessage)
          .filter((m): m is Extract<ResultsMessage, { kind: 'trial-finished' }> => m.kind === 'trial-finished' && m.result.trialId === trial.trialId);
      }
      expect(done).toHaveLength(1);
      const resumed = w.lines.filter((l) => l.msg === 'trial started' && l.trialId === trial.trialId).map((l) => l.resumedFrom);
      expect(resumed).toEqual([0, 1]);
      const strip = (r: TrialResult) => ({ ...r, trialId: '', config: {}, wallTimeMs: 0, epochs: r.epochs.map((e) => ({ ...e, wallTimeMs: 0 })) });
      const uninterrupted = await runTrial(parseTrialConfig({ ...flakySpec.base, device: undefined, chip: { mismatchSeed: 3, calibrated: false } }));
      expect(strip(done[0]!.result)).toEqual(strip(uninterrupted));
      await results.close();
    } finally {
      if (existsSync(up)) rmSync(up);
      await trials.close();
    }
  }, 400_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTrialConfig, trialIdOf, type ResultsMessage, type TrialResult } from '../contracts/index.ts';
import { MemoryCheckpointStore } from './checkpoints.ts';
import { MemoryRungStore } from './early-stopping.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpikeSweepError } from '../contracts/index.ts';
import { TrialPool, TrialRunError } from './pool.ts';
import { runTrialAttempt, type TrialAttempt } from './run-trial.ts';

const engineModule = new URL('./noop-engine.ts', import.meta.url).href;
const trialOf = (seed: number, epochs = 6) => {
  const config = parseTrialConfig({ method: 'surrogate', seed, training: { epochs } });
  return { trialId: trialIdOf(config), config };
};

function attempt(overrides: Partial<TrialAttempt> & { log: ResultsMessage[] }): TrialAttempt {
  return {
    sweepId: 's',
    workerId: 'w',
    attempt: 1,
    lastAttempt: true,
    checkpointEveryEpochs: 2,
    earlyStopping: { kind: 'none' },
    publish: async (m) => void overrides.log.push(m),
    checkpoints: new MemoryCheckpointStore(),
    rungs: new MemoryRungStore(),
    releaseRequested: () => false,
    ...overrides,
  };
}

describe('TrialPool with runTrialAttempt', () => {
  const pool = new TrialPool({ size: 2, engineModule });
  beforeAll(() => pool.start());
  afterAll(() => pool.close());

  it('runs trials on threads and reports started, every epoch, finished', async () => {
    const log: ResultsMessage[] = [];
    const trials = [trialOf(1), trialOf(2), trialOf(3)];
    const outcomes = await Promise.all(trials.map((t) => runTrialAttempt(pool, t, attempt({ log }))));
    for (const [i, { outcome }] of outcomes.entries()) {
      expect(outcome.kind).toBe('finished');
      if (outcome.kind === 'finished') {
        expect(outcome.result.trialId).toBe(trials[i]?.trialId);
        expect(outcome.result.epochs).toHaveLength(6);
      }
    }
    expect(log.filter((m) => m.kind === 'trial-started')).toHaveLength(3);
    expect(log.filter((m) => m.kind === 'trial-epoch')).toHaveLength(18);
    expect(log.filter((m) => m.kind === 'trial-finished')).toHaveLength(3);
  });

  it('a released trial resumes from its checkpoint with the same result as a straight run', async () => {
    const trial = trialOf(4);
    const straight = await runTrialAttempt(pool, trial, attempt({ log: [] }));
    const checkpoints = new MemoryCheckpointStore();
    let epochs = 0;
    const log: ResultsMessage[] = [];
    const first = await runTrialAttempt(pool, trial, attempt({ log, checkpoints, releaseRequested: () => ++epochs >= 3 }));
    expect(first.outcome.kind).toBe('released');
    expect((await checkpoints.load(trial.trialId))?.epochsDone).toBe(3);
    const second = await runTrialAttempt(pool, trial, attempt({ log, checkpoints, attempt: 2 }));
    expect(second.resumedFrom).toBe(3);
    expect(log.filter((m) => m.kind === 'trial-epoch')).toHaveLength(6); // no epoch run twice
    expect(second.outcome.kind === 'finished' && second.outcome.result).toEqual(straight.outcome.kind === 'finished' && straight.outcome.result);
    expect(await checkpoints.load(trial.trialId)).toBeNull();
  });

  it('prunes at an ASHA rung and reports status pruned', async () => {
    const rungs = new MemoryRungStore();
    await rungs.record('s', 1, 'better', 1);
    const log: ResultsMessage[] = [];
    const { outcome } = await runTrialAttempt(pool, trialOf(5, 9), attempt({ log, rungs, earlyStopping: { kind: 'asha', minEpochs: 1, reductionFactor: 3 } }));
    const result = outcome.kind === 'finished' ? (outcome.result as TrialResult) : null;
    expect(result?.status).toBe('pruned');
    expect(result?.epochs).toHaveLength(1);
  });
});

describe('TrialPool when a thread crashes', () => {
  it('fails the trial with spikesweep:thread-crashed, and says so when no thread can be started again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spikesweep-crash-'));
    process.env.CRASHING_ENGINE_FLAG = join(dir, 'crashed');
    const broken: SpikeSweepError[] = [];
    const pool = new TrialPool({
      size: 1,
      engineModule: new URL('./testing/crashing-engine.ts', import.meta.url).href,
      respawnDelayMs: 10,
      onBroken: (e) => broken.push(e),
    });
    try {
      await pool.start();
      const crash = await pool.run(trialOf(1).config, { checkpoint: null, checkpointEveryEpochs: 2 }, async () => 'continue').catch((e: unknown) => e);
      expect(crash).toBeInstanceOf(TrialRunError);
      expect(crash).toMatchObject({ code: 'spikesweep:thread-crashed', retryable: true });
      expect(String((crash as Error).message)).toMatch(/exited with code 7/);
      const deadline = Date.now() + 60_000;
      while (broken.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(broken).toHaveLength(1);
      expect(broken[0]!.message).toMatch(/cannot replace a crashed thread after 3 attempts \(0 of 1 threads left\)/);
      // no thread left: a trial is refused at once instead of waiting forever
      await expect(pool.run(trialOf(2).config, { checkpoint: null, checkpointEveryEpochs: 2 }, async () => 'continue')).rejects.toMatchObject({
        code: 'spikesweep:thread-crashed',
      });
    } finally {
      delete process.env.CRASHING_ENGINE_FLAG;
      await pool.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEmbeddedStore } from '../store/index.ts';
import { runSweepEmbedded } from './embedded.ts';

const engineModule = new URL('./noop-engine.ts', import.meta.url).href;
const spec = {
  name: 'embedded-test',
  base: { method: 'surrogate', training: { epochs: 4 } },
  axes: { seed: { range: [0, 3] }, 'chip.mismatchSeed': [0, 1] },
};

describe('runSweepEmbedded', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('runs every trial once, persists, and a second run resumes with nothing to do', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spikesweep-embedded-'));
    dirs.push(dir);
    const open = () => createEmbeddedStore({ dir: join(dir, 'store') });
    const store = await open();
    const first = await runSweepEmbedded({ spec, store, workers: 2, checkpointDir: join(dir, 'checkpoints'), engineModule });
    await store.close();
    expect(first.executed).toBe(6);
    expect(first.unfinished).toBe(0);
    expect(first.results.map((r) => r.trialId)).toEqual(first.plan.trials.map((t) => t.trialId));
    expect(first.results.every((r) => r.status === 'completed' && r.epochs.length === 4)).toBe(true);

    const reopened = await open();
    const second = await runSweepEmbedded({ spec, store: reopened, workers: 2, checkpointDir: join(dir, 'checkpoints'), engineModule });
    expect(second.executed).toBe(0);
    expect(second.plan.sweepId).toBe(first.plan.sweepId);
    expect(second.results).toEqual(first.results);
    const summary = await reopened.getSummary(first.plan.sweepId);
    expect(summary.planned).toBe(6);
    expect(summary.byStatus.completed).toBe(6);
    await reopened.close();
  });

  it('stops between epochs when asked, and the next run finishes only what is left', async () => {
    const store = await createEmbeddedStore();
    const checkpointDir = await mkdtemp(join(tmpdir(), 'spikesweep-ckpt-'));
    dirs.push(checkpointDir);
    let epochs = 0;
    const stopped = await runSweepEmbedded({
      spec,
      store,
      workers: 1,
      checkpointDir,
      engineModule,
      onProgress: (p) => (epochs = p.epochsRun),
      shouldStop: () => epochs >= 6,
    });
    expect(stopped.executed).toBe(1);
    expect(stopped.unfinished).toBe(5);
    const rest = await runSweepEmbedded({ spec, store, workers: 2, checkpointDir, engineModule });
    expect(rest.executed).toBe(5);
    expect(rest.unfinished).toBe(0);
    expect(rest.results.every((r) => r.epochs.length === 4 && r.epochs.every((e, i) => e.epoch === i + 1))).toBe(true);
    await store.close();
  });
});

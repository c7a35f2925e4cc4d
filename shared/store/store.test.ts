import { mkdtempSync, rmSync, readdirSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEmbeddedStore } from './index.ts';
import { Store as StoreClass } from './store.ts';
import { openEmbeddedDatabase } from './embedded-database.ts';
import type { Database, DocCollection, UpdateOp } from './collection.ts';
import { syntheticSweep } from './synthetic.ts';
import { differences, referenceSummary, summaryAsReference } from './testing/reference.ts';
import type { Store } from './store.ts';
import type { ResultsMessage } from '../contracts/index.ts';

const at = '2026-01-01T00:00:00.000Z';
const small = () => syntheticSweep({ sweepId: 'sw-unit', seed: 7, learningRates: [0.001, 0.002], betas: [50, 100], trainingSeeds: 2, chips: 2, epochs: 8 });

async function load(store: Store, data: ReturnType<typeof small>): Promise<void> {
  await store.apply({ kind: 'sweep-registered', sweep: data.sweep });
  for (const result of data.results) await store.apply({ kind: 'trial-finished', result, at });
}

describe('embedded store', () => {
  it('summary equals a recomputation from the raw trials', async () => {
    const data = small();
    const store = await createEmbeddedStore();
    await load(store, data);
    const summary = await store.getSummary('sw-unit');
    expect(summary.planned).toBe(data.results.length);
    expect(summary.byStatus.completed + summary.byStatus.failed + summary.byStatus.diverged).toBe(data.results.length);
    expect(summary.groups).toHaveLength(9);
    expect(differences(summaryAsReference(summary), referenceSummary(data.sweep, data.results))).toEqual([]);
    await store.close();
  });

  it('is idempotent: duplicates, replays in any order, and a rebuild give the same numbers', async () => {
    const data = small();
    const once = await createEmbeddedStore();
    await load(once, data);
    const expected = summaryAsReference(await once.getSummary('sw-unit'));

    const twice = await createEmbeddedStore();
    // results before the sweep is known, then the registration, then everything again
    for (const result of data.results.slice(0, 20)) await twice.apply({ kind: 'trial-finished', result, at });
    await load(twice, data);
    await load(twice, data);
    expect(differences(summaryAsReference(await twice.getSummary('sw-unit')), expected)).toEqual([]);

    await twice.rebuildSummaries('sw-unit');
    expect(differences(summaryAsReference(await twice.getSummary('sw-unit')), expected)).toEqual([]);
  });

  it('applyMany in batches (progress, duplicates, results before the registration) ends as one-by-one apply', async () => {
    const data = small();
    const expected = referenceSummary(data.sweep, data.results);
    const store = await createEmbeddedStore();
    const messages: ResultsMessage[] = [];
    for (const r of data.results) {
      messages.push({ kind: 'trial-started', trialId: r.trialId, workerId: 'w', attempt: 1, at });
      for (const e of r.epochs) messages.push({ kind: 'trial-epoch', trialId: r.trialId, metrics: e, at });
      messages.push({ kind: 'trial-finished', result: r, at });
    }
    // a third of the results arrive before the registration, every result twice
    const early = messages.slice(0, Math.floor(messages.length / 3));
    const rest = [...messages.slice(early.length), ...messages.filter((m) => m.kind === 'trial-finished')];
    await store.applyMany(early);
    await store.applyMany([{ kind: 'sweep-registered', sweep: data.sweep }]);
    for (let i = 0; i < rest.length; i += 37) await store.applyMany(rest.slice(i, i + 37));
    const summary = await store.getSummary('sw-unit');
    expect(differences(summaryAsReference(summary), expected)).toEqual([]);
    expect(summary.byStatus.running).toBe(0);
    expect(summary.byStatus.pending).toBe(0);
    const page = await store.listTrials('sw-unit', { limit: 1000, fields: ['status', 'attempt', 'epochsDone'] });
    expect(page.total).toBe(data.results.length);
    expect(page.trials.every((t) => t.status !== 'running' && t.status !== 'pending' && t.attempt === 1)).toBe(true);
    await store.close();
  });

  it('a crash in the middle of the summary writes is completed by the replay, nothing counted twice', async () => {
    const data = small();
    const expected = referenceSummary(data.sweep, data.results);
    const inner = openEmbeddedDatabase();
    let budget = Infinity;
    // Applies only the first half of a summary bulk write and then "dies", once budget runs out.
    const faulty: Database = {
      ...inner,
      ping: () => inner.ping(),
      close: () => inner.close(),
      collection(name: string): DocCollection {
        const c = inner.collection(name);
        if (name !== 'summaries') return c;
        return Object.assign(Object.create(c) as DocCollection, {
          bulkUpdate: async (ops: readonly UpdateOp[]) => {
            if (budget-- > 0) return c.bulkUpdate(ops);
            await c.bulkUpdate(ops.slice(0, Math.ceil(ops.length / 2)));
            throw new Error('simulated crash');
          },
        });
      },
    };
    const store = new StoreClass(faulty);
    await store.init();
    await store.apply({ kind: 'sweep-registered', sweep: data.sweep });
    for (const [i, result] of data.results.entries()) {
      budget = i % 3 === 0 ? 0 : Infinity;
      if (i % 3 === 0) await expect(store.apply({ kind: 'trial-finished', result, at })).rejects.toThrow('simulated crash');
      budget = Infinity;
      await store.apply({ kind: 'trial-finished', result, at });
    }
    expect(differences(summaryAsReference(await store.getSummary('sw-unit')), expected)).toEqual([]);
  });

  it('a changed result replaces a failed trial and the summary follows', async () => {
    const data = small();
    const store = await createEmbeddedStore();
    await load(store, data);
    const failed = data.results.find((r) => r.status !== 'completed');
    const done = data.results.find((r) => r.status === 'completed' && r.config.method === failed?.config.method && r.config.mode === failed?.config.mode);
    expect(failed && done).toBeTruthy();
    const rerun = { ...done!, trialId: failed!.trialId, config: failed!.config };
    await store.apply({ kind: 'trial-finished', result: rerun, at });
    const results = data.results.map((r) => (r.trialId === rerun.trialId ? rerun : r));
    expect(differences(summaryAsReference(await store.getSummary('sw-unit')), referenceSummary(data.sweep, results))).toEqual([]);
    // and a completed result is not replaced by a later failure
    await store.apply({ kind: 'trial-finished', result: failed!, at });
    expect(differences(summaryAsReference(await store.getSummary('sw-unit')), referenceSummary(data.sweep, results))).toEqual([]);
  });

  it('persists to a directory and survives a torn last log line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spikesweep-store-'));
    try {
      const data = small();
      const a = await createEmbeddedStore({ dir });
      await load(a, data);
      const expected = summaryAsReference(await a.getSummary('sw-unit'));
      // no close(): the log alone must restore everything; a torn write is dropped
      const log = readdirSync(dir).find((f) => f.startsWith('log-'))!;
      appendFileSync(join(dir, log), '{"c":"trials","op":"bu');
      const b = await createEmbeddedStore({ dir });
      expect(differences(summaryAsReference(await b.getSummary('sw-unit')), expected)).toEqual([]);
      await b.close();
      await b.close();
      const c = await createEmbeddedStore({ dir });
      expect(readdirSync(dir)).toContain('snapshot.json');
      expect(readdirSync(dir)).not.toContain('log-0.jsonl');
      expect(differences(summaryAsReference(await c.getSummary('sw-unit')), expected)).toEqual([]);
      expect((await c.getResults([data.results[0]!.trialId]))[0]).toEqual(data.results[0]);
      await c.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a follower opened on the directory sees the writer\'s appends and its compaction', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spikesweep-follow-'));
    try {
      const data = small();
      const writer = await createEmbeddedStore({ dir });
      await writer.apply({ kind: 'sweep-registered', sweep: data.sweep });
      const reader = await createEmbeddedStore({ dir, follow: true });
      expect((await reader.getSummary('sw-unit')).byStatus.completed).toBe(0);
      for (const result of data.results.slice(0, 10)) await writer.apply({ kind: 'trial-finished', result, at });
      const completed = data.results.slice(0, 10).filter((r) => r.status === 'completed').length;
      expect((await reader.getSummary('sw-unit')).byStatus.completed).toBe(completed);
      await writer.close(); // compaction: snapshot + new log generation
      expect((await reader.getSummary('sw-unit')).byStatus.completed).toBe(completed);
      await expect(reader.apply({ kind: 'sweep-status', sweepId: 'sw-unit', status: 'completed', at })).rejects.toThrow(/read-only/);
      await reader.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tracks progress messages and pages, filters and sorts trials', async () => {
    const data = small();
    const store = await createEmbeddedStore();
    await store.apply({ kind: 'sweep-registered', sweep: data.sweep });
    const [first, second] = data.results;
    const started: ResultsMessage = { kind: 'trial-started', trialId: first!.trialId, workerId: 'w1', attempt: 1, at };
    await store.apply(started);
    await store.apply({ kind: 'trial-epoch', trialId: first!.trialId, metrics: first!.epochs[0]!, at });
    let page = await store.listTrials('sw-unit', { status: 'running' });
    expect(page.total).toBe(1);
    expect(page.trials[0]).toMatchObject({ trialId: first!.trialId, epochsDone: 1, workerId: 'w1', attempt: 1 });
    expect((await store.getSummary('sw-unit')).byStatus).toMatchObject({ running: 1, pending: data.results.length - 1, completed: 0 });
    await store.apply({ kind: 'trial-finished', result: first!, at });
    await store.apply(started); // late duplicate: a finished trial stays finished
    expect((await store.getSummary('sw-unit')).byStatus.running).toBe(0);
    await store.apply({ kind: 'trial-finished', result: second!, at });
    page = await store.listTrials('sw-unit', { status: ['completed', 'failed', 'diverged'], sort: { field: 'testAccuracy', direction: 'desc' } });
    expect(page.total).toBe(2);
    expect(page.trials.map((t) => t.trialId)).toEqual(
      [first!, second!].sort((a, b) => (b.testAccuracy ?? -1) - (a.testAccuracy ?? -1)).map((r) => r.trialId),
    );
    page = await store.listTrials('sw-unit', { offset: 10, limit: 5, fields: ['status'] });
    expect(page.total).toBe(data.results.length);
    expect(page.trials).toHaveLength(5);
    expect(Object.keys(page.trials[0]!).sort()).toEqual(['status', 'trialId']);
    const [curve] = await store.getCurves([first!.trialId]);
    expect(curve?.epochs).toEqual(first!.epochs);
    await expect(store.apply({ kind: 'trial-epoch', trialId: 'x', metrics: { epoch: 0 }, at } as never)).rejects.toMatchObject({
      code: 'spikesweep:invalid-input',
    });
  });
});

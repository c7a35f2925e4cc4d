/**
 * Load benchmark of the distributed platform: N no-op trials (default 10,000, one epoch each)
 * through `spikesweep serve --workers W` on a PRIVATE Redis and FerretDB (own ports and data
 * under .data/, removed afterwards). Prints: submit time, Redis peak memory, ingestion rate
 * (results written to FerretDB per second, from the first to the last), the summary and
 * progress latency measured while the sweep ingests (goal < 1 s), and whether every result
 * was written exactly once.
 *
 *   npx tsx bench/load-10k.ts [--trials 10000] [--workers 2]
 *
 * It is real load (every process of the platform plus FerretDB); on a shared machine say so
 * next to the numbers.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { freePort, privateFerretDb, privateRedis } from '../test/support/private-services.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const trials = arg('trials', 10_000);
const workers = arg('workers', 2);
const TOKEN = 'bench-load-token-0123456789';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

mkdirSync(path.join(root, '.data'), { recursive: true });
const dataDir = mkdtempSync(path.join(root, '.data', 'bench-load-'));
const redisServer = await privateRedis(path.join(dataDir, 'redis'));
const ferret = await privateFerretDb(path.join(dataDir, 'ferretdb'));
await redisServer.start();
await ferret.start();
const schedulerPort = await freePort();
const resultsPort = await freePort();
const serve = spawn(process.execPath, ['bin/spikesweep.js', 'serve', '--workers', String(workers), '--port', String(schedulerPort), '--mongo-db', 'bench', '--queue-prefix', 'bench'], {
  cwd: root,
  env: {
    ...process.env,
    REDIS_URL: `redis://127.0.0.1:${redisServer.port}`,
    MONGO_URL: `mongodb://127.0.0.1:${ferret.port}`,
    RESULTS_PORT: String(resultsPort),
    SPIKESWEEP_API_TOKEN: TOKEN,
    TRIAL_ENGINE_MODULE: path.join(root, 'shared/sweep/noop-engine.ts'),
    NOOP_ENGINE_EPOCH_MS: '0',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const redis = new Redis(`redis://127.0.0.1:${redisServer.port}`);
const mongo = new MongoClient(`mongodb://127.0.0.1:${ferret.port}`);

try {
  for (;;) {
    const ok = await Promise.all([schedulerPort, resultsPort].map((p) => fetch(`http://127.0.0.1:${p}/readyz`).then((r) => r.status === 200, () => false)));
    if (ok.every(Boolean)) break;
    await sleep(250);
  }
  const spec = { name: `load-${trials}`, base: { method: 'surrogate', training: { epochs: 1 } }, axes: { seed: { range: [0, trials] } } };
  const t0 = performance.now();
  const res = await fetch(`http://127.0.0.1:${schedulerPort}/api/sweeps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(spec),
  });
  const submitMs = performance.now() - t0;
  const submitted = (await res.json()) as { sweepId: string; enqueued: number };
  if (res.status >= 300) throw new Error(`submit failed: ${res.status} ${JSON.stringify(submitted)}`);
  console.error(`submitted ${submitted.enqueued} trials in ${submitMs.toFixed(0)} ms`);

  const summaryMs: number[] = [];
  const progressMs: number[] = [];
  let first: { at: number; n: number } | null = null;
  let last = { at: 0, n: 0 };
  const deadline = Date.now() + 60 * 60_000;
  for (;;) {
    const s0 = performance.now();
    const summary = (await (await fetch(`http://127.0.0.1:${resultsPort}/api/sweeps/${submitted.sweepId}/summary`)).json()) as { byStatus?: Record<string, number> };
    const s1 = performance.now();
    await fetch(`http://127.0.0.1:${schedulerPort}/api/sweeps/${submitted.sweepId}`);
    const s2 = performance.now();
    const n = (summary.byStatus?.completed ?? 0) + (summary.byStatus?.failed ?? 0) + (summary.byStatus?.diverged ?? 0) + (summary.byStatus?.pruned ?? 0);
    if (n > 0 && n < trials) {
      summaryMs.push(s1 - s0);
      progressMs.push(s2 - s1);
    }
    if (n > 0 && first === null) first = { at: performance.now(), n };
    if (n > last.n) last = { at: performance.now(), n };
    if (n >= trials || Date.now() > deadline) break;
    process.stderr.write(`\r${n} / ${trials} results written`);
    await sleep(1000);
  }
  process.stderr.write('\n');
  const info = await redis.info('memory');
  const peak = /used_memory_peak_human:(\S+)/.exec(info)?.[1] ?? '?';
  const docs = await mongo.db('bench').collection('trials').countDocuments({ sweepIds: submitted.sweepId, status: 'completed' });
  const final = (await (await fetch(`http://127.0.0.1:${resultsPort}/api/sweeps/${submitted.sweepId}/summary`)).json()) as {
    byStatus: Record<string, number>;
    groups: { finished: number }[];
  };
  const counted = final.groups.reduce((a, g) => a + g.finished, 0);
  const rate = first && last.at > first.at ? (last.n - first.n) / ((last.at - first.at) / 1000) : NaN;
  const rows: [string, string][] = [
    ['trials', String(trials)],
    ['workers', String(workers)],
    ['submit time', `${(submitMs / 1000).toFixed(2)} s`],
    ['Redis peak memory', peak],
    ['ingestion rate (FerretDB)', `${rate.toFixed(0)} results/s`],
    ['summary latency during ingestion', `p50 ${quantile(summaryMs, 0.5).toFixed(0)} ms, p95 ${quantile(summaryMs, 0.95).toFixed(0)} ms, max ${Math.max(...summaryMs).toFixed(0)} ms (${summaryMs.length} requests)`],
    ['progress latency during ingestion', `p50 ${quantile(progressMs, 0.5).toFixed(0)} ms, p95 ${quantile(progressMs, 0.95).toFixed(0)} ms, max ${Math.max(...progressMs).toFixed(0)} ms`],
    ['written once', `${docs} trial documents completed, ${counted} counted in the summary, of ${trials}: ${docs === trials && counted === trials ? 'yes' : 'NO'}`],
  ];
  for (const [k, v] of rows) console.log(`${k.padEnd(34)} ${v}`);
} finally {
  serve.kill('SIGTERM');
  await new Promise((r) => serve.once('exit', r));
  await redis.quit().catch(() => undefined);
  await mongo.close();
  await ferret.stop();
  await redisServer.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

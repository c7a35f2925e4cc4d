import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import { z } from 'zod';
import { NotFoundError } from '../contracts/index.ts';
import { parseOrThrow } from '../contracts/validate.ts';
import { authGuard, errorHandler, healthRoutes, notFound, secureApp, type AccessPolicy } from '../http/index.ts';
import type { Logger } from '../process/index.ts';
import type { ResultStore, TrialQuery, TrialRow } from '../store/index.ts';
import { compareSweeps, estimateSweepCost } from '../analysis/index.ts';
import { readAnalyzedSummary } from './analyzed-summary.ts';
import type { DeviceStatus } from '../queue/devices.ts';

/**
 * The results service's HTTP API and dashboard (express 5: async handlers' errors reach the
 * error handler). Everything the dashboard shows is aggregated on the server; lists are paged.
 *
 *   GET /api/sweeps?offset&limit                    sweep list
 *   GET /api/sweeps/:id                             the sweep (without its planned trials)
 *   GET /api/sweeps/:id/summary                     all aggregates with their analysis (AnalyzedSummary:
 *                                                   warnings first, recommendation with confidence, named
 *                                                   spreads, paired comparisons, importance, Pareto front)
 *   GET /api/sweeps/:id/estimate                    cost model: trials, CPU and chip time, planned and left
 *   GET /api/compare?sweeps=a,b[,…]                 two or more sweeps side by side (SweepComparison)
 *   GET /api/sweeps/:id/trials?status&method&mode&sort=field:asc|desc&offset&limit&fields=a,b
 *   GET /api/sweeps/:id/curves?trialIds=a,b         per-trial learning curves (≤ 100 ids)
 *   GET /api/sweeps/:id/curve-bands                 mean ± sd validation accuracy per epoch and group
 *   GET /api/sweeps/:id/parallel?limit              the best completed trials on the swept axes
 *   GET /api/sweeps/:id/export.json | export.csv    every trial, streamed page by page
 *   GET /healthz, /readyz                           alive; MongoDB (and Redis) reachable
 *
 * Access (token for reads when configured, Host allow-list, headers, CORS) as in
 * shared/http/security.ts. Errors are JSON `{error: {code, message, issues: [{path, message}]}}`:
 * 400 for bad query parameters, 401 without a needed token, 403 for a foreign Host, 404 for an
 * unknown sweep or route, 503 when the database cannot be reached.
 */

const STATUSES = ['pending', 'running', 'completed', 'failed', 'diverged', 'pruned'] as const;
const SORT_FIELDS = ['testAccuracy', 'validationAccuracy', 'wallTimeMs', 'hardwareTimeMs', 'energyJ', 'finishedAt', 'trialId', 'seed', 'mismatchSeed'] as const;
const ROW_FIELDS = ['sweepIds', 'method', 'mode', 'seed', 'mismatchSeed', 'config', 'status', 'attempt', 'workerId', 'startedAt', 'heartbeatAt', 'finishedAt', 'epochsDone', 'lastValidationAccuracy', 'result'] as const;

/** A comma-separated query parameter as a list. */
const csv = () => z.string().transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x !== ''));

const Paging = z
  .object({
    offset: z.coerce.number().int().min(0).default(0),
    limit: z.coerce.number().int().min(1).max(1000).default(50),
  })
  .strict();

export const TrialsQuery = z
  .object({
    status: csv().pipe(z.array(z.enum(STATUSES))).optional(),
    method: z.string().min(1).optional(),
    mode: z.string().min(1).optional(),
    sort: z
      .string()
      .regex(/^[A-Za-z]+(:(asc|desc))?$/, 'expected field or field:asc|desc')
      .transform((s) => {
        const [field, direction = 'asc'] = s.split(':');
        return { field, direction };
      })
      .pipe(z.object({ field: z.enum(SORT_FIELDS), direction: z.enum(['asc', 'desc']) }))
      .optional(),
    fields: csv().pipe(z.array(z.enum(ROW_FIELDS))).optional(),
    offset: Paging.shape.offset,
    limit: Paging.shape.limit,
  })
  .strict();

const CompareQuery = z.object({ sweeps: csv().pipe(z.array(z.string().min(1)).min(2, 'give at least two sweep ids').max(8)) }).strict();
const CurvesQuery = z.object({ trialIds: csv().pipe(z.array(z.string()).min(1).max(100)) }).strict();
const ParallelQuery = z.object({ limit: z.coerce.number().int().min(1).max(2000).default(500) }).strict();

function query<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  return parseOrThrow(schema, input, 'spikesweep:invalid-input', 'query');
}

const echartsFile = join(dirname(createRequire(import.meta.url).resolve('echarts/package.json')), 'dist', 'echarts.min.js');
const dashboardDir = join(dirname(fileURLToPath(import.meta.url)), 'dashboard');

export function createResultsApp(
  store: ResultStore,
  options: {
    readiness: Record<string, () => Promise<boolean>>;
    access: AccessPolicy;
    pollMs?: number;
    log?: Logger;
    /** Registered physical devices with holder and utilisation (shared/queue/devices.ts); absent = none. */
    devices?: () => Promise<readonly DeviceStatus[]>;
  },
): Express {
  const app = express();
  app.disable('x-powered-by');
  healthRoutes(app, options.readiness);
  secureApp(app, options.access);
  const api = express.Router();
  // Read-only API: a token is needed when read access is `token` (the dashboard's files stay public).
  api.use(authGuard(options.access));

  const sweepOr404 = async (sweepId: string) => {
    const sweep = await store.getSweep(sweepId);
    if (!sweep) throw new NotFoundError(`no sweep '${sweepId}'`);
    return sweep;
  };

  api.get('/config', (_req, res) => {
    res.json({ pollMs: options.pollMs ?? 5000 });
  });
  api.get('/devices', async (_req, res) => {
    res.json({ devices: options.devices ? await options.devices() : [] });
  });
  api.get('/sweeps', async (req, res) => {
    const { offset, limit } = query(Paging, req.query);
    res.json({ offset, limit, sweeps: await store.listSweeps({ offset, limit }) });
  });
  api.get('/sweeps/:id', async (req, res) => {
    const { trials, ...sweep } = await sweepOr404(req.params.id);
    res.json({ ...sweep, planned: trials.length });
  });
  api.get('/sweeps/:id/summary', async (req, res) => {
    await sweepOr404(req.params.id);
    res.json(await readAnalyzedSummary(store, req.params.id));
  });
  api.get('/sweeps/:id/estimate', async (req, res) => {
    const sweep = await sweepOr404(req.params.id);
    const outcomes = await store.getOutcomes(req.params.id);
    const done = new Set(outcomes.filter((t) => t.status !== 'pending' && t.status !== 'running').map((t) => t.trialId));
    res.json({
      planned: estimateSweepCost(sweep.trials),
      left: estimateSweepCost(sweep.trials.filter((t) => !done.has(t.trialId))),
    });
  });
  api.get('/compare', async (req, res) => {
    const { sweeps } = query(CompareQuery, req.query);
    for (const id of sweeps) await sweepOr404(id);
    const read = await Promise.all(
      sweeps.map(async (id) => {
        const [summary, outcomes] = await Promise.all([readAnalyzedSummary(store, id), store.getOutcomes(id)]);
        return { summary, outcomes, recommendation: summary.recommendation };
      }),
    );
    res.json(compareSweeps(read));
  });
  api.get('/sweeps/:id/field', async (req, res) => {
    await sweepOr404(req.params.id);
    res.json(await store.getFieldSummary(req.params.id));
  });
  api.get('/sweeps/:id/trials', async (req, res) => {
    const q = query(TrialsQuery, req.query);
    res.json(await store.listTrials(req.params.id, q as TrialQuery));
  });
  api.get('/sweeps/:id/curves', async (req, res) => {
    const { trialIds } = query(CurvesQuery, req.query);
    res.json({ curves: await store.getCurves(trialIds) });
  });
  api.get('/sweeps/:id/curve-bands', async (req, res) => {
    res.json({ bands: await store.getCurveBands(req.params.id) });
  });
  api.get('/sweeps/:id/parallel', async (req, res) => {
    const { limit } = query(ParallelQuery, req.query);
    const sweep = await sweepOr404(req.params.id);
    const axes = sweep.axes.filter((a) => a !== 'method' && a !== 'mode');
    const page = await store.listTrials(req.params.id, {
      status: 'completed',
      sort: { field: 'testAccuracy', direction: 'desc' },
      limit,
      fields: ['method', 'mode', 'config', 'result'],
    });
    const rows = page.trials.map((t) => ({
      method: t.method,
      mode: t.mode,
      values: axes.map((a) => valueAt(t.config, a) ?? null),
      testAccuracy: t.result?.testAccuracy ?? null,
    }));
    res.json({ axes, total: page.total, rows });
  });
  api.get('/sweeps/:id/export.json', async (req, res) => {
    await sweepOr404(req.params.id);
    res.type('application/json').attachment(`${req.params.id}-trials.json`);
    res.write('[');
    let first = true;
    await forEachTrial(store, req.params.id, (t) => {
      res.write(`${first ? '' : ',\n'}${JSON.stringify(t)}`);
      first = false;
    });
    res.end(']\n');
  });
  api.get('/sweeps/:id/export.csv', async (req, res) => {
    const sweep = await sweepOr404(req.params.id);
    res.type('text/csv').attachment(`${req.params.id}-trials.csv`);
    const axes = sweep.axes.filter((a) => a !== 'method' && a !== 'mode');
    const columns = ['trialId', 'method', 'mode', ...axes, 'status', 'testAccuracy', 'validationAccuracy', 'bestEpoch', 'epochsDone', 'wallTimeMs', 'hardwareTimeMs', 'energyJ', 'chipRuns', 'readoutBytesPerSample', 'error'];
    res.write(`${columns.map(csvCell).join(',')}\n`);
    await forEachTrial(store, req.params.id, (t) => {
      const r = t.result;
      const row = [t.trialId, t.method, t.mode, ...axes.map((a) => valueAt(t.config, a)), t.status, r?.testAccuracy, r?.validationAccuracy, r?.bestEpoch, t.epochsDone, r?.wallTimeMs, r?.hardwareTimeMs, r?.energyJ, r?.chipRuns, r?.readoutBytesPerSample, r?.error];
      res.write(`${row.map(csvCell).join(',')}\n`);
    });
    res.end();
  });
  app.use('/api', api);
  app.use('/api', (_req, res) => notFound(res));

  app.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });
  app.get('/vendor/echarts.min.js', (_req, res) => {
    res.sendFile(echartsFile, { maxAge: '1h' });
  });
  app.use(express.static(dashboardDir, { index: 'index.html' }));
  app.use((_req, res) => notFound(res));
  app.use(errorHandler(options.log));
  return app;
}

async function forEachTrial(store: ResultStore, sweepId: string, each: (t: Partial<TrialRow>) => void): Promise<void> {
  const limit = 1000;
  for (let offset = 0; ; offset += limit) {
    const page = await store.listTrials(sweepId, { offset, limit, sort: { field: 'trialId', direction: 'asc' } });
    page.trials.forEach(each);
    if (offset + limit >= page.total || page.trials.length === 0) return;
  }
}

function valueAt(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** RFC 4180 cell: quoted when it holds a comma, quote or line break; objects as JSON. */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

import express, { type ErrorRequestHandler, type Express } from 'express';
import { parse as parseYaml } from 'yaml';
import { NotFoundError, SpikeSweepError, ValidationError } from '../../shared/contracts/index.ts';
import { healthRoutes } from '../../shared/sweep/health.ts';
import type { SweepScheduler } from '../../shared/sweep/scheduler.ts';

/**
 * The scheduler's HTTP API (express 5: async handlers' errors reach the error handler).
 * Errors are JSON `{error: {code, message, issues: [{path, message}]}}`: 400 for a bad spec or
 * body, 404 for an unknown sweep, 503 when Redis or MongoDB cannot be reached.
 */
export function createSchedulerApp(
  scheduler: SweepScheduler,
  options: { bodyLimitBytes: number; readiness: Record<string, () => Promise<boolean>> },
): Express {
  const app = express();
  app.disable('x-powered-by');
  healthRoutes(app, options.readiness);
  const api = express.Router();
  api.use(express.json({ limit: options.bodyLimitBytes }));
  api.use(express.text({ type: ['application/yaml', 'application/x-yaml', 'text/yaml'], limit: options.bodyLimitBytes }));

  api.post('/sweeps', async (req, res) => {
    const spec = typeof req.body === 'string' ? parseYamlBody(req.body) : req.body;
    if (spec === undefined || spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
      throw new ValidationError('spikesweep:invalid-spec', [{ path: '', message: 'the body must be a sweep spec object (JSON or YAML)' }]);
    }
    const outcome = await scheduler.submit(spec);
    res
      .status(outcome.created ? 201 : 200)
      .location(`/api/sweeps/${outcome.sweepId}`)
      .json(outcome);
  });
  api.get('/sweeps', async (req, res) => {
    const offset = Math.max(0, Number(req.query.offset ?? 0) || 0);
    const limit = Math.min(500, Math.max(1, Number(req.query.limit ?? 50) || 50));
    res.json({ offset, limit, sweeps: await scheduler.list(offset, limit) });
  });
  api.get('/sweeps/:id', async (req, res) => {
    res.json(await scheduler.progress(req.params.id));
  });
  api.post('/sweeps/:id/cancel', async (req, res) => {
    res.json(await scheduler.cancel(req.params.id));
  });
  api.post('/sweeps/:id/resume', async (req, res) => {
    res.json(await scheduler.resume(req.params.id));
  });
  api.get('/queue', async (_req, res) => {
    res.json(await scheduler.queueDepth());
  });
  app.use('/api', api);
  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'spikesweep:not-found', message: 'no such route', issues: [] } });
  });
  app.use(errorHandler);
  return app;
}

function parseYamlBody(text: string): unknown {
  try {
    return parseYaml(text);
  } catch (error) {
    throw new ValidationError('spikesweep:invalid-input', [{ path: '', message: `not valid YAML: ${(error as Error).message}` }]);
  }
}

const errorHandler: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
  const body = (status: number, code: string, message: string, issues: readonly { path: string; message: string }[] = []) =>
    res.status(status).json({ error: { code, message, issues } });
  if (error instanceof ValidationError) return body(400, error.code, error.message, error.issues);
  if (error instanceof NotFoundError) return body(404, error.code, error.message);
  if (error instanceof SpikeSweepError) {
    const status = error.code === 'spikesweep:service-unavailable' ? 503 : error.code === 'spikesweep:not-implemented' ? 400 : 500;
    return body(status, error.code, error.message);
  }
  const e = error as { type?: string; status?: number; message?: string };
  if (e?.type === 'entity.parse.failed') return body(400, 'spikesweep:invalid-input', 'the body is not valid JSON');
  if (e?.type === 'entity.too.large') return body(413, 'spikesweep:invalid-input', 'the body is too large');
  return body(500, 'spikesweep:internal', 'internal error');
};

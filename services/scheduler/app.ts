import express, { type Express } from 'express';
import type { Redis } from 'ioredis';
import { ValidationError } from '../../shared/contracts/index.ts';
import { authGuard, errorHandler, healthRoutes, notFound, secureApp, submitRateLimit, type AccessPolicy } from '../../shared/http/index.ts';
import type { Logger } from '../../shared/process/index.ts';
import { parseSpecText } from '../../shared/sweep/plan.ts';
import type { SweepScheduler } from '../../shared/sweep/scheduler.ts';

/**
 * The scheduler's HTTP API (express 5: async handlers' errors reach the error handler).
 * Access (token, Host allow-list, headers, CORS, submission rate limit) as in
 * shared/http/security.ts. Errors are JSON `{error: {code, message, issues: [{path, message}]}}`:
 * 400 for a bad spec or body, 401 without a valid token, 403 for a foreign Host, 404 for an
 * unknown sweep, 413 for a body or plan over a limit, 429 over the rate limit, 503 when Redis
 * or MongoDB cannot be reached. A sweep accepted for background planning answers 202.
 */
export function createSchedulerApp(
  scheduler: SweepScheduler,
  options: {
    bodyLimitBytes: number;
    readiness: Record<string, () => Promise<boolean>>;
    access: AccessPolicy;
    /** Shares the rate-limit counts between replicas. */
    redis?: Redis;
    prefix?: string;
    log?: Logger;
  },
): Express {
  const app = express();
  app.disable('x-powered-by');
  healthRoutes(app, options.readiness);
  secureApp(app, options.access);
  const api = express.Router();
  api.post('/sweeps', submitRateLimit(options.access, { redis: options.redis, prefix: options.prefix }));
  api.use(authGuard(options.access));
  api.use(express.json({ limit: options.bodyLimitBytes }));
  api.use(express.text({ type: ['application/yaml', 'application/x-yaml', 'text/yaml'], limit: options.bodyLimitBytes }));

  api.post('/sweeps', async (req, res) => {
    const spec = typeof req.body === 'string' ? parseSpecText(req.body, 'the body') : req.body;
    if (spec === undefined || spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
      throw new ValidationError('spikesweep:invalid-spec', [{ path: '', message: 'the body must be a sweep spec object (JSON or YAML)' }]);
    }
    const outcome = await scheduler.submit(spec);
    res
      .status(outcome.planning ? 202 : outcome.created ? 201 : 200)
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
  app.use((_req, res) => notFound(res));
  app.use(errorHandler(options.log));
  return app;
}

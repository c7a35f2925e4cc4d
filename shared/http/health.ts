import type { Express } from 'express';

/**
 * `/healthz` (the process is alive) and `/readyz` (its dependencies answer), as JSON.
 * `checks` run on every /readyz; any false or throwing check gives 503.
 */
export function healthRoutes(app: Express, checks: Record<string, () => Promise<boolean>>): void {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const results: Record<string, boolean> = {};
    for (const [name, check] of Object.entries(checks)) {
      results[name] = await check().catch(() => false);
    }
    const ready = Object.values(results).every(Boolean);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: results });
  });
}

import type { Server } from 'node:http';
import express, { type Express } from 'express';

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

/** Listens and resolves with the bound port (useful when asked for port 0). */
export function listen(app: Express, port: number, host: string): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => {
      if (error) return reject(error);
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      let closing: Promise<void> | null = null;
      resolve({
        server,
        port: bound,
        close: () =>
          (closing ??= new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          })),
      });
    });
  });
}

export { express };

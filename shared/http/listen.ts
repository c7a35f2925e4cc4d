import type { Server } from 'node:http';
import type { Express } from 'express';

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

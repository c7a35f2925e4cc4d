import type { ErrorRequestHandler, Response } from 'express';
import { coerceError, type ErrorCode, type SpikeSweepError } from '../contracts/index.ts';
import type { Logger } from '../process/logger.ts';

/**
 * The one HTTP error mapping of every SpikeSweep API. Bodies are JSON
 * `{error: {code, message, issues: [{path, message}]}}`; internal details (stacks, connection
 * strings) never leave the process: 5xx are logged with their cause and answered generically,
 * and URLs inside messages are cut to their scheme.
 */
const STATUS: Partial<Record<ErrorCode, number>> = {
  'spikesweep:invalid-config': 400,
  'spikesweep:invalid-spec': 400,
  'spikesweep:invalid-input': 400,
  'spikesweep:not-implemented': 400,
  'spikesweep:unauthorized': 401,
  'spikesweep:forbidden': 403,
  'spikesweep:not-found': 404,
  'spikesweep:too-large': 413,
  'spikesweep:rate-limited': 429,
  'spikesweep:service-unavailable': 503,
};

export function httpStatusOf(error: SpikeSweepError): number {
  return STATUS[error.code] ?? 500;
}

/** `scheme://user:pass@host/…` → `scheme://…`: no connection string in a response. */
export function scrubUrls(message: string): string {
  return message.replace(/\b([a-z][a-z0-9+.-]*):\/\/[^\s'"]+/gi, '$1://…');
}

export function sendError(res: Response, status: number, code: string, message: string, issues: readonly { path: string; message: string }[] = []): void {
  res.status(status).json({ error: { code, message: scrubUrls(message), issues } });
}

export function notFound(res: Response): void {
  sendError(res, 404, 'spikesweep:not-found', 'no such route');
}

/** Express error handler: coerceError, the status from the code, 5xx logged with the cause. */
export function errorHandler(log?: Logger): ErrorRequestHandler {
  return (thrown: unknown, req, res, _next) => {
    const error = coerceError(thrown);
    const status = httpStatusOf(error);
    if (status >= 500) {
      const cause = error.code === 'spikesweep:internal' ? error.cause : error;
      log?.error('request failed', {
        method: req.method,
        path: req.path,
        status,
        code: error.code,
        error: cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause),
        stack: cause instanceof Error ? cause.stack : undefined,
      });
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const issues = 'issues' in error ? (error.issues as { path: string; message: string }[]) : [];
    sendError(res, status, error.code, error.message, issues);
  };
}

import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import cors from 'cors';
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { Redis } from 'ioredis';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { z } from 'zod';
import { ForbiddenError, RateLimitedError, UnauthorizedError } from '../contracts/index.ts';
import { parseOrThrow } from '../contracts/validate.ts';

/**
 * Access control of every SpikeSweep HTTP API, from one env block (AccessEnv):
 *
 * - **Bearer token** (`SPIKESWEEP_API_TOKEN`): every mutating request (any method but GET,
 *   HEAD, OPTIONS) needs `Authorization: Bearer <token>`; reads need it too unless read access
 *   is open. Compared in constant time: both sides are hashed with SHA-256 and the equal-length
 *   digests compared with crypto.timingSafeEqual, so neither the token nor its length leaks
 *   through timing. Without a configured token every mutation is refused (401) — a service
 *   never runs unauthenticated by accident; `spikesweep serve` generates one.
 * - **Read access** (`SPIKESWEEP_READ_ACCESS`): `open` or `token`; default `open` when the
 *   service listens on loopback, `token` otherwise.
 * - **Host allow-list** (`SPIKESWEEP_ALLOWED_HOSTS`, comma-separated host names, `*` = any):
 *   a request whose Host header names another host is refused (403), so a web page cannot
 *   reach a loopback service through DNS rebinding. Default on loopback: localhost,
 *   127.0.0.1, [::1]; otherwise any (auth protects it). Health routes come before the check.
 * - **Security headers** (helmet: CSP `default-src 'self'`, nosniff, frame-ancestors none, …).
 * - **CORS** off unless `SPIKESWEEP_CORS_ORIGINS` lists origins.
 * - **Rate limit** on submissions: `SPIKESWEEP_SUBMIT_RATE_LIMIT` requests per
 *   `SPIKESWEEP_SUBMIT_RATE_WINDOW_MS` per client address; counted in Redis when the service has
 *   one (every scheduler replica shares the count), in memory otherwise; 429 over it.
 */

const list = () =>
  z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim().toLowerCase()).filter((x) => x !== ''))
    .optional();

export const AccessEnv = z.object({
  SPIKESWEEP_API_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  SPIKESWEEP_READ_ACCESS: z.enum(['open', 'token']).optional(),
  SPIKESWEEP_ALLOWED_HOSTS: list(),
  SPIKESWEEP_CORS_ORIGINS: list(),
  SPIKESWEEP_SUBMIT_RATE_LIMIT: z.coerce.number().int().min(1).default(60),
  SPIKESWEEP_SUBMIT_RATE_WINDOW_MS: z.coerce.number().int().min(1000).default(60_000),
});
export type AccessEnv = z.infer<typeof AccessEnv>;

/** The access variables of `env` (empty values count as unset); ValidationError names a bad one. */
export function parseAccessEnv(env: NodeJS.ProcessEnv = process.env): AccessEnv {
  const known = Object.fromEntries(Object.keys(AccessEnv.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  return parseOrThrow(AccessEnv, known, 'spikesweep:invalid-input');
}

export interface AccessPolicy {
  token: string | null;
  readAccess: 'open' | 'token';
  /** Lower-case host names (no port); null = any host. */
  allowedHosts: readonly string[] | null;
  corsOrigins: readonly string[];
  submitRateLimit: number;
  submitRateWindowMs: number;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1', '[::1]'];

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

/** The policy of a service listening on `bindHost`, from its parsed env. */
export function accessPolicy(env: AccessEnv, bindHost: string): AccessPolicy {
  const loopback = isLoopback(bindHost);
  const hosts = env.SPIKESWEEP_ALLOWED_HOSTS;
  return {
    token: env.SPIKESWEEP_API_TOKEN ?? null,
    readAccess: env.SPIKESWEEP_READ_ACCESS ?? (loopback ? 'open' : 'token'),
    allowedHosts: hosts ? (hosts.includes('*') ? null : hosts) : loopback ? LOOPBACK_NAMES : null,
    corsOrigins: env.SPIKESWEEP_CORS_ORIGINS ?? [],
    submitRateLimit: env.SPIKESWEEP_SUBMIT_RATE_LIMIT,
    submitRateWindowMs: env.SPIKESWEEP_SUBMIT_RATE_WINDOW_MS,
  };
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time token check (equal-length SHA-256 digests; see the module comment). */
export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The host name of a Host header (`example.org:8080` → `example.org`, `[::1]:80` → `[::1]`). */
export function hostNameOf(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Refuses requests whose Host header is not on the allow-list (403). */
export function hostGuard(policy: AccessPolicy): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (policy.allowedHosts === null) return next();
    const host = hostNameOf(req.headers.host ?? '');
    if (policy.allowedHosts.includes(host)) return next();
    next(new ForbiddenError(`host '${host.slice(0, 100)}' is not served here (SPIKESWEEP_ALLOWED_HOSTS)`));
  };
}

/** Bearer-token check: every mutation, and reads when read access is `token`. */
export function authGuard(policy: AccessPolicy): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const mutation = !READ_METHODS.has(req.method);
    if (!mutation && policy.readAccess === 'open') return next();
    if (policy.token === null) {
      return next(new UnauthorizedError(`${mutation ? 'changes' : 'reads'} need a token, and this server has none: set SPIKESWEEP_API_TOKEN on it`));
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match || !tokenMatches(match[1] as string, policy.token)) {
      return next(new UnauthorizedError('missing or wrong bearer token (Authorization: Bearer <SPIKESWEEP_API_TOKEN>)'));
    }
    next();
  };
}

/** Submission rate limit; Redis-backed (shared by every replica) when `redis` is given. */
export function submitRateLimit(policy: AccessPolicy, options: { redis?: Redis; prefix?: string } = {}): RequestHandler {
  const { redis } = options;
  return rateLimit({
    windowMs: policy.submitRateWindowMs,
    limit: policy.submitRateLimit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    ...(redis
      ? {
          store: new RedisStore({
            prefix: `${options.prefix ?? 'spikesweep'}:rate:submit:`,
            sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply>,
          }),
        }
      : {}),
    handler: (_req, _res, next) => next(new RateLimitedError(`more than ${policy.submitRateLimit} submissions in ${policy.submitRateWindowMs / 1000} s; retry later`)),
  });
}

/**
 * Helmet's headers, CORS when origins are configured, then the Host allow-list. Call after
 * the health routes (probes use the pod address as Host) and before any API route.
 */
export function secureApp(app: Express, policy: AccessPolicy): void {
  app.use(
    helmet({
      contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'", "'unsafe-inline'"], imgSrc: ["'self'", 'data:'] } },
    }),
  );
  if (policy.corsOrigins.length > 0) app.use(cors({ origin: [...policy.corsOrigins], allowedHeaders: ['Authorization', 'Content-Type'] }));
  app.use(hostGuard(policy));
}

/**
 * Errors with a stable `code`. Callers decide retry vs. fail from the class (or `retryable`),
 * never from the message text.
 */
export type ErrorCode =
  | 'spikesweep:invalid-config'
  | 'spikesweep:invalid-spec'
  | 'spikesweep:invalid-input'
  | 'spikesweep:not-implemented'
  | 'spikesweep:diverged'
  | 'spikesweep:service-unavailable'
  | 'spikesweep:thread-crashed'
  | 'spikesweep:not-found'
  | 'spikesweep:misconfigured-service'
  | 'spikesweep:unauthorized'
  | 'spikesweep:forbidden'
  | 'spikesweep:rate-limited'
  | 'spikesweep:too-large'
  | 'spikesweep:internal'
  /** A device refused a request (network it cannot host, observable it does not offer). */
  | 'spikesweep:device-rejected'
  /** A device returned data that does not fit what was asked (wrong shape, not finite…). */
  | 'spikesweep:device-malformed'
  /** A device cannot be reached or did not answer in time; retrying later may work. */
  | 'spikesweep:device-unavailable';

export class SpikeSweepError extends Error {
  readonly code: ErrorCode;
  /** Whether running the same thing again may succeed (a transient failure). */
  readonly retryable: boolean;
  constructor(code: ErrorCode, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** A config, spec or payload failed validation. `issues` name the field path and the reason. */
export class ValidationError extends SpikeSweepError {
  readonly issues: readonly { path: string; message: string }[];
  constructor(
    code: 'spikesweep:invalid-config' | 'spikesweep:invalid-spec' | 'spikesweep:invalid-input',
    issues: readonly { path: string; message: string }[],
    options: { cause?: unknown } = {},
  ) {
    super(code, issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; '), options);
    this.issues = issues;
  }
}

/** A method or mode that the schema knows but the engine does not run yet. */
export class NotImplementedError extends SpikeSweepError {
  constructor(message: string) {
    super('spikesweep:not-implemented', message);
  }
}

/** Redis, MongoDB or another service could not be reached; retrying later may work. */
export class ServiceUnavailableError extends SpikeSweepError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('spikesweep:service-unavailable', message, { ...options, retryable: true });
  }
}

export class NotFoundError extends SpikeSweepError {
  constructor(message: string) {
    super('spikesweep:not-found', message);
  }
}

/** A request without a valid bearer token (HTTP 401). */
export class UnauthorizedError extends SpikeSweepError {
  constructor(message: string) {
    super('spikesweep:unauthorized', message);
  }
}

/** A request this service refuses whatever its credentials, e.g. an unknown Host (HTTP 403). */
export class ForbiddenError extends SpikeSweepError {
  constructor(message: string) {
    super('spikesweep:forbidden', message);
  }
}

/** Too many requests from one client in the window (HTTP 429); retrying later works. */
export class RateLimitedError extends SpikeSweepError {
  constructor(message: string) {
    super('spikesweep:rate-limited', message, { retryable: true });
  }
}

/** An input over a size limit: a body, a plan's trial count, a nesting depth (HTTP 413). */
export class TooLargeError extends SpikeSweepError {
  readonly issues: readonly { path: string; message: string }[];
  constructor(issues: readonly { path: string; message: string }[]) {
    super('spikesweep:too-large', issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; '));
    this.issues = issues;
  }
}

/**
 * Any thrown value as a SpikeSweepError: ours pass through; the HTTP body parser's errors
 * (`type: entity.parse.failed`, `entity.too.large`, …) become input errors; a stack overflow
 * (input nested too deeply for a recursive parser) becomes an input error; anything else is
 * `spikesweep:internal` with the original as `cause` and a message that reveals nothing.
 */
export function coerceError(error: unknown): SpikeSweepError {
  if (error instanceof SpikeSweepError) return error;
  const e = (error ?? {}) as { type?: unknown; status?: unknown; message?: unknown };
  if (e.type === 'entity.too.large') return new TooLargeError([{ path: '', message: 'the request body is too large' }]);
  if (e.type === 'entity.parse.failed') {
    return new ValidationError('spikesweep:invalid-input', [{ path: '', message: 'the body is not valid JSON' }], { cause: error });
  }
  if (typeof e.type === 'string' && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return new ValidationError('spikesweep:invalid-input', [{ path: '', message: `the request body cannot be read (${e.type})` }], { cause: error });
  }
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return new ValidationError('spikesweep:invalid-input', [{ path: '', message: 'the input is nested too deeply' }], { cause: error });
  }
  return new SpikeSweepError('spikesweep:internal', 'internal error', { cause: error });
}
/** A device failed: refused, returned malformed data, or was unreachable (retryable). */
export class DeviceError extends SpikeSweepError {
  constructor(code: 'spikesweep:device-rejected' | 'spikesweep:device-malformed' | 'spikesweep:device-unavailable', message: string, options: { cause?: unknown } = {}) {
    super(code, message, { ...options, retryable: code === 'spikesweep:device-unavailable' });
  }
}

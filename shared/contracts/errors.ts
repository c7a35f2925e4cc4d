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
  | 'spikesweep:not-found'
  | 'spikesweep:misconfigured-service'
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

/** A device failed: refused, returned malformed data, or was unreachable (retryable). */
export class DeviceError extends SpikeSweepError {
  constructor(code: 'spikesweep:device-rejected' | 'spikesweep:device-malformed' | 'spikesweep:device-unavailable', message: string, options: { cause?: unknown } = {}) {
    super(code, message, { ...options, retryable: code === 'spikesweep:device-unavailable' });
  }
}

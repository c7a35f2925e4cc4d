/**
 * Start-up and shutdown of a process: resources are closed in reverse start order; `close()`
 * is safe to call twice; the first SIGINT/SIGTERM closes gracefully, a second one forces exit.
 */
export class Lifecycle {
  private readonly closers: { name: string; close: () => Promise<void> | void }[] = [];
  private closing: Promise<void> | null = null;

  constructor(private readonly log: Logger) {}

  /** Registers a resource to close; later registrations close first. */
  add(name: string, close: () => Promise<void> | void): void {
    this.closers.push({ name, close });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const { name, close } of [...this.closers].reverse()) {
        try {
          await close();
        } catch (error) {
          this.log.error('close failed', { resource: name, error: String(error) });
        }
      }
    })();
    return this.closing;
  }

  /** First signal: graceful close, then exit 0. Second signal: exit 130 at once. */
  handleSignals(): void {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        this.log.warn('second signal, forcing exit', { signal });
        process.exit(130);
      }
      this.log.info('shutting down', { signal });
      void this.close().then(() => process.exit(0));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
}

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** JSON lines on stdout: {time, level, service, msg, …fields}. */
export function jsonLogger(service: string, write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  const emit = (level: string) => (msg: string, fields: Record<string, unknown> = {}) =>
    write(`${JSON.stringify({ time: new Date().toISOString(), level, service, msg, ...fields })}\n`);
  return { info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** Env for logging: values of keys that look secret, and passwords inside URLs, are replaced. */
export function redactEnv(env: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(env)) {
    if (/PASSWORD|SECRET|TOKEN|KEY/i.test(key)) out[key] = '***';
    else if (typeof value === 'string') out[key] = value.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
    else out[key] = value;
  }
  return out;
}

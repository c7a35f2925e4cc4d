import type { Logger } from './logger.ts';
import { onShutdownSignal } from './signals.ts';

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
    onShutdownSignal((signal, count) => {
      if (count > 1) {
        this.log.warn('second signal, forcing exit', { signal });
        process.exit(130);
      }
      this.log.info('shutting down', { signal });
      void this.close().then(() => process.exit(0));
    });
  }
}

/** The signals that ask a process to stop. */
export const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM'] as const satisfies readonly NodeJS.Signals[];

/**
 * Calls `handler` on every SIGINT/SIGTERM with the signal and how many such signals arrived so
 * far (1 for the first). Returns a function that removes the listeners.
 */
export function onShutdownSignal(handler: (signal: NodeJS.Signals, count: number) => void): () => void {
  let count = 0;
  const listener = (signal: NodeJS.Signals) => handler(signal, ++count);
  for (const signal of SHUTDOWN_SIGNALS) process.on(signal, listener);
  return () => {
    for (const signal of SHUTDOWN_SIGNALS) process.off(signal, listener);
  };
}

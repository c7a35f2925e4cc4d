/** Process helpers: start-up/shutdown order, JSON logging, shutdown signals. */
export * from './lifecycle.ts';
export * from './logger.ts';
export * from './signals.ts';
export * from './secrets.ts';

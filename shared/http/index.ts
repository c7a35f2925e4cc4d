/** HTTP helpers shared by every SpikeSweep service: listening, health routes, errors. */
export * from './errors.ts';
export * from './health.ts';
export * from './listen.ts';
export * from './security.ts';

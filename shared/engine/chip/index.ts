/** The emulated BrainScaleS-2-like chip: device instances, calibration, weights, noise, observation, costs. */
export * from './device.ts';
export * from './weights.ts';
export * from './noise.ts';
export * from './observe.ts';
export * from './calibration.ts';
export * from './cost.ts';
export * from './substrate.ts';
export * from './emulated.ts';

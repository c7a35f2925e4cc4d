/**
 * SpikeSweep contracts: the zod schemas and types at every boundary.
 *
 * Glossary
 * - **sweep**: a named study: a base trial config plus axes to vary; expands into trials.
 * - **trial**: one training run of one method in one mode from one TrialConfig; its id is the
 *   hash of its canonical, defaults-filled config, so the same config is the same trial.
 * - **method**: how gradients are computed: `surrogate` (BPTT with a surrogate derivative),
 *   `spike-time` (analytic time-to-first-spike gradients), `eventprop` (adjoint method).
 * - **mode**: where the forward pass runs: `simulation` (ideal model), `in-the-loop` (on an
 *   emulated chip, backward through the model), `transfer` (trained in simulation, deployed
 *   on a chip), `robust-transfer` (trained in simulation on sampled devices, then deployed).
 * - **operating conditions**: a chip's temperature and hours of operation; it drifts with both,
 *   and a calibration holds at the conditions it was made at.
 * - **chip** / device instance: one emulated analog chip, fixed by its mismatch seed.
 * - **mismatch seed**: the seed that draws a chip's frozen fixed-pattern deviations.
 * - **epoch**: one pass over the training split; validation accuracy is measured after each.
 * - **checkpoint**: a trial's full state after an epoch, to resume bit-exactly.
 */
export * from './errors.ts';
export * from './validate.ts';
export * from './trial.ts';
export * from './results.ts';
export * from './sweep.ts';
export * from './limits.ts';

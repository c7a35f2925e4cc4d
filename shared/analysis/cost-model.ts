/**
 * The cost model behind `spikesweep run --dry-run` and the dashboard's planned-sweep estimate:
 * CPU time and chip time of trials before they run, from their configs alone.
 *
 * Sample presentations of one trial with E epochs (early stopping ignored: an upper bound),
 * training split N_tr, validation N_va, test N_te and K extra chips (`evaluateOnChips`):
 *   training   R_tr = E · N_tr                       (forward + backward)
 *   validation R_va = E · N_va                       (forward only, every epoch)
 *   final      R_fi = N_tr + N_va + N_te             (the kept network on all three splits, on
 *                                                    the trial's own chip or in simulation)
 *   extra chips R_x = K · N_te                       (test split on each further chip)
 * CPU time = c_setup + R_tr · c_train + (R_va + R_fi) · c_eval + R_x · c_eval,chip + chips · c_chip,
 * with per-sample costs c per method and mode (the chip's emulation adds to in-the-loop
 * training and to every on-chip evaluation; forward-only in simulation costs a third of a
 * training presentation; c_chip is a new chip's mismatch draw and calibration, counted for the
 * trial's own chip unless in simulation and for each extra chip),
 * scaled linearly by the hidden width relative to the default network (and, for surrogate
 * gradients, by the number of time steps relative to 40). The constants are calibrated on this
 * project's development machine against measured trials (bench/cost-model.ts prints
 * estimate ÷ measured for the quick study); a different machine scales them all alike.
 *
 * Chip time = on-chip presentations × model time per presentation / 1000 (the chip runs 1000×
 * faster than model time). On-chip presentations: in-the-loop R_tr + R_va + R_fi + R_x,
 * transfer R_fi + R_x, simulation R_x. Model time per presentation is timeSteps · dtMs for
 * surrogate gradients; for the event-based methods the presentation window of their default
 * config (spike-time 60 ms, EventProp 100 ms: hardware time ÷ chip runs of a trial).
 */
import { HARDWARE_SPEEDUP } from '../engine/chip/cost.ts';
import type { CostEstimate } from './types.ts';

interface MethodCosts {
  /** µs of CPU per training presentation (forward + backward), in simulation and on the emulated chip. */
  trainUs: { simulation: number; chip: number };
  /** µs of CPU per forward-only presentation on an emulated chip (in simulation: trainUs.simulation / 3). */
  chipEvalUs: number;
  /** ms of CPU per trial before training (data, network, first evaluation set-up). */
  setupMs: number;
  /** Hidden width the constants were measured at. */
  hiddenSize: number;
  /** Model time of one presentation, ms (surrogate: from the config's time grid instead). */
  presentationMs: number;
}

/**
 * Calibrated constants (see the module comment), from `bench/cost-model.ts --calibrate` on
 * 2026-12-02 (shared busy 2-core machine; single trials of 600/200/400 samples, 1 and 3 epochs,
 * 0 and 2 extra chips, after a warm-up trial), rounded.
 */
export const COST_CONSTANTS: Readonly<{ chipSetupMs: number; methods: Readonly<Record<string, MethodCosts>> }> = {
  /** A new chip instance: mismatch draw and calibration. */
  chipSetupMs: 60,
  methods: {
    surrogate: { trainUs: { simulation: 190, chip: 1060 }, chipEvalUs: 260, setupMs: 300, hiddenSize: 120, presentationMs: 40 },
    'spike-time': { trainUs: { simulation: 60, chip: 420 }, chipEvalUs: 300, setupMs: 270, hiddenSize: 120, presentationMs: 60 },
    eventprop: { trainUs: { simulation: 220, chip: 745 }, chipEvalUs: 650, setupMs: 500, hiddenSize: 200, presentationMs: 100 },
  },
};

const SURROGATE_DEFAULT_STEPS = 40;

function numberAt(obj: unknown, path: string, fallback: number): number {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return fallback;
    cur = (cur as Record<string, unknown>)[part];
  }
  return typeof cur === 'number' && Number.isFinite(cur) ? cur : fallback;
}

/** Estimated CPU and chip time of one trial from its (parsed, defaulted) config. */
export function estimateTrialCost(config: Record<string, unknown>): { cpuMs: number; hardwareTimeMs: number; chipRuns: number } {
  const method = typeof config.method === 'string' ? config.method : 'surrogate';
  const mode = typeof config.mode === 'string' ? config.mode : 'simulation';
  const c = COST_CONSTANTS.methods[method] ?? COST_CONSTANTS.methods.surrogate!;
  const epochs = numberAt(config, 'training.epochs', 1);
  const nTrain = numberAt(config, 'dataset.trainSize', 5000);
  const nVal = numberAt(config, 'dataset.validationSize', 1000);
  const nTest = numberAt(config, 'dataset.testSize', 1000);
  const extraChips = Array.isArray(config.evaluateOnChips) ? config.evaluateOnChips.length : 0;
  const hidden = numberAt(config, 'network.hiddenSize', c.hiddenSize);
  const steps = method === 'surrogate' ? numberAt(config, 'simulation.timeSteps', SURROGATE_DEFAULT_STEPS) : SURROGATE_DEFAULT_STEPS;
  const scale = (hidden / c.hiddenSize) * (steps / SURROGATE_DEFAULT_STEPS);
  const inLoop = mode === 'in-the-loop';
  const onChip = mode !== 'simulation';

  const trainRuns = epochs * nTrain;
  const validationRuns = epochs * nVal;
  const finalRuns = nTrain + nVal + nTest;
  const extraRuns = extraChips * nTest;
  const simEvalUs = c.trainUs.simulation / 3;
  const cpuUs =
    scale *
    (trainRuns * (inLoop ? c.trainUs.chip : c.trainUs.simulation) +
      validationRuns * (inLoop ? c.chipEvalUs : simEvalUs) +
      finalRuns * (onChip ? c.chipEvalUs : simEvalUs) +
      extraRuns * c.chipEvalUs);
  const chips = (onChip ? 1 : 0) + extraChips;

  const chipRuns = (inLoop ? trainRuns + validationRuns : 0) + (onChip ? finalRuns : 0) + extraRuns;
  const presentationMs = method === 'surrogate' ? steps * numberAt(config, 'simulation.dtMs', 1) : c.presentationMs;
  return {
    cpuMs: c.setupMs + chips * COST_CONSTANTS.chipSetupMs + cpuUs / 1000,
    hardwareTimeMs: (chipRuns * presentationMs) / HARDWARE_SPEEDUP,
    chipRuns,
  };
}

/** Estimated cost of a set of planned trials (a sweep's plan, or what is left of it). */
export function estimateSweepCost(trials: readonly { config: Record<string, unknown> }[]): CostEstimate {
  const by = new Map<string, { method: string; mode: string; trials: number; cpuMs: number; hardwareTimeMs: number }>();
  let cpuMs = 0;
  let hardwareTimeMs = 0;
  let chipRuns = 0;
  for (const t of trials) {
    const e = estimateTrialCost(t.config);
    const method = String(t.config.method ?? 'surrogate');
    const mode = String(t.config.mode ?? 'simulation');
    const row = by.get(`${method}|${mode}`) ?? { method, mode, trials: 0, cpuMs: 0, hardwareTimeMs: 0 };
    row.trials += 1;
    row.cpuMs += e.cpuMs;
    row.hardwareTimeMs += e.hardwareTimeMs;
    by.set(`${method}|${mode}`, row);
    cpuMs += e.cpuMs;
    hardwareTimeMs += e.hardwareTimeMs;
    chipRuns += e.chipRuns;
  }
  return {
    trials: trials.length,
    cpuMs,
    hardwareTimeMs,
    chipRuns,
    byMethod: [...by.values()].sort((a, b) => a.method.localeCompare(b.method) || a.mode.localeCompare(b.mode)),
  };
}

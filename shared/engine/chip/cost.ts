/**
 * What running on the chip costs: emulated hardware time and an energy estimate (the emulated
 * chip reports both with every run, chip/emulated.ts; the read-out volume is counted from what
 * a device returned, device/batch.ts).
 *
 * Time: the chip runs 1000× faster than the model (biological) time: hardware ms = model ms / 1000.
 *
 * Energy, a documented estimate, not a measurement (docs/science/chip.md#time-and-energy-ledger).
 * Anchor (Cramer et al. 2022): BSS-2 classifies up to 85,000 frames/s at < 200 mW, i.e. ≲ 2.4 µJ
 * per frame for the whole system. Model: E = P_static · t_hw + E_spike · spikes + E_syn · synaptic events, with
 * P_static = 150 mW (analog bias, clocks, links: the bulk of the 200 mW budget), E_spike =
 * 100 pJ per spike event (digital routing of one event) and E_syn = 10 pJ per synaptic event
 * (one event reaching one synapse). The event costs are this project's order-of-magnitude
 * assumptions; with them a 5-120-3 Yin-Yang frame of ~12 µs hardware time and ~10³ synaptic
 * events stays within the 2.4 µJ per frame the anchor implies.
 */

export const HARDWARE_SPEEDUP = 1000;
export const STATIC_POWER_W = 0.15;
export const ENERGY_PER_SPIKE_J = 100e-12;
export const ENERGY_PER_SYNAPTIC_EVENT_J = 10e-12;

/** Emulated hardware time of a run of the given model duration. */
export function hardwareTimeMs(modelTimeMs: number): number {
  return modelTimeMs / HARDWARE_SPEEDUP;
}

/** Energy of chip activity: hardware time, spikes emitted, synaptic events delivered. */
export function energyJ(activity: { hardwareTimeMs: number; spikes: number; synapticEvents: number }): number {
  return (
    STATIC_POWER_W * (activity.hardwareTimeMs / 1000) +
    ENERGY_PER_SPIKE_J * activity.spikes +
    ENERGY_PER_SYNAPTIC_EVENT_J * activity.synapticEvents
  );
}

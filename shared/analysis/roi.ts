/**
 * ROI against the transfer baseline B (the `transfer` group of the same method, else the best
 * transfer group of the sweep), for group G with mean accuracies a_G, a_B (fractions) and mean
 * costs per trial:
 *   gain_pp = 100 (a_G − a_B)
 *   ppPerWallHour = gain_pp / ((wall_G − wall_B) / 3.6e6 ms)
 *   ppPerHardwareSecond = gain_pp / ((hw_G − hw_B) / 1000 ms)
 *   ppPerJoule = gain_pp / (E_G − E_B)
 * each null when its added cost is ≤ 0 (no extra spend to return on).
 */
import type { GroupSummary } from '../store/types.ts';
import type { Roi, Stats } from './types.ts';

type CostedGroup = Pick<GroupSummary, 'method' | 'mode' | 'accuracy' | 'cost'>;

export function roiOf(group: CostedGroup, groups: readonly CostedGroup[]): Roi | null {
  if (group.mode === 'transfer' || group.accuracy.mean === null) return null;
  const transfers = groups.filter((g) => g.mode === 'transfer' && g.accuracy.mean !== null);
  const baseline =
    transfers.find((g) => g.method === group.method) ??
    [...transfers].sort((a, b) => (b.accuracy.mean ?? 0) - (a.accuracy.mean ?? 0))[0];
  if (!baseline || baseline.accuracy.mean === null) return null;
  const gainPp = 100 * (group.accuracy.mean - baseline.accuracy.mean);
  const added = (a: Stats, b: Stats) => (a.mean ?? 0) - (b.mean ?? 0);
  const addedWallTimeMs = added(group.cost.wallTimeMs, baseline.cost.wallTimeMs);
  const addedHardwareTimeMs = added(group.cost.hardwareTimeMs, baseline.cost.hardwareTimeMs);
  const addedEnergyJ = added(group.cost.energyJ, baseline.cost.energyJ);
  const per = (cost: number) => (cost > 0 ? gainPp / cost : null);
  return {
    baseline: { method: baseline.method, mode: baseline.mode },
    accuracyGainPp: gainPp,
    addedWallTimeMs,
    addedHardwareTimeMs,
    addedEnergyJ,
    ppPerWallHour: per(addedWallTimeMs / 3.6e6),
    ppPerHardwareSecond: per(addedHardwareTimeMs / 1000),
    ppPerJoule: per(addedEnergyJ),
  };
}

/**
 * The three spreads of a group's test accuracy, one definition each, named wherever shown
 * (CLI, API, dashboard, report). All are sample sds (n − 1), in percentage points:
 *
 * - `sdOverTrials`: over the group's completed trials, each trial's test accuracy on its own
 *   chip (in simulation: in simulation). Mixes chip, seed and hyperparameter variation.
 * - `sdOverChipMeans`: over chips (mismatch seeds): for each chip c the mean test accuracy m_c
 *   of every evaluation on c (trials trained or deployed on c, and `evaluateOnChips` runs);
 *   the device-to-device spread.
 * - `sdOverSeedMeans`: over training seeds: for each seed the mean test accuracy of its
 *   trials; the run-to-run spread of training.
 */
import type { GroupSummary } from '../store/types.ts';
import { formatSpread } from './format.ts';
import type { NamedSpread, SpreadName, Stats } from './types.ts';

export const SPREADS: Readonly<Record<SpreadName, { label: string; over: string; definition: string }>> = {
  sdOverTrials: {
    label: 'sd over trials',
    over: 'trials',
    definition: "sample sd of the completed trials' test accuracy, each on its own chip",
  },
  sdOverChipMeans: {
    label: 'sd over chip means',
    over: 'chips',
    definition: 'sample sd over chips (mismatch seeds) of the mean test accuracy measured on each chip',
  },
  sdOverSeedMeans: {
    label: 'sd over seed means',
    over: 'seeds',
    definition: 'sample sd over training seeds of the mean test accuracy of each seed’s trials',
  },
};

/** A named spread from the Stats of accuracy fractions; sd in pp, null when n < 2. */
export function namedSpread(name: SpreadName, stats: Stats): NamedSpread {
  const spread = { name, label: SPREADS[name].label, n: stats.count, sdPp: stats.count >= 2 && stats.sd !== null ? 100 * stats.sd : null };
  return { ...spread, text: formatSpread(spread) };
}

/** The three spreads of a group, in the order sdOverTrials, sdOverChipMeans, sdOverSeedMeans. */
export function spreadsOf(group: Pick<GroupSummary, 'accuracy' | 'devices' | 'seeds'>): NamedSpread[] {
  return [
    namedSpread('sdOverTrials', group.accuracy),
    namedSpread('sdOverChipMeans', group.devices),
    namedSpread('sdOverSeedMeans', group.seeds),
  ];
}

/** The spread a headline quotes: over chip means when at least two chips were measured, else over trials. */
export function headlineSpread(group: Pick<GroupSummary, 'accuracy' | 'devices' | 'seeds'>): NamedSpread {
  return group.devices.count >= 2 ? namedSpread('sdOverChipMeans', group.devices) : namedSpread('sdOverTrials', group.accuracy);
}

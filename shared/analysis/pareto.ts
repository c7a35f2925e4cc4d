/**
 * Pareto front of the groups on three objectives: mean test accuracy (higher is better), mean
 * chip time per trial and read-out bytes per sample (lower is better). A point p dominates q
 * when p is at least as good on all three and strictly better on one; the front is the set of
 * points no other point dominates.
 */
import type { GroupSummary } from '../store/types.ts';
import type { ParetoPoint } from './types.ts';

export function paretoFront(groups: readonly Pick<GroupSummary, 'method' | 'mode' | 'accuracy' | 'cost'>[]): ParetoPoint[] {
  const points = groups
    .filter((g) => g.accuracy.mean !== null)
    .map((g) => ({
      method: g.method,
      mode: g.mode,
      meanAccuracy: g.accuracy.mean!,
      hardwareTimeMs: g.cost.hardwareTimeMs.mean ?? 0,
      readoutBytesPerSample: g.cost.readoutBytesPerSample.mean ?? 0,
    }));
  const dominates = (p: (typeof points)[number], q: (typeof points)[number]) =>
    p.meanAccuracy >= q.meanAccuracy &&
    p.hardwareTimeMs <= q.hardwareTimeMs &&
    p.readoutBytesPerSample <= q.readoutBytesPerSample &&
    (p.meanAccuracy > q.meanAccuracy || p.hardwareTimeMs < q.hardwareTimeMs || p.readoutBytesPerSample < q.readoutBytesPerSample);
  return points.map((q) => {
    const dominatedBy = points.filter((p) => p !== q && dominates(p, q)).map((p) => ({ method: p.method, mode: p.mode }));
    return { ...q, onFront: dominatedBy.length === 0, dominatedBy };
  });
}

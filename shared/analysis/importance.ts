/**
 * Parameter importance of the swept axes: fANOVA first-order variance shares computed exactly on
 * the observed grid (Hutter, Hoos, Leyton-Brown 2014 decompose a response surface into main
 * effects and interactions; on a grid of cells the decomposition needs no surrogate model).
 *
 * The response y_c of cell c (one combination of axis values) is the mean test accuracy of its
 * completed trials, over seeds and chips (the repetition axes are not factors). With ȳ the mean
 * over the C cells and V = (1/C) Σ_c (y_c − ȳ)² the total variance, the main effect of axis j at
 * level v is f_j(v) = mean{y_c : x_j(c) = v} − ȳ and its variance
 *   V_j = Σ_v (C_v / C) f_j(v)²        (C_v cells at level v),
 * share_j = V_j / V; 1 − Σ_j share_j is left to interactions. On a complete grid this is the
 * exact functional ANOVA of the cell means; on an incomplete one (a sweep still running) the
 * marginal means are over the cells observed, and `cells` < `gridCells` says so.
 */
import { canonicalJson } from '../contracts/index.ts';
import type { ImportanceResult, TrialOutcome } from './types.ts';

/** The axes a trial's factor values come from: method, mode and every hyperparameter. */
function factorsOf(t: TrialOutcome): Record<string, unknown> {
  return { method: t.method, mode: t.mode, ...t.params };
}

export function parameterImportance(outcomes: readonly TrialOutcome[]): ImportanceResult | null {
  const completed = outcomes.filter((t) => t.status === 'completed' && t.testAccuracy !== null);
  if (completed.length === 0) return null;
  const allAxes = [...new Set(outcomes.flatMap((t) => Object.keys(factorsOf(t))))].sort();
  const levelsOf = (axis: string, rows: readonly TrialOutcome[]) => new Set(rows.map((t) => canonicalJson(factorsOf(t)[axis] ?? null)));
  // Axes that vary among all planned trials are factors; constant ones explain nothing.
  const axes = allAxes.filter((axis) => levelsOf(axis, outcomes).size >= 2);
  if (axes.length === 0) return null;

  const cells = new Map<string, { levels: string[]; sum: number; n: number }>();
  for (const t of completed) {
    const f = factorsOf(t);
    const levels = axes.map((a) => canonicalJson(f[a] ?? null));
    const key = levels.join('\u0000');
    const cell = cells.get(key) ?? { levels, sum: 0, n: 0 };
    cell.sum += t.testAccuracy!;
    cell.n += 1;
    cells.set(key, cell);
  }
  const ys = [...cells.values()].map((c) => ({ levels: c.levels, y: (100 * c.sum) / c.n }));
  const C = ys.length;
  const grand = ys.reduce((a, c) => a + c.y, 0) / C;
  const total = ys.reduce((a, c) => a + (c.y - grand) ** 2, 0) / C;
  const gridCells = axes.reduce((a, axis) => a * levelsOf(axis, outcomes).size, 1);

  const result = axes.map((axis, j) => {
    const byLevel = new Map<string, { sum: number; n: number }>();
    for (const c of ys) {
      const l = byLevel.get(c.levels[j]!) ?? { sum: 0, n: 0 };
      l.sum += c.y;
      l.n += 1;
      byLevel.set(c.levels[j]!, l);
    }
    let variance = 0;
    for (const l of byLevel.values()) variance += (l.n / C) * (l.sum / l.n - grand) ** 2;
    return { axis, share: total > 0 ? variance / total : 0, levels: levelsOf(axis, outcomes).size };
  });
  const explained = result.reduce((a, r) => a + r.share, 0);
  return {
    estimator: 'fANOVA first-order variance shares on the observed grid',
    axes: result.sort((a, b) => b.share - a.share || a.axis.localeCompare(b.axis)),
    interactionShare: total > 0 ? Math.max(0, 1 - explained) : 0,
    cells: C,
    gridCells,
    totalVariancePp2: total,
  };
}

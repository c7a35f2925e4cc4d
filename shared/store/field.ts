/**
 * Field-conditions views of a sweep (the dashboard's "Field conditions" section): from the
 * `operation` part of completed trial results (shared/engine/operation.ts), per method × mode
 *
 * - accuracy vs temperature and vs age, per policy, as statistics over the trials (chips and
 *   seeds) at each scheduled value;
 * - per maintenance policy: the chip time and energy it spent over the schedule and the
 *   accuracy it kept (worst over the schedule, share of trials kept within tolerance), so the
 *   cheapest policy for a required accuracy can be read off.
 *
 * Computed on request from the trials' stored results (paged), never sent per trial.
 */
import type { OperationResult } from '../contracts/operation.ts';
import { statsOfValues } from '../analysis/stats.ts';
import type { Stats } from './types.ts';

export interface FieldCurve {
  method: string;
  mode: string;
  policy: string;
  points: { x: number; accuracy: Stats }[];
}

export interface FieldPolicyCost {
  method: string;
  mode: string;
  policy: string;
  trials: number;
  /** Mean over trials of the policy's chip time over the whole schedule. */
  hardwareTimeMs: number;
  energyJ: number;
  /** Worst accuracy over the schedule, statistics over trials. */
  worstAccuracy: Stats;
  /** Mean over the schedule's conditions and trials. */
  meanAccuracy: number;
  /** Share of trials in which the policy stayed within tolerance everywhere. */
  keptFraction: number;
}

export interface FieldSummary {
  /** Trials that carried an operation study. */
  trials: number;
  groups: { method: string; mode: string; trials: number; deploymentAccuracy: Stats; cheapest: Record<string, number> }[];
  temperature: FieldCurve[];
  age: FieldCurve[];
  policies: FieldPolicyCost[];
}

export interface FieldRow {
  method: string;
  mode: string;
  operation: OperationResult;
}

const keyOf = (...parts: (string | number)[]) => parts.join('\u0000');

function push<K>(map: Map<K, number[]>, key: K, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Aggregates the operation studies of `rows` (pure). */
export function fieldSummaryOf(rows: readonly FieldRow[]): FieldSummary {
  const groupRows = new Map<string, FieldRow[]>();
  for (const r of rows) {
    const k = keyOf(r.method, r.mode);
    const list = groupRows.get(k);
    if (list) list.push(r);
    else groupRows.set(k, [r]);
  }
  const out: FieldSummary = { trials: rows.length, groups: [], temperature: [], age: [], policies: [] };
  for (const list of [...groupRows.values()].sort((a, b) => a[0]!.method.localeCompare(b[0]!.method) || a[0]!.mode.localeCompare(b[0]!.mode))) {
    const { method, mode } = list[0]!;
    const cheapest: Record<string, number> = {};
    for (const r of list) {
      const c = r.operation.cheapestPolicyKeepingAccuracy ?? 'none kept';
      cheapest[c] = (cheapest[c] ?? 0) + 1;
    }
    out.groups.push({ method, mode, trials: list.length, deploymentAccuracy: statsOfValues(list.map((r) => r.operation.deploymentAccuracy)), cheapest });

    for (const axis of ['temperature', 'age'] as const) {
      const byPolicy = new Map<string, Map<number, number[]>>();
      for (const r of list) {
        for (const c of r.operation.conditions) {
          if (c.axis !== axis) continue;
          for (const p of c.policies) {
            let m = byPolicy.get(p.policy);
            if (!m) byPolicy.set(p.policy, (m = new Map()));
            push(m, axis === 'temperature' ? c.temperatureC : c.ageHours, p.testAccuracy);
          }
        }
      }
      for (const [policy, m] of byPolicy) {
        const points = [...m.entries()].sort((a, b) => a[0] - b[0]).map(([x, values]) => ({ x, accuracy: statsOfValues(values) }));
        out[axis].push({ method, mode, policy, points });
      }
    }

    const perPolicy = new Map<string, { time: number[]; energy: number[]; worst: number[]; kept: number; accuracies: number[] }>();
    for (const r of list) {
      for (const s of r.operation.policies) {
        let e = perPolicy.get(s.policy);
        if (!e) perPolicy.set(s.policy, (e = { time: [], energy: [], worst: [], kept: 0, accuracies: [] }));
        e.time.push(s.hardwareTimeMs);
        e.energy.push(s.energyJ);
        e.worst.push(s.worstAccuracy);
        if (s.keepsAccuracy) e.kept++;
      }
      for (const c of r.operation.conditions) for (const p of c.policies) perPolicy.get(p.policy)?.accuracies.push(p.testAccuracy);
    }
    for (const [policy, e] of perPolicy) {
      const mean = (a: number[]) => (a.length ? a.reduce((s, x) => s + x, 0) / a.length : 0);
      out.policies.push({
        method,
        mode,
        policy,
        trials: e.time.length,
        hardwareTimeMs: mean(e.time),
        energyJ: mean(e.energy),
        worstAccuracy: statsOfValues(e.worst),
        meanAccuracy: mean(e.accuracies),
        keptFraction: e.time.length ? e.kept / e.time.length : 0,
      });
    }
  }
  return out;
}

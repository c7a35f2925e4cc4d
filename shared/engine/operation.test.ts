import { describe, expect, it } from 'vitest';
import type { ConditionOutcome, MaintenancePolicy } from '../contracts/operation.ts';
import { parseTrialConfig } from '../contracts/trial.ts';
import { energyJ, STATIC_POWER_W } from './chip/cost.ts';
import { conditionsOf, hasSchedule, PROBE_RUN_MODEL_MS, recalibrationCost, summarise } from './operation.ts';

const outcome = (policy: MaintenancePolicy, testAccuracy: number, hardwareTimeMs = 0) => ({
  policy,
  testAccuracy,
  hardwareTimeMs,
  energyJ: energyJ({ hardwareTimeMs, spikes: 0, synapticEvents: 0 }),
  chipRuns: Math.round(hardwareTimeMs * 10),
});

const at = (axis: 'temperature' | 'age', temperatureC: number, ageHours: number, none: number, recal: number): ConditionOutcome => ({
  axis,
  temperatureC,
  ageHours,
  policies: [outcome('none', none), outcome('recalibrate', recal, 300), outcome('retrain', 0.95, 20_000)],
});

describe('operation schedule', () => {
  it('takes temperatures at the deployment age and ages at the deployment temperature, once each', () => {
    const config = parseTrialConfig({ method: 'spike-time', chip: { temperatureC: 30, ageHours: 100 }, operation: { temperaturesC: [10, 30, 30], ageHours: [100, 5000] } });
    expect(conditionsOf(config)).toEqual([
      { axis: 'temperature', temperatureC: 10, ageHours: 100 },
      { axis: 'temperature', temperatureC: 30, ageHours: 100 },
      { axis: 'age', temperatureC: 30, ageHours: 100 },
      { axis: 'age', temperatureC: 30, ageHours: 5000 },
    ]);
    expect(hasSchedule(parseTrialConfig({ method: 'spike-time' }).operation)).toBe(false);
    expect(conditionsOf(parseTrialConfig({ method: 'spike-time', operation: { profile: 'indoor' } })).length).toBe(5 + 4);
  });

  it('rejects a profile together with an own schedule, naming the field', () => {
    expect(() => parseTrialConfig({ method: 'spike-time', operation: { profile: 'outdoor', temperaturesC: [0] } })).toThrow(/operation\.profile/);
    expect(() => parseTrialConfig({ method: 'spike-time', operation: { policies: ['pray'] } })).toThrow(/operation\.policies/);
  });
});

describe('policy cost accounting', () => {
  it('charges each calibration probe PROBE_RUN_MODEL_MS of model time at static power', () => {
    const c = recalibrationCost(1000);
    expect(c.chipRuns).toBe(1000);
    expect(c.hardwareTimeMs).toBeCloseTo((1000 * PROBE_RUN_MODEL_MS) / 1000, 12);
    expect(c.energyJ).toBeCloseTo(STATIC_POWER_W * (c.hardwareTimeMs / 1000), 15);
    expect(recalibrationCost(0)).toEqual({ hardwareTimeMs: 0, energyJ: 0, chipRuns: 0 });
  });

  it('sums each policy over the schedule and picks the cheapest one that keeps accuracy', () => {
    const conditions = [
      at('temperature', 5, 0, 0.85, 0.895),
      at('temperature', 15, 0, 0.885, 0.9),
      at('temperature', 25, 0, 0.9, 0.9),
      at('temperature', 35, 0, 0.89, 0.9),
      at('temperature', 45, 0, 0.8, 0.89),
      at('age', 25, 0, 0.9, 0.9),
      at('age', 25, 1000, 0.885, 0.9),
      at('age', 25, 10_000, 0.87, 0.9),
    ];
    const s = summarise(0.9, 2, 25, conditions);
    expect(s.temperatureRangeC).toEqual([15, 35]);
    expect(s.hoursUntilBelowTolerance).toBe(10_000);
    const byName = Object.fromEntries(s.policies.map((p) => [p.policy, p]));
    expect(byName.none).toMatchObject({ keepsAccuracy: false, hardwareTimeMs: 0, chipRuns: 0 });
    expect(byName.none!.maxDropPoints).toBeCloseTo(10, 10);
    expect(byName.recalibrate!.keepsAccuracy).toBe(true);
    expect(byName.recalibrate!.hardwareTimeMs).toBeCloseTo(8 * 300, 10);
    expect(byName.recalibrate!.chipRuns).toBe(8 * 3000);
    expect(byName.recalibrate!.energyJ).toBeCloseTo(8 * energyJ({ hardwareTimeMs: 300, spikes: 0, synapticEvents: 0 }), 12);
    expect(byName.retrain!.keepsAccuracy).toBe(true);
    // both recalibrate and retrain keep accuracy; recalibrate spends less chip time
    expect(s.cheapestPolicyKeepingAccuracy).toBe('recalibrate');
    // with a loose tolerance doing nothing is enough, and free
    expect(summarise(0.9, 15, 25, conditions).cheapestPolicyKeepingAccuracy).toBe('none');
    // with nothing keeping it, there is no answer
    expect(summarise(0.99, 0.5, 25, conditions).cheapestPolicyKeepingAccuracy).toBeNull();
    expect(summarise(0.99, 0.5, 25, conditions).temperatureRangeC).toBeNull();
    expect(summarise(0.9, 15, 25, conditions).hoursUntilBelowTolerance).toBeNull();
  });
});

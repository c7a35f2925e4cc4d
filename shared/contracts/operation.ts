import { z } from 'zod';

/**
 * Deployment over a schedule of operating conditions, and what maintaining accuracy costs
 * (shared/engine/operation.ts). After training, the kept network is deployed on `chip` at each
 * temperature of `temperaturesC` (at the deployment age `chip.ageHours`) and at each age of
 * `ageHours` (at the deployment temperature `chip.temperatureC`), and each maintenance policy is
 * applied there. Empty schedules (the default) = no operation study.
 */

/**
 * - `none`: the deployed network and calibration as they were;
 * - `recalibrate`: the calibration probes run again at the condition (cost: probe runs);
 * - `fine-tune`: `fineTuneEpochs` epochs in the loop on the drifted chip from the deployed network;
 * - `retrain`: a full in-the-loop training (the trial's own training settings) at the condition.
 */
export const MaintenancePolicy = z.enum(['none', 'recalibrate', 'fine-tune', 'retrain']);
export type MaintenancePolicy = z.infer<typeof MaintenancePolicy>;

const temperature = () => z.number().min(-60).max(150);

/** Named schedules, used when `temperaturesC` and `ageHours` are both empty. */
export const OPERATION_PROFILES = {
  /** A lab or data-centre rack: 15–35 °C, up to ~2 years of operation. */
  indoor: { temperaturesC: [15, 20, 25, 30, 35], ageHours: [0, 1000, 5000, 17_500] },
  /** An edge device outdoors: −10–55 °C, up to ~6 years. */
  outdoor: { temperaturesC: [-10, 0, 10, 25, 40, 55], ageHours: [0, 1000, 10_000, 50_000] },
} as const;

export const OperationConfig = z
  .object({
    profile: z.enum(['custom', 'indoor', 'outdoor']).default('custom'),
    temperaturesC: z.array(temperature()).max(64).default([]),
    ageHours: z.array(z.number().nonnegative().finite()).max(64).default([]),
    policies: z.array(MaintenancePolicy).min(1).default(['none', 'recalibrate']),
    /** Epochs in the loop of the `fine-tune` policy. */
    fineTuneEpochs: z.number().int().min(1).max(100).default(2),
    /** Accuracy points below the deployment accuracy that still count as kept (derived ranges, cheapest policy). */
    tolerancePoints: z.number().positive().max(100).default(2),
  })
  .strict()
  .superRefine((o, ctx) => {
    const custom = o.temperaturesC.length > 0 || o.ageHours.length > 0;
    if (o.profile !== 'custom' && custom) {
      ctx.addIssue({ code: 'custom', path: ['profile'], message: `profile '${o.profile}' sets the schedule; leave temperaturesC and ageHours empty or use profile 'custom'` });
    }
  });
export type OperationConfig = z.infer<typeof OperationConfig>;

/** One policy applied at one condition. Costs are the policy's own chip work (not the test run). */
export const PolicyOutcome = z.object({
  policy: MaintenancePolicy,
  testAccuracy: z.number().min(0).max(1),
  hardwareTimeMs: z.number().nonnegative(),
  energyJ: z.number().nonnegative(),
  chipRuns: z.number().int().nonnegative(),
});
export type PolicyOutcome = z.infer<typeof PolicyOutcome>;

export const ConditionOutcome = z.object({
  /** Which schedule the condition belongs to: the temperature sweep or the ageing sweep. */
  axis: z.enum(['temperature', 'age']),
  temperatureC: z.number(),
  ageHours: z.number().nonnegative(),
  policies: z.array(PolicyOutcome),
});
export type ConditionOutcome = z.infer<typeof ConditionOutcome>;

/** A policy over the whole schedule. */
export const PolicySummary = z.object({
  policy: MaintenancePolicy,
  worstAccuracy: z.number().min(0).max(1),
  /** Largest drop below the deployment accuracy over the schedule, points (≤ 0: never below). */
  maxDropPoints: z.number(),
  /** Within `tolerancePoints` of the deployment accuracy at every condition. */
  keepsAccuracy: z.boolean(),
  hardwareTimeMs: z.number().nonnegative(),
  energyJ: z.number().nonnegative(),
  chipRuns: z.number().int().nonnegative(),
});
export type PolicySummary = z.infer<typeof PolicySummary>;

export const OperationResult = z.object({
  /** Test accuracy on the deployment chip at the deployment conditions. */
  deploymentAccuracy: z.number().min(0).max(1),
  tolerancePoints: z.number(),
  conditions: z.array(ConditionOutcome),
  /** Contiguous temperature range around the deployment temperature where `none` stays within tolerance; null if even the nearest scheduled temperature does not. */
  temperatureRangeC: z.tuple([z.number(), z.number()]).nullable(),
  /** First scheduled age at which `none` falls below tolerance; null if it never does within the schedule. */
  hoursUntilBelowTolerance: z.number().nullable(),
  policies: z.array(PolicySummary),
  /** The policy with the least chip time that keeps accuracy within tolerance everywhere; null if none does. */
  cheapestPolicyKeepingAccuracy: MaintenancePolicy.nullable(),
});
export type OperationResult = z.infer<typeof OperationResult>;

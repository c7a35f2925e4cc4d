import { z } from 'zod';
import { TrainingConfig, trialCommonShape } from '../trial-common.ts';

/**
 * Surrogate-gradient training (BPTT through a discrete-time LIF network).
 * OWNED BY THE ENGINE I WORK: the engine may reshape these blocks; the defaults are the
 * documented default config of the method.
 */
export const SurrogateTrialConfig = z
  .object({
    method: z.literal('surrogate'),
    ...trialCommonShape,
    training: TrainingConfig.prefault({}),
  })
  .strict();
export type SurrogateTrialConfig = z.infer<typeof SurrogateTrialConfig>;

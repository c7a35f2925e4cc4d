/**
 * The emulated chip as a served device (`spikesweep device serve --chip-seed S`): the server is
 * one chip instance, fixed by its mismatch seed; each session's Configure may send the rest of
 * the trial's chip config and its noise stream in `options_json`,
 *
 *   {"chip": {…ChipConfig without or with the same mismatchSeed…}, "noiseSeed": n, "noisePurpose": "…"}
 *
 * so the chip behind the protocol draws exactly what the in-process chip of that trial draws
 * (the same config gives bit-identical runs). A session asking for another mismatch seed is
 * refused: the chip is part of the result.
 */
import { z } from 'zod';
import { DeviceError, ValidationError } from '../contracts/errors.ts';
import { ChipConfig } from '../contracts/trial-common.ts';
import { emulatedChip } from '../engine/chip/emulated.ts';
import type { DeviceFactory } from './server.ts';

export const EmulatedChipOptions = z.object({
  chip: z.record(z.string(), z.unknown()).default({}),
  noiseSeed: z.number().int().nonnegative().default(0),
  noisePurpose: z.string().min(1).default('chip-trial-noise'),
});
export type EmulatedChipOptions = z.infer<typeof EmulatedChipOptions>;

export function emulatedChipFactory(mismatchSeed: number): DeviceFactory {
  const invalid = (prefix: string, error: z.ZodError) =>
    new ValidationError('spikesweep:invalid-config', error.issues.map((i) => ({ path: [prefix, ...i.path.map(String)].join('.'), message: i.message })));
  const chipFor = (options: unknown) => {
    const parsed = EmulatedChipOptions.safeParse(options ?? {});
    if (!parsed.success) throw invalid('options_json', parsed.error);
    const asked = parsed.data.chip.mismatchSeed;
    if (asked !== undefined && asked !== mismatchSeed) {
      throw new DeviceError('spikesweep:device-rejected', `options_json.chip.mismatchSeed: this device is chip ${mismatchSeed}, the session asks for chip ${String(asked)}`);
    }
    const chip = ChipConfig.safeParse({ ...parsed.data.chip, mismatchSeed });
    if (!chip.success) throw invalid('options_json.chip', chip.error);
    return emulatedChip(chip.data, { noiseSeed: parsed.data.noiseSeed, noisePurpose: parsed.data.noisePurpose });
  };
  return {
    description: `SpikeSweep's emulated BrainScaleS-2-like chip, mismatch seed ${mismatchSeed}`,
    capabilities: () => chipFor({}).capabilities(),
    create: chipFor,
  };
}

import { ValidationError } from '../../shared/contracts/index.ts';

/** Commander argument parser for `--workers <n>`: an integer ≥ 1, else a ValidationError naming the flag. */
export function positiveWorkers(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new ValidationError('spikesweep:invalid-input', [{ path: '--workers', message: 'must be an integer ≥ 1' }]);
  return n;
}

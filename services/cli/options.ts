import { ValidationError } from '../../shared/contracts/index.ts';

/** Commander argument parser for `--workers <n>`: an integer ≥ 1, else a ValidationError naming the flag. */
export function positiveWorkers(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new ValidationError('spikesweep:invalid-input', [{ path: '--workers', message: 'must be an integer ≥ 1' }]);
  return n;
}

/** Commander argument parser for `--stop-timeout <seconds>`: a number in (0, 3600], else a ValidationError naming the flag. */
export function stopTimeoutSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 3600) {
    throw new ValidationError('spikesweep:invalid-input', [{ path: '--stop-timeout', message: 'must be a number of seconds in (0, 3600]' }]);
  }
  return n;
}

import type { z } from 'zod';
import { ValidationError } from './errors.ts';

/** Renders a zod issue path as `training.learningRate` or `axes[2].values`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/**
 * Parses `input` with `schema`; on failure throws a ValidationError whose issues name the
 * field path and the reason (the CLI prints them on one line, the APIs answer 400 with them).
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  code: 'spikesweep:invalid-config' | 'spikesweep:invalid-spec' | 'spikesweep:invalid-input',
  prefix = '',
): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => {
    const path = formatPath(issue.path);
    return { path: prefix && path ? `${prefix}.${path}` : prefix || path, message: issue.message };
  });
  throw new ValidationError(code, issues, { cause: parsed.error });
}

import { TooLargeError } from './errors.ts';

/**
 * Size limits on untrusted structured input (a sweep spec, a request body), checked before
 * any schema, recursion or expansion touches it, so that no input can exhaust the stack, the
 * heap or the event loop. The walk is iterative (an explicit stack), so the check itself
 * cannot overflow, and it stops at the first value over a limit.
 */
export interface InputLimits {
  /** Deepest nesting of arrays/objects (the top-level value is depth 1). */
  maxDepth: number;
  /** Longest array. */
  maxArrayLength: number;
  /** Most keys in one object. */
  maxObjectKeys: number;
  /** Longest string, in UTF-16 code units, keys included. */
  maxStringLength: number;
  /** Most values in total (every array element, object value and scalar counts once). */
  maxNodes: number;
}

/** Limits of a sweep spec: generous for real studies, far below what would hurt a service. */
export const SPEC_LIMITS: InputLimits = {
  maxDepth: 32,
  maxArrayLength: 10_000,
  maxObjectKeys: 1_000,
  maxStringLength: 10_000,
  maxNodes: 200_000,
};

/** Largest spec text (YAML or JSON) read by the CLI or the API, bytes. */
export const SPEC_MAX_BYTES = 2_000_000;

/** Throws TooLargeError naming the path of the first value over a limit. */
export function assertWithinLimits(value: unknown, limits: InputLimits = SPEC_LIMITS): void {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: '', depth: 1 }];
  let nodes = 0;
  const fail = (path: string, message: string): never => {
    throw new TooLargeError([{ path, message }]);
  };
  while (stack.length > 0) {
    const { value: v, path, depth } = stack.pop() as { value: unknown; path: string; depth: number };
    if (++nodes > limits.maxNodes) fail('', `more than ${limits.maxNodes} values in total`);
    if (typeof v === 'string') {
      if (v.length > limits.maxStringLength) fail(path, `a string longer than ${limits.maxStringLength} characters`);
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth > limits.maxDepth) fail(path, `nested deeper than ${limits.maxDepth} levels`);
    if (Array.isArray(v)) {
      if (v.length > limits.maxArrayLength) fail(path, `a list longer than ${limits.maxArrayLength} values`);
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: `${path}[${i}]`, depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(v);
    if (keys.length > limits.maxObjectKeys) fail(path, `an object with more than ${limits.maxObjectKeys} keys`);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      const child = path === '' ? key : `${path}.${key}`;
      if (key.length > limits.maxStringLength) fail(path, `a key longer than ${limits.maxStringLength} characters`);
      stack.push({ value: (v as Record<string, unknown>)[key], path: child, depth: depth + 1 });
    }
  }
}

/**
 * Deepest bracket nesting (`[` `{`) of a JSON or YAML flow text, outside quoted strings: lets
 * a reader refuse `[[[[…` before a recursive parser sees it. Block (indented) YAML nests
 * at most √(2·bytes) levels, so a byte limit bounds it.
 */
export function bracketDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') max = Math.max(max, ++depth);
    else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
  }
  return max;
}

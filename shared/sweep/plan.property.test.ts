import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NotImplementedError, SpikeSweepError, TooLargeError, ValidationError } from '../contracts/index.ts';
import { httpStatusOf } from '../http/errors.ts';
import { parseSpecText, planSweep } from './plan.ts';

/** Arbitrary input reaches the planner: it plans or throws one of the 4xx errors, nothing else. */
function plansOrRefuses(input: () => unknown): void {
  try {
    input();
  } catch (error) {
    expect([ValidationError, TooLargeError, NotImplementedError].some((k) => error instanceof k)).toBe(true);
    const status = httpStatusOf(error as SpikeSweepError);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
  }
}

const base = { method: 'surrogate', training: { epochs: 1 } };
const axis = fc.oneof(
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  fc.record({ range: fc.tuple(fc.integer({ min: -2, max: 4 }), fc.integer({ min: -2, max: 4 })) }),
  fc.record({ int: fc.tuple(fc.integer(), fc.integer()) }),
  fc.record({ loguniform: fc.tuple(fc.double(), fc.double()) }),
  fc.anything({ maxDepth: 2 }),
);
const spec = fc.record(
  {
    name: fc.oneof(fc.constant('p'), fc.string({ maxLength: 8 })),
    base: fc.oneof(fc.constant(base), fc.anything({ maxDepth: 3 })),
    axes: fc.dictionary(fc.oneof(fc.constantFrom('seed', 'method', 'training.learningRate', 'chip.mismatchSeed'), fc.string({ maxLength: 6 })), axis, { maxKeys: 3 }),
    strategy: fc.oneof(fc.constant('grid'), fc.record({ kind: fc.constantFrom('random', 'grid'), count: fc.integer({ min: -1, max: 3 }), seed: fc.integer() })),
    repeats: fc.integer({ min: -1, max: 3 }),
    limits: fc.record({ maxTrials: fc.oneof(fc.integer({ min: -1, max: 30 }), fc.double()) }),
    earlyStopping: fc.anything({ maxDepth: 1 }),
  },
  { requiredKeys: [] },
);

describe('spec parser and planner under arbitrary input (fast-check)', () => {
  it('arbitrary values plan or are refused with a 4xx error', () => {
    fc.assert(fc.property(fc.anything({ maxDepth: 4 }), (value) => plansOrRefuses(() => planSweep(value))), { numRuns: 300, seed: 16 });
  });
  it('spec-shaped values plan or are refused with a 4xx error', () => {
    fc.assert(fc.property(spec, (value) => plansOrRefuses(() => planSweep(value))), { numRuns: 300, seed: 16 });
  });
  it('arbitrary text parses or is refused with a 4xx error', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => plansOrRefuses(() => planSweep(parseSpecText(text, 'text')))), { numRuns: 300, seed: 16 });
  });
});

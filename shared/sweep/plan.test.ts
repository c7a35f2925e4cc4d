import { describe, expect, it } from 'vitest';
import {
  assertWithinLimits,
  bracketDepth,
  MAX_TRIALS_CAP,
  SPEC_LIMITS,
  SPEC_MAX_BYTES,
  SpikeSweepError,
  TooLargeError,
  ValidationError,
  parseTrialConfig,
  trialIdOf,
} from '../contracts/index.ts';
import {
  countPlannedTrials,
  formatSpecPath,
  parseSpecText,
  planSweep,
  planSweepInChunks,
  preparePlan,
  setPath,
  sweepIdOf,
  parseSweepSpec,
  uniformDraw,
} from './plan.ts';

const base = { method: 'surrogate', training: { epochs: 2 } };

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return [...error.issues];
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('planSweep', () => {
  it('crosses grid axes in sorted-path order, with repeats varying the seed', () => {
    const plan = planSweep({
      name: 'grid',
      base,
      axes: { 'chip.mismatchSeed': { range: [3, 6] }, 'training.learningRate': [0.001, 0.01] },
      repeats: 2,
    });
    expect(plan.trials).toHaveLength(3 * 2 * 2);
    expect(plan.axes).toEqual(['chip.mismatchSeed', 'training.learningRate', 'seed']);
    const rows = plan.trials.map((t) => [t.config.chip.mismatchSeed, t.config.training.learningRate, t.config.seed]);
    expect(rows.slice(0, 4)).toEqual([
      [3, 0.001, 0],
      [3, 0.001, 1],
      [3, 0.01, 0],
      [3, 0.01, 1],
    ]);
    expect(new Set(rows.map((r) => r[0]))).toEqual(new Set([3, 4, 5]));
    for (const trial of plan.trials) expect(trial.trialId).toBe(trialIdOf(parseTrialConfig(trial.config)));
  });

  it('gives the same ids for the same spec and other ids for another spec', () => {
    const spec = { name: 'same', base, axes: { seed: [0, 1, 2] } };
    const a = planSweep(spec);
    const b = planSweep(structuredClone(spec));
    expect(b.sweepId).toBe(a.sweepId);
    expect(b.trials.map((t) => t.trialId)).toEqual(a.trials.map((t) => t.trialId));
    expect(new Set(a.trials.map((t) => t.trialId)).size).toBe(3);
    const c = planSweep({ ...spec, axes: { seed: [0, 1, 3] } });
    expect(c.sweepId).not.toBe(a.sweepId);
    expect(c.trials.map((t) => t.trialId).slice(0, 2)).toEqual(a.trials.map((t) => t.trialId).slice(0, 2));
  });

  it('sweep id ignores key order and spelled-out defaults', () => {
    const a = planSweep({ name: 'x', base, axes: { seed: [0] } });
    const b = planSweep({ axes: { seed: [0] }, base, name: 'x', repeats: 1, strategy: 'grid' });
    expect(b.sweepId).toBe(a.sweepId);
    expect(sweepIdOf(parseSweepSpec({ name: 'x', base, axes: { seed: [0] } }))).toBe(a.sweepId);
    expect(sweepIdOf(parseSweepSpec({ name: 'x', base, axes: { seed: [1] } }))).not.toBe(a.sweepId);
  });

  it('collapses duplicate configs to one trial', () => {
    const plan = planSweep({ name: 'dup', base, axes: { seed: [1, 1, 2] } });
    expect(plan.trials.map((t) => t.config.seed)).toEqual([1, 2]);
  });

  it('random strategy: seeded draws within bounds, crossed with the grid axes', () => {
    const spec = {
      name: 'random',
      base,
      strategy: { kind: 'random', count: 5, seed: 7 },
      axes: {
        'training.learningRate': { loguniform: [1e-4, 1e-1] },
        'training.adamBeta1': { uniform: [0.8, 0.95] },
        'training.batchSize': { int: [8, 10] },
        'chip.mismatchSeed': { range: [0, 2] },
      },
    };
    const plan = planSweep(spec);
    expect(plan.trials).toHaveLength(10);
    for (const { config } of plan.trials) {
      expect(config.training.learningRate).toBeGreaterThanOrEqual(1e-4);
      expect(config.training.learningRate).toBeLessThan(1e-1);
      expect(config.training.adamBeta1).toBeGreaterThanOrEqual(0.8);
      expect(config.training.adamBeta1).toBeLessThan(0.95);
      expect([8, 9, 10]).toContain(config.training.batchSize);
    }
    // Each point is crossed with both chips: same lr for trial 2k and 2k+1.
    expect(plan.trials[0]?.config.training.learningRate).toBe(plan.trials[1]?.config.training.learningRate);
    expect(plan.trials[0]?.config.chip.mismatchSeed).toBe(0);
    expect(plan.trials[1]?.config.chip.mismatchSeed).toBe(1);
    expect(planSweep(spec).trials.map((t) => t.trialId)).toEqual(plan.trials.map((t) => t.trialId));
    const other = planSweep({ ...spec, strategy: { kind: 'random', count: 5, seed: 8 } });
    expect(other.trials[0]?.config.training.learningRate).not.toBe(plan.trials[0]?.config.training.learningRate);
  });

  it('uniformDraw is in [0, 1) and roughly uniform', () => {
    let sum = 0;
    for (let i = 0; i < 2000; i++) {
      const u = uniformDraw(1, i, 'x');
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      sum += u;
    }
    expect(sum / 2000).toBeGreaterThan(0.47);
    expect(sum / 2000).toBeLessThan(0.53);
  });

  it('names the spec path of a bad axis bound', () => {
    expect(issuesOf(() => planSweep({ name: 'bad', base, strategy: { kind: 'random', count: 2 }, axes: { 'training.learningRate': { loguniform: [0, 1] } } }))).toEqual([
      { path: 'axes["training.learningRate"].loguniform[0]', message: 'must be > 0' },
    ]);
    expect(issuesOf(() => planSweep({ name: 'bad', base, axes: { seed: { range: [5, 5] } } }))[0]?.path).toBe('axes["seed"].range');
    expect(issuesOf(() => planSweep({ name: 'bad', base, axes: { seed: { between: [1, 2] } } }))[0]?.path).toBe('axes["seed"]');
    expect(issuesOf(() => planSweep({ name: 'bad', base, axes: { seed: [] } }))[0]?.path).toBe('axes["seed"]');
  });

  it('names the axis value that makes a config invalid, or the base field', () => {
    expect(issuesOf(() => planSweep({ name: 'bad', base, axes: { seed: [0, -1] } }))).toEqual([
      { path: 'axes["seed"][1]', message: expect.stringMatching(/>=\s*0/) },
    ]);
    const issues = issuesOf(() => planSweep({ name: 'bad', base: { ...base, training: { epochs: 0 } }, axes: { seed: [0] } }));
    expect(issues[0]?.path).toBe('base.training.epochs');
    const unknown = issuesOf(() => planSweep({ name: 'bad', base, axes: { 'training.learningRat': [0.1] } }));
    expect(unknown[0]?.path).toMatch(/^axes\["training\.learningRat"\]|^base\.training/);
  });

  it('rejects sampled axes under grid, seed axes with repeats, and plans over the limit', () => {
    expect(issuesOf(() => planSweep({ name: 'bad', base, axes: { 'training.learningRate': { uniform: [0.1, 0.2] } } }))[0]?.path).toBe(
      'axes["training.learningRate"]',
    );
    expect(issuesOf(() => planSweep({ name: 'bad', base, repeats: 2, axes: { seed: [0, 1] } }))[0]?.path).toBe('repeats');
    expect(issuesOf(() => planSweep({ name: 'big', base, limits: { maxTrials: 3 }, axes: { seed: { range: [0, 4] } } }))[0]).toEqual({
      path: 'limits.maxTrials',
      message: 'the plan has 4 trials, more than limits.maxTrials = 3',
    });
  });

  it('rejects unknown methods and modes, naming the axis value', () => {
    expect(issuesOf(() => planSweep({ name: 'm', base, axes: { method: ['surrogate', 'backprop'] } }))[0]?.path).toBe('axes["method"][1]');
    expect(issuesOf(() => planSweep({ name: 'm', base, axes: { mode: ['simulation', 'on-paper'] } }))[0]?.path).toBe('axes["mode"][1]');
    expect(issuesOf(() => planSweep({ name: 'm', base: { method: 'backprop' } }))[0]?.path).toBe('base.method');
  });

  it('every method and mode the engine registers plans', () => {
    const plan = planSweep({ name: 'all', base, axes: { method: ['surrogate', 'spike-time', 'eventprop'], mode: ['simulation', 'in-the-loop', 'transfer'] } });
    expect(plan.trials).toHaveLength(9);
  });

  it('top-level spec errors name the field', () => {
    expect(issuesOf(() => planSweep({ name: '', base }))[0]?.path).toBe('name');
    expect(issuesOf(() => planSweep({ name: 'x', base, strategy: { kind: 'random' } }))[0]?.path).toBe('strategy.count');
    expect(issuesOf(() => planSweep({ name: 'x', base, extra: 1 }))[0]?.message).toMatch(/extra/);
  });
});

describe('helpers', () => {
  it('setPath copies and creates objects', () => {
    const target = { a: { b: 1 } };
    expect(setPath(target, 'a.c.d', 2)).toEqual({ a: { b: 1, c: { d: 2 } } });
    expect(target).toEqual({ a: { b: 1 } });
    expect(() => setPath({ a: 1 }, 'a.b', 2)).toThrow(ValidationError);
  });
  it('formatSpecPath quotes axis keys', () => {
    expect(formatSpecPath(['axes', 'training.learningRate', 'loguniform', 0])).toBe('axes["training.learningRate"].loguniform[0]');
    expect(formatSpecPath(['axes', 'seed', 2])).toBe('axes["seed"][2]');
    expect(formatSpecPath(['limits', 'maxTrials'])).toBe('limits.maxTrials');
  });
});

/** The error a call throws (or a failure when it returns). */
function thrownBy(fn: () => unknown): SpikeSweepError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SpikeSweepError) return error;
    throw error;
  }
  throw new Error('expected a SpikeSweepError');
}

function nested(depth: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('planning cannot be abused', () => {
  it('counts trials from the axis sizes before expanding anything', () => {
    const spec = parseSweepSpec({ name: 'c', base, strategy: { kind: 'random', count: 7 }, repeats: 3, axes: { a: [1, 2], b: { range: [10, 15] }, c: { uniform: [0, 1] } } });
    expect(countPlannedTrials(spec)).toBe(7 * 2 * 5 * 3);
    expect(preparePlan({ name: 'p', base, axes: { seed: { range: [0, 3] } } }).count).toBe(3);
  });

  it('refuses a 10⁹-value range, a 10⁷ and a 10⁸ grid from the count, without building a point', () => {
    const seed = thrownBy(() => planSweep({ name: 'r', base, axes: { seed: { range: [0, 1_000_000_000] } } }));
    expect(seed).toBeInstanceOf(ValidationError);
    expect((seed as ValidationError).issues).toEqual([{ path: 'limits.maxTrials', message: 'the plan has 1000000000 trials, more than limits.maxTrials = 10000' }]);
    const axes = { seed: { range: [0, 10_000] }, 'chip.mismatchSeed': { range: [0, 1000] } };
    expect(thrownBy(() => planSweep({ name: 'g7', base, axes, limits: { maxTrials: 100_000 } })).code).toBe('spikesweep:invalid-spec');
    const g8 = { ...axes, 'training.learningRate': [0.1, 0.01, 0.001, 0.0001, 0.00001, 0.2, 0.02, 0.002, 0.0002, 0.00002] };
    expect(thrownBy(() => planSweep({ name: 'g8', base, axes: g8 })).message).toMatch(/100000000 trials/);
  });

  it('caps limits.maxTrials in the schema, and lower on a server', () => {
    const over = thrownBy(() => planSweep({ name: 'cap', base, limits: { maxTrials: MAX_TRIALS_CAP + 1 } }));
    expect((over as ValidationError).issues[0]?.path).toBe('limits.maxTrials');
    const server = thrownBy(() => preparePlan({ name: 's', base, axes: { seed: { range: [0, 50] } } }, { maxTrials: 10 }));
    expect(server).toBeInstanceOf(TooLargeError);
    expect(server.code).toBe('spikesweep:too-large');
  });

  it('refuses deep nesting, long lists, long strings and too many keys with the path', () => {
    const deep = thrownBy(() => planSweep({ name: 'd', base, axes: { 'training.x': [nested(50_000)] } }));
    expect(deep).toBeInstanceOf(TooLargeError);
    expect((deep as TooLargeError).issues[0]?.path).toMatch(/^axes\.training\.x\[0\]/);
    expect((thrownBy(() => planSweep({ name: 'l', base, axes: { seed: Array.from({ length: 10_001 }, (_, i) => i) } })) as TooLargeError).issues[0]?.path).toBe('axes.seed');
    expect((thrownBy(() => planSweep({ name: 's', base, description: 'x'.repeat(10_001) })) as TooLargeError).issues[0]?.path).toBe('description');
    const wide = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`k${i}`, i]));
    expect((thrownBy(() => planSweep({ name: 'w', base: { ...base, wide } })) as TooLargeError).issues[0]?.path).toBe('base.wide');
    expect(() => assertWithinLimits(nested(10), { ...SPEC_LIMITS, maxNodes: 5 })).toThrow(/more than 5 values/);
  });

  it('parseSpecText refuses deep brackets before parsing and names a YAML error', () => {
    const text = `{"name": "n", "base": {}, "axes": {"x": [${'['.repeat(50_000)}${']'.repeat(50_000)}]}}`;
    expect(thrownBy(() => parseSpecText(text, 'the body'))).toBeInstanceOf(TooLargeError);
    expect(bracketDepth('{"a": "[[[[", b: [1, [2]]}')).toBe(3);
    expect(thrownBy(() => parseSpecText('a: [1, 2', 'spec.yaml')).message).toMatch(/^\(root\): spec.yaml is not valid YAML or JSON/);
    expect(thrownBy(() => parseSpecText('x'.repeat(SPEC_MAX_BYTES + 1), 'big.yaml')).code).toBe('spikesweep:too-large');
    expect(parseSpecText('name: ok\nbase: {method: surrogate}\n', 'ok.yaml')).toEqual({ name: 'ok', base: { method: 'surrogate' } });
  });

  it('planSweepInChunks plans exactly what planSweep plans', async () => {
    const spec = { name: 'chunks', base, axes: { seed: { range: [0, 7] }, 'chip.mismatchSeed': [1, 2] } };
    const chunked = await planSweepInChunks(preparePlan(spec), { chunkSize: 3 });
    const plain = planSweep(spec);
    expect(chunked.sweepId).toBe(plain.sweepId);
    expect(chunked.trials.map((t) => t.trialId)).toEqual(plain.trials.map((t) => t.trialId));
  });
});

import { describe, expect, it } from 'vitest';
import { ValidationError, parseTrialConfig, trialIdOf } from '../contracts/index.ts';
import { formatSpecPath, planSweep, setPath, sweepIdOf, parseSweepSpec, uniformDraw } from './plan.ts';

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
    expect(sweepIdOf(parseSweepSpec({ name: 'x', base, axes: { seed: [0] } }), ['other-trial'])).not.toBe(a.sweepId);
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

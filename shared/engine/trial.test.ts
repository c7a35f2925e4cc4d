import { describe, expect, it } from 'vitest';
import { parseTrialConfig, TrialResult, ValidationError, type TrialConfig, type TrialResult as Result } from '../contracts/index.ts';
import { runTrial, startTrial } from './trial.ts';

/** A small trial: a few seconds, enough to exercise every part of the loop. */
function tiny(overrides: Record<string, unknown> = {}): TrialConfig {
  return parseTrialConfig({
    method: 'surrogate',
    seed: 3,
    dataset: { trainSize: 300, validationSize: 150, testSize: 150 },
    network: { hiddenSize: 30 },
    training: { epochs: 4, batchSize: 25, learningRate: 0.005 },
    ...overrides,
  });
}

/** The result without wall-clock times (not part of determinism). */
function deterministicPart(r: Result): unknown {
  return { ...r, wallTimeMs: 0, epochs: r.epochs.map((e) => ({ ...e, wallTimeMs: 0 })) };
}

describe('trial session', () => {
  it('runs to a valid result; the same config and seed give an identical result', async () => {
    const a = await runTrial(tiny());
    const b = await runTrial(tiny());
    expect(() => TrialResult.parse(a)).not.toThrow();
    expect(a.status).toBe('completed');
    expect(a.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(a.testAccuracy).not.toBeNull();
    expect(deterministicPart(a)).toEqual(deterministicPart(b));
    const other = await runTrial(tiny({ seed: 4 }));
    expect(other.epochs[0]!.trainLoss).not.toBe(a.epochs[0]!.trainLoss);
    expect(other.trialId).not.toBe(a.trialId);
  });

  it('checkpoint after epoch 2 and resume (through JSON) equals the uninterrupted run bit for bit', async () => {
    const config = tiny();
    const whole = await runTrial(config);
    const first = startTrial(config);
    await first.runEpoch();
    await first.runEpoch();
    const checkpoint = JSON.parse(JSON.stringify(first.checkpoint()));
    const resumed = startTrial(config, checkpoint);
    expect(resumed.epochsDone).toBe(2);
    while (!resumed.finished) await resumed.runEpoch();
    const r = (await resumed.finish());
    expect(deterministicPart(r)).toEqual(deterministicPart(whole));
  });

  it('restores the best-validation parameters and reports that epoch', async () => {
    const r = await runTrial(tiny({ training: { epochs: 5, batchSize: 25, learningRate: 0.005 } }));
    const best = Math.max(...r.epochs.map((e) => e.validationAccuracy));
    expect(r.epochs[r.bestEpoch - 1]!.validationAccuracy).toBe(best);
    expect(r.validationAccuracy).toBe(best);
  });

  it('stops early when validation accuracy stalls', async () => {
    const r = await runTrial(tiny({ training: { epochs: 50, batchSize: 25, learningRate: 1e-9, earlyStoppingPatience: 2 } }));
    expect(r.status).toBe('completed');
    expect(r.epochs.length).toBe(3);
  });

  it('a divergence (non-finite loss) is a result with a reason, not an exception', async () => {
    const r = await runTrial(tiny({ init: { outputWeightMean: 1e308, outputWeightSd: 0 } }));
    expect(r.status).toBe('diverged');
    expect(r.error).toMatch(/non-finite/);
    expect(() => TrialResult.parse(r)).not.toThrow();
  });

  it('pruning finishes with status pruned', async () => {
    const s = startTrial(tiny());
    await s.runEpoch();
    expect((await s.finish('pruned')).status).toBe('pruned');
  });

  it('rejects a checkpoint of another trial', async () => {
    const s = startTrial(tiny());
    await s.runEpoch();
    expect(() => startTrial(tiny({ seed: 9 }), s.checkpoint())).toThrow(/checkpoint is of trial/);
  });
});

describe('divergence: one status for every method and mode', () => {
  const methods = ['surrogate', 'spike-time', 'eventprop'] as const;
  const modes = ['simulation', 'in-the-loop', 'transfer'] as const;
  const small = (method: string, mode: string, learningRate: number) =>
    parseTrialConfig({
      method,
      mode,
      seed: 1,
      dataset: { trainSize: 40, validationSize: 20, testSize: 20 },
      training: { epochs: 2, batchSize: 20, learningRate },
    });

  for (const method of methods) {
    for (const mode of modes) {
      for (const learningRate of [1e300, 1.7e308]) {
        it(`${method}, ${mode}, lr ${learningRate}: diverged in epoch 1 with the reason, finite parameters kept`, async () => {
          const r = await runTrial(small(method, mode, learningRate));
          expect(r.status).toBe('diverged');
          expect(r.error).toMatch(/^diverged at epoch 1, minibatch 1: (exploding|non-finite) (weight|loss|gradient)/);
          expect(r.epochs).toHaveLength(1);
          expect(() => TrialResult.parse(r)).not.toThrow();
        });
      }
    }
  }

  it('a sound learning rate is not mistaken for divergence', async () => {
    for (const method of methods) expect((await runTrial(small(method, 'simulation', 0.005))).status).toBe('completed');
  });
});

describe('trial config validation', () => {
  it('names the field path of a bad value', async () => {
    const bad = (input: unknown) => {
      try {
        parseTrialConfig(input);
      } catch (e) {
        expect(e).toBeInstanceOf(ValidationError);
        return (e as ValidationError).issues.map((i) => i.path);
      }
      throw new Error('accepted a bad config');
    };
    expect(bad({ method: 'surrogate', training: { learningRate: -1 } })).toEqual(['training.learningRate']);
    expect(bad({ method: 'surrogate', surrogate: { beta: 0 } })).toEqual(['surrogate.beta']);
    expect(bad({ method: 'surrogate', surrogate: { shape: 'box' } })).toEqual(['surrogate.shape']);
    expect(bad({ method: 'surrogate', network: { hiddenSize: 2.5 } })).toEqual(['network.hiddenSize']);
    expect(bad({ method: 'surrogate', neuron: { vThreshold: -1 } })).toEqual(['neuron.vThreshold']);
    expect(bad({ method: 'surrogate', simulation: { timesteps: 40 } })).toEqual(['simulation']);
  });

  it('keeps the paths the dashboard relies on', async () => {
    const c = parseTrialConfig({ method: 'surrogate' });
    expect(c.method === 'surrogate' && c.training.learningRate).toBe(0.002);
    expect(c.method === 'surrogate' && c.surrogate.beta).toBe(5);
  });

  it('rejects an unknown mode naming the field', async () => {
    expect(() => parseTrialConfig({ method: 'surrogate', mode: 'quantum' })).toThrow(/^mode: /);
  });

});

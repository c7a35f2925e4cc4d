import { describe, expect, it } from 'vitest';
import { parseTrialConfig, type TrialConfig } from '../../../contracts/index.ts';
import type { EventPropTrialConfig } from '../../../contracts/methods/eventprop.ts';
import { yinYangSplit } from '../../data/yinyang.ts';
import { streamFor } from '../../random.ts';
import { runTrial } from '../../trial.ts';
import { initializeWeights } from '../spike-time/index.ts';
import type { FirstSpikeData } from '../../event/first-spike-model.ts';
import { createEventPropModel } from './index.ts';
import type { EventPropNetwork } from './network.ts';

describe('EventProp network', () => {
  function multiSpikeCount(overrides: object, samples: number): number {
    const config = parseTrialConfig({ method: 'eventprop', ...overrides }) as EventPropTrialConfig;
    const model = createEventPropModel(config);
    initializeWeights(model, config.init, streamFor(0, 'init'));
    const data = model.prepare(yinYangSplit('train', { size: samples })) as FirstSpikeData;
    const net = model.network as EventPropNetwork;
    let multi = 0;
    for (let n = 0; n < data.size; n++) {
      net.forward(data.inputTimes, n * 5, model.params, model.modelParams);
      for (let h = 0; h < net.nHidden; h++) if (net.hiddenSpikes.counts[h]! > 1) multi++;
    }
    return multi;
  }

  it('hidden neurons fire more than once (multi-spike is exercised)', async () => {
    // The paper's initialisation is sparse: a few hidden neurons fire twice at the start.
    expect(multiSpikeCount({}, 20)).toBeGreaterThan(0);
    // Stronger input weights: most spiking hidden neurons fire several times per sample.
    expect(multiSpikeCount({ init: { hiddenWeightMean: 4, hiddenWeightSd: 2 } }, 20)).toBeGreaterThan(20 * 10);
  });
});

describe('determinism', () => {
  const small = (method: 'spike-time' | 'eventprop'): TrialConfig =>
    parseTrialConfig({
      method,
      seed: 3,
      dataset: { trainSize: 200, validationSize: 100, testSize: 100 },
      training: { epochs: 2, batchSize: 20 },
      network: { hiddenSize: 16 },
    });
  for (const method of ['spike-time', 'eventprop'] as const) {
    it(`${method}: the same config and seed give identical results`, async () => {
      const strip = (r: Awaited<ReturnType<typeof runTrial>>) => ({ ...r, wallTimeMs: 0, epochs: r.epochs.map((e) => ({ ...e, wallTimeMs: 0 })) });
      const a = strip(await runTrial(small(method)));
      const b = strip(await runTrial(small(method)));
      expect(a.status).toBe('completed');
      expect(b).toEqual(a);
      const other = strip(await runTrial({ ...small(method), seed: 4 }));
      expect(other.epochs.map((e) => e.trainLoss)).not.toEqual(a.epochs.map((e) => e.trainLoss));
    });
  }
});

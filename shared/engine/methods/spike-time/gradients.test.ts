import { describe, expect, it } from 'vitest';
import { parseTrialConfig } from '../../../contracts/index.ts';
import type { SpikeTimeTrialConfig } from '../../../contracts/methods/spike-time.ts';
import { yinYangSplit } from '../../data/yinyang.ts';
import { createFirstSpikeScratch, firstSpikeLayer, sortInputs } from '../../event/first-spike.ts';
import { lambertW0 } from '../../event/lambert-w.ts';
import { uniformLifParams } from '../../event/lif.ts';
import { streamFor } from '../../random.ts';
import { firstSpikeLayerBackward } from './gradients.ts';
import { createSpikeTimeModel, initializeWeights } from './index.ts';
import { ttfsLoss } from '../../event/first-spike-loss.ts';

describe('analytic TTFS derivatives', () => {
  it('equal the closed forms of Göltz et al. for τ_m = τ_s', () => {
    const tau = 1;
    const theta = 1;
    const times = new Float64Array([0.3, 0.1, 0.5, 2.5]);
    const weights = new Float64Array([1.2, 0.8, 0.9, 5]);
    const params = uniformLifParams(1, { vThreshold: theta, tauMemMs: tau, tauSynMs: tau });
    const scratch = createFirstSpikeScratch(4, 1);
    sortInputs(times, 0, 4, scratch);
    const out = new Float64Array(1);
    firstSpikeLayer(times, 0, 4, weights, params, out, 0, 1, scratch);
    const gradW = new Float64Array(4);
    const gradIn = new Float64Array(4);
    firstSpikeLayerBackward(4, weights, params, out, 0, 1, new Float64Array([1]), 0, scratch, gradW, gradIn);
    const t = out[0]!;
    let a = 0;
    let b = 0;
    for (let i = 0; i < 3; i++) {
      a += weights[i]! * Math.exp(times[i]! / tau);
      b += weights[i]! * (times[i]! / tau) * Math.exp(times[i]! / tau);
    }
    const w = lambertW0(-(theta / a) * Math.exp(b / a));
    for (let i = 0; i < 3; i++) {
      const ti = times[i]!;
      const dw = (-(t - ti) * Math.exp(ti / tau)) / (a * (1 + w));
      const dt = (-weights[i]! * Math.exp(ti / tau) * (t - ti - tau)) / (tau * a * (1 + w));
      expect(gradW[i]).toBeCloseTo(dw, 12);
      expect(gradIn[i]).toBeCloseTo(dt, 12);
    }
    // The fourth input arrives after t*: no influence.
    expect(gradW[3]).toBe(0);
    expect(gradIn[3]).toBe(0);
  });

  it('∂t*/∂t_in matches finite differences through both layers', () => {
    const config = parseTrialConfig({ method: 'spike-time', network: { hiddenSize: 20 } }) as SpikeTimeTrialConfig;
    const model = createSpikeTimeModel(config);
    initializeWeights(model, config.init, streamFor(1, 'init'));
    const data = model.prepare(yinYangSplit('train', { size: 3 }));
    const inputs = (data as unknown as { inputTimes: Float64Array }).inputTimes;
    const net = model.network;
    const grads = { hiddenWeights: new Float64Array(model.params.hiddenWeights.length), outputWeights: new Float64Array(model.params.outputWeights.length) };
    const gradIn = new Float64Array(inputs.length);
    const lossAt = (): number => {
      net.forward(inputs, 0, model.params, model.modelParams);
      return net.lossAndBackward(data.labels[0]!, config.loss, model.params, model.modelParams, null, 1);
    };
    net.forward(inputs, 0, model.params, model.modelParams);
    net.lossAndBackward(data.labels[0]!, config.loss, model.params, model.modelParams, grads, 1, gradIn, 0);
    let checked = 0;
    for (let i = 0; i < 5; i++) {
      const t0 = inputs[i]!;
      const h = 1e-6;
      inputs[i] = t0 + h;
      const plus = lossAt();
      inputs[i] = t0 - h;
      const minus = lossAt();
      inputs[i] = t0;
      const fd = (plus - minus) / (2 * h);
      expect(Math.abs(gradIn[i]! - fd)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
      if (gradIn[i] !== 0) checked++;
    }
    expect(checked).toBeGreaterThan(2);
  });
});

describe('TTFS loss', () => {
  const loss = { softmaxTauMs: 2, regularizerTauMs: 10, regularizerStrength: 0.005, missingLabelPenalty: 5 };
  it('is cross-entropy of softmax(−t/τ₀) plus the regulariser, with its derivative', () => {
    const t = new Float64Array([3, 4, Infinity]);
    const grad = new Float64Array(3);
    const value = ttfsLoss(t, 0, 3, 1, loss, grad);
    const p1 = Math.exp(-4 / 2) / (Math.exp(-3 / 2) + Math.exp(-4 / 2));
    expect(value).toBeCloseTo(-Math.log(p1) + 0.005 * (Math.exp(4 / 10) - 1), 14);
    for (let k = 0; k < 2; k++) {
      const h = 1e-6;
      const tp = new Float64Array(t);
      tp[k] = tp[k]! + h;
      const tm = new Float64Array(t);
      tm[k] = tm[k]! - h;
      expect(grad[k]).toBeCloseTo((ttfsLoss(tp, 0, 3, 1, loss, null) - ttfsLoss(tm, 0, 3, 1, loss, null)) / (2 * h), 8);
    }
    expect(grad[2]).toBe(0);
  });

  it('a silent label neuron costs the fixed penalty and gives no gradient', () => {
    const grad = new Float64Array(3).fill(7);
    expect(ttfsLoss(new Float64Array([3, Infinity, 2]), 0, 3, 1, loss, grad)).toBe(5);
    expect(Array.from(grad)).toEqual([0, 0, 0]);
  });
});

describe('weight bumping', () => {
  it('raises the input weights of silent neurons and zeroes that minibatch’s gradient', () => {
    const config = parseTrialConfig({ method: 'spike-time', network: { hiddenSize: 10 }, init: { hiddenWeightMean: -1, hiddenWeightSd: 0.1 } }) as SpikeTimeTrialConfig;
    const model = createSpikeTimeModel(config);
    initializeWeights(model, config.init, streamFor(0, 'init'));
    const data = model.prepare(yinYangSplit('train', { size: 10 }));
    const order = new Int32Array(10).map((_, i) => i);
    const before = new Float64Array(model.params.hiddenWeights);
    model.lossAndGradient(data, order, 0, 10);
    expect(model.grads.hiddenWeights.every((g) => g === 0)).toBe(true);
    model.afterStep();
    for (let i = 0; i < before.length; i++) expect(model.params.hiddenWeights[i]).toBeCloseTo(before[i]! + config.bumping.bumpValue, 15);
    // A second consecutive bump of the same layer doubles the value.
    model.lossAndGradient(data, order, 0, 10);
    model.afterStep();
    for (let i = 0; i < before.length; i++) expect(model.params.hiddenWeights[i]).toBeCloseTo(before[i]! + 3 * config.bumping.bumpValue, 15);
  });
});

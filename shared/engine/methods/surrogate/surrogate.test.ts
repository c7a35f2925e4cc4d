import { describe, expect, it } from 'vitest';
import { parseTrialConfig } from '../../../contracts/index.ts';
import type { SurrogateTrialConfig } from '../../../contracts/methods/surrogate.ts';
import { generateYinYang } from '../../data/yinyang.ts';
import { encodeTtfs, ENCODED_INPUTS } from '../../data/encoding.ts';
import { Mt19937 } from '../../random.ts';
import type { SurrogateShape } from '../../discrete/surrogate-fn.ts';
import { SurrogateData, SurrogateModel } from './index.ts';
import { lossAndGradientReference, type SpikeFunction } from './reference.ts';

const nH = 12;
const T = 30;

function smallConfig(surrogate: Partial<SurrogateTrialConfig['surrogate']> = {}): SurrogateTrialConfig {
  return parseTrialConfig({
    method: 'surrogate',
    network: { hiddenSize: nH },
    simulation: { dtMs: 1, timeSteps: T },
    neuron: { tauMemMs: 8, tauSynMs: 4, vLeak: 0, vThreshold: 1, vReset: -0.1 },
    readout: { tauMemMs: 6, tauSynMs: 6 },
    surrogate,
  }) as SurrogateTrialConfig;
}

function randomWeights(model: SurrogateModel, seed: number): void {
  const rng = new Mt19937(seed);
  model.params.inputWeights.forEach((_, j, a) => (a[j] = rng.normal(1.6, 1.5)));
  model.params.outputWeights.forEach((_, j, a) => (a[j] = rng.normal(0, 1)));
}

const data = generateYinYang(8, 5);

function batchGradient(model: SurrogateModel, prepared: SurrogateData): { loss: number; gIn: Float64Array; gOut: Float64Array } {
  const order = Int32Array.from({ length: prepared.size }, (_, i) => i);
  const stats = model.lossAndGradient(prepared, order, 0, prepared.size);
  return { loss: stats.lossSum / prepared.size, gIn: Float64Array.from(model.grads.inputWeights), gOut: Float64Array.from(model.grads.outputWeights) };
}

describe('surrogate kernel equals the readable reference', () => {
  for (const shape of ['superspike', 'sigmoid', 'triangle'] as const) {
    for (const resetGradient of ['detached', 'full'] as const) {
      it(`${shape}, reset gradient ${resetGradient}: loss, prediction and gradients to 1e-12`, () => {
        const config = smallConfig({ shape, beta: 4, resetGradient });
        const model = new SurrogateModel(config);
        randomWeights(model, 3);
        const prepared = model.prepare(data);
        const fast = batchGradient(model, prepared);
        const times = encodeTtfs(data, config.encoding);
        const spike: SpikeFunction = { shape, beta: 4, resetGradient, forward: 'heaviside' };
        const { hidden, output } = model.coefficients;
        let loss = 0;
        const gIn = new Float64Array(fast.gIn.length);
        const gOut = new Float64Array(fast.gOut.length);
        let spikes = 0;
        for (let n = 0; n < data.size; n++) {
          const r = lossAndGradientReference(times.subarray(n * ENCODED_INPUTS, (n + 1) * ENCODED_INPUTS), data.labels[n]!, model.params, hidden, output, T, spike);
          loss += r.loss / data.size;
          r.gradInput.forEach((g, j) => (gIn[j] = gIn[j]! + g / data.size));
          r.gradOutput.forEach((g, j) => (gOut[j] = gOut[j]! + g / data.size));
          for (const s of r.trajectory.sHidden) spikes += s.reduce((a, b) => a + b, 0);
        }
        expect(spikes).toBeGreaterThan(0); // the check is about a spiking network
        expect(Math.abs(fast.loss - loss)).toBeLessThanOrEqual(1e-12);
        fast.gIn.forEach((g, j) => expect(Math.abs(g - gIn[j]!)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(g))));
        fast.gOut.forEach((g, j) => expect(Math.abs(g - gOut[j]!)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(g))));
        expect(gIn.some((g) => g !== 0)).toBe(true);
      });
    }
  }
});

/**
 * The proxy network: the same network with the smooth spike function s = S(U − ϑ) in the
 * forward pass, S' = the surrogate. Its true gradient is what BPTT computes with the `full`
 * reset gradient; checked against central finite differences of the proxy's loss.
 */
describe('surrogate BPTT equals finite differences of the smooth proxy network', () => {
  const cases: [SurrogateShape, number][] = [
    ['superspike', 5],
    ['sigmoid', 4],
    ['triangle', 1.5],
  ];
  for (const [shape, beta] of cases) {
    it(`${shape} (β = ${beta}): every weight's gradient to 1e-6 relative`, () => {
      const config = smallConfig({ shape, beta, resetGradient: 'full' });
      const model = new SurrogateModel(config, 'smooth');
      randomWeights(model, 11);
      const prepared = model.prepare(data);
      const { gIn, gOut } = batchGradient(model, prepared);
      const lossAt = () => batchGradient(model, prepared).loss;
      const h = 1e-6;
      let checked = 0;
      for (const [name, g] of [
        ['inputWeights', gIn],
        ['outputWeights', gOut],
      ] as const) {
        const w = model.params[name];
        for (let j = 0; j < w.length; j++) {
          const w0 = w[j]!;
          w[j] = w0 + h;
          const up = lossAt();
          w[j] = w0 - h;
          const down = lossAt();
          w[j] = w0;
          const fd = (up - down) / (2 * h);
          expect(Math.abs(fd - g[j]!)).toBeLessThanOrEqual(1e-6 * Math.max(1e-2, Math.abs(fd)));
          checked++;
        }
      }
      expect(checked).toBe(nH * ENCODED_INPUTS + 3 * nH);
      expect(Math.max(...gIn.map(Math.abs))).toBeGreaterThan(1e-4);
    });
  }
});

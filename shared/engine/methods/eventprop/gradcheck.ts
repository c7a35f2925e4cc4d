/**
 * Gradient checks for the event-based methods (`spikesweep gradcheck`): on one minibatch of
 * a freshly initialised network, the method's gradient of the mean loss is compared with
 * central finite differences of the same loss, and — where the two methods describe the same
 * network — the analytic TTFS gradient with the EventProp gradient.
 *
 * Finite differences: for each weight w, L(w ± h) with h = relativeStep·max(1, |w|). A
 * difference quotient is only meaningful where the loss is smooth: if either probe changes
 * the network's causal structure (a spike appears or vanishes, or an input moves across a
 * spike — the networks' `signature`), the parameter is reported in `skipped` and left out.
 *
 * Analytic vs EventProp: for τ_m = τ_s or τ_m = 2τ_s the spike-time closed forms exist, and
 * on a network whose neurons fire at most once both methods must give the same gradient. The
 * comparison runs the config's weights through a first-spike network (TtfsNetwork) and an
 * EventProp network limited to one spike per neuron with no time limit.
 */
import type { EventPropTrialConfig } from '../../../contracts/methods/eventprop.ts';
import type { SpikeTimeTrialConfig } from '../../../contracts/methods/spike-time.ts';
import type { TtfsLossConfig } from '../../../contracts/methods/spike-time.ts';
import { yinYangSplit } from '../../data/yinyang.ts';
import { streamFor } from '../../random.ts';
import { createSpikeTimeModel, initializeWeights } from '../spike-time/index.ts';
import type { FirstSpikeData, FirstSpikeModel } from '../../event/first-spike-model.ts';
import { runBatch, TtfsNetwork, type SpikeNetwork, type TtfsLayerParams, type TtfsWeights } from '../spike-time/network.ts';
import { createEventPropModel } from './index.ts';
import { EventPropNetwork } from './network.ts';

export interface GradcheckOptions {
  /** Samples in the minibatch (drawn from the training split by the seed). */
  readonly batchSize: number;
  /** Finite-difference step relative to max(1, |w|). */
  readonly relativeStep: number;
  /** Check at most this many weights (evenly strided over all weights); 0 = all. */
  readonly maxParameters: number;
}

export const DEFAULT_GRADCHECK_OPTIONS: GradcheckOptions = { batchSize: 16, relativeStep: 1e-6, maxParameters: 0 };

export interface GradientComparison {
  /** cos∠(g, g_ref). */
  readonly cosine: number;
  /** ‖g − g_ref‖ / ‖g_ref‖. */
  readonly relativeError: number;
  /** max |g − g_ref|. */
  readonly maxAbsoluteError: number;
  /** ‖g_ref‖. */
  readonly referenceNorm: number;
}

export interface SkippedParameter {
  readonly parameter: string;
  readonly index: number;
  readonly reason: 'causal-structure-changes' | 'non-finite-loss';
}

export interface GradcheckReport extends GradientComparison {
  readonly method: 'spike-time' | 'eventprop';
  readonly seed: number;
  readonly batchSize: number;
  readonly loss: number;
  readonly relativeStep: number;
  readonly checkedParameters: number;
  readonly skippedParameters: number;
  readonly skipped: readonly SkippedParameter[];
  /** Analytic TTFS vs EventProp on the first-spike network (τ_m/τ_s ∈ {1, 2}), else null. */
  readonly analyticVsEventprop: (GradientComparison & { readonly comparedParameters: number }) | null;
}

export function compareGradients(g: ArrayLike<number>, ref: ArrayLike<number>): GradientComparison {
  let dot = 0;
  let gg = 0;
  let rr = 0;
  let dd = 0;
  let maxAbs = 0;
  for (let i = 0; i < ref.length; i++) {
    const a = g[i]!;
    const b = ref[i]!;
    dot += a * b;
    gg += a * a;
    rr += b * b;
    dd += (a - b) * (a - b);
    maxAbs = Math.max(maxAbs, Math.abs(a - b));
  }
  const cosine = gg === 0 && rr === 0 ? 1 : dot / Math.sqrt(gg * rr);
  const relativeError = rr === 0 ? (dd === 0 ? 0 : Infinity) : Math.sqrt(dd / rr);
  return { cosine, relativeError, maxAbsoluteError: maxAbs, referenceNorm: Math.sqrt(rr) };
}

interface Problem {
  readonly net: SpikeNetwork & { signature(out: Int32Array, offset: number): number; readonly signatureLength: number };
  readonly weights: TtfsWeights;
  readonly params: TtfsLayerParams;
  readonly loss: TtfsLossConfig;
  readonly data: FirstSpikeData;
  readonly order: Int32Array;
  readonly count: number;
}

/** Mean loss of the minibatch and its causal signature. */
function lossAndSignature(p: Problem, signature: Int32Array): number {
  let sum = 0;
  let off = 0;
  for (let j = 0; j < p.count; j++) {
    const n = p.order[j]!;
    p.net.forward(p.data.inputTimes, n * p.net.nIn, p.weights, p.params);
    sum += p.net.lossAndBackward(p.data.labels[n]!, p.loss, p.weights, p.params, null, 1);
    off = p.net.signature(signature, off);
  }
  return sum / p.count;
}

function sameSignature(a: Int32Array, b: Int32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function setUp(config: SpikeTimeTrialConfig | EventPropTrialConfig, seed: number, batchSize: number): { model: FirstSpikeModel; data: FirstSpikeData; order: Int32Array } {
  const model = config.method === 'spike-time' ? createSpikeTimeModel(config) : createEventPropModel(config);
  initializeWeights(model, config.init, streamFor(seed, 'init'));
  const train = yinYangSplit('train', { size: config.dataset.trainSize, seed: config.dataset.trainSeed });
  const data = model.prepare(train) as FirstSpikeData;
  const order = streamFor(seed, 'gradcheck-batch').permutation(train.size).subarray(0, Math.min(batchSize, train.size));
  return { model, data, order };
}

/**
 * Runs the check for `config` (its method, network and loss) on a network initialised from
 * `seed` as a trial with that seed would be, and a minibatch drawn by `seed`.
 */
export function gradcheck(
  config: SpikeTimeTrialConfig | EventPropTrialConfig,
  seed: number,
  options: GradcheckOptions = DEFAULT_GRADCHECK_OPTIONS,
): GradcheckReport {
  const { model, data, order } = setUp(config, seed, options.batchSize);
  const net = model.network as Problem['net'];
  const problem: Problem = { net, weights: model.params, params: model.modelParams, loss: model.options.loss, data, order, count: order.length };
  const grads: TtfsWeights = { hiddenWeights: new Float64Array(model.params.hiddenWeights.length), outputWeights: new Float64Array(model.params.outputWeights.length) };
  const { lossSum } = runBatch(net, data.inputTimes, data.labels, order, 0, order.length, model.params, model.modelParams, problem.loss, grads);
  const base = new Int32Array(net.signatureLength * order.length);
  const probe = new Int32Array(base.length);
  lossAndSignature(problem, base);

  const names = ['hiddenWeights', 'outputWeights'] as const;
  const total = model.params.hiddenWeights.length + model.params.outputWeights.length;
  const stride = options.maxParameters > 0 ? Math.max(1, Math.ceil(total / options.maxParameters)) : 1;
  const analytic: number[] = [];
  const numeric: number[] = [];
  const skipped: SkippedParameter[] = [];
  let flat = 0;
  for (const name of names) {
    const w = model.params[name];
    for (let i = 0; i < w.length; i++, flat++) {
      if (flat % stride !== 0) continue;
      const w0 = w[i]!;
      const h = options.relativeStep * Math.max(1, Math.abs(w0));
      w[i] = w0 + h;
      const lPlus = lossAndSignature(problem, probe);
      const plusSame = sameSignature(base, probe);
      w[i] = w0 - h;
      const lMinus = lossAndSignature(problem, probe);
      const minusSame = sameSignature(base, probe);
      w[i] = w0;
      if (!Number.isFinite(lPlus) || !Number.isFinite(lMinus)) {
        skipped.push({ parameter: name, index: i, reason: 'non-finite-loss' });
        continue;
      }
      if (!plusSame || !minusSame) {
        skipped.push({ parameter: name, index: i, reason: 'causal-structure-changes' });
        continue;
      }
      analytic.push(grads[name][i]!);
      numeric.push((lPlus - lMinus) / (2 * h));
    }
  }
  const comparison = compareGradients(analytic, numeric);
  return {
    method: config.method,
    seed,
    batchSize: order.length,
    loss: lossSum / order.length,
    relativeStep: options.relativeStep,
    ...comparison,
    checkedParameters: analytic.length,
    skippedParameters: skipped.length,
    skipped,
    analyticVsEventprop: analyticVsEventprop(model, data, order),
  };
}

/**
 * Analytic TTFS gradient vs EventProp gradient for the model's weights on a first-spike
 * network (every neuron fires at most once, no time limit); null unless every neuron has
 * τ_m = τ_s or τ_m = 2τ_s (where the spike-time closed forms apply).
 */
export function analyticVsEventprop(model: FirstSpikeModel, data: FirstSpikeData, order: Int32Array): (GradientComparison & { comparedParameters: number }) | null {
  const p = model.modelParams;
  for (const layer of [p.hidden, p.output]) {
    for (let n = 0; n < layer.tauMemMs.length; n++) {
      const r = layer.tauMemMs[n]! / layer.tauSynMs[n]!;
      if (r !== 1 && r !== 2) return null;
    }
  }
  const src = model.network;
  const bias = src instanceof TtfsNetwork ? src.outputBiasTimeMs : src instanceof EventPropNetwork ? src.outputBiasTimeMs : null;
  const ttfs = new TtfsNetwork(src.nIn, src.nHidden, src.nOut, bias);
  const ep = new EventPropNetwork(src.nIn, src.nHidden, src.nOut, bias, 1, Infinity);
  const size = (w: TtfsWeights) => ({ hiddenWeights: new Float64Array(w.hiddenWeights.length), outputWeights: new Float64Array(w.outputWeights.length) });
  const gA = size(model.params);
  const gE = size(model.params);
  runBatch(ttfs, data.inputTimes, data.labels, order, 0, order.length, model.params, p, model.options.loss, gA);
  runBatch(ep, data.inputTimes, data.labels, order, 0, order.length, model.params, p, model.options.loss, gE);
  const a = [...gA.hiddenWeights, ...gA.outputWeights];
  const e = [...gE.hiddenWeights, ...gE.outputWeights];
  return { ...compareGradients(e, a), comparedParameters: a.length };
}

/**
 * Training throughput of the default surrogate config: samples per second of forward + BPTT
 * backward (the kernel's `lossAndGradient` on minibatches of the training split, no optimiser
 * step), on one core, and the floating-point operations per sample the kernel performs.
 *
 *   nice -n 10 node --import tsx bench/surrogate-throughput.ts [--seconds 10] [--config overrides.json]
 *
 * Goal (issue 3): ≥ 20,000 training samples/s per core at 40 time steps.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseTrialConfig } from '../shared/contracts/index.ts';
import type { SurrogateTrialConfig } from '../shared/contracts/methods/surrogate.ts';
import { ENCODED_INPUTS } from '../shared/engine/data/encoding.ts';
import { YINYANG_CLASSES, yinYangSplit } from '../shared/engine/data/yinyang.ts';
import { surrogateMethod, type SurrogateModel } from '../shared/engine/methods/surrogate/index.ts';
import { streamFor } from '../shared/engine/random.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, config: { type: 'string' } } });
const overrides = values.config ? (JSON.parse(readFileSync(values.config, 'utf8')) as object) : {};
const config = parseTrialConfig({ method: 'surrogate', ...overrides }) as SurrogateTrialConfig;
const train = yinYangSplit('train');
const model = surrogateMethod.createModel(config, streamFor(config.seed, 'init'), train);
const data = model.prepare(train);
const order = streamFor(0, 'bench-order').permutation(train.size);
const batch = config.training.batchSize;

function runFor(ms: number): { samples: number; ms: number; cpuMs: number } {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let samples = 0;
  let start = 0;
  while (performance.now() - t0 < ms) {
    const count = Math.min(batch, train.size - start);
    model.lossAndGradient(data, order, start, count);
    samples += count;
    start = start + count >= train.size ? 0 : start + count;
  }
  const c = process.cpuUsage(c0);
  return { samples, ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
}

runFor(1500); // warm-up (JIT)
const seconds = Number(values.seconds);
const { samples, ms, cpuMs } = runFor(seconds * 1000);
// Per CPU-second of this process: on a shared machine, wall time includes waiting for a core.
const perSecond = samples / (cpuMs / 1000);
const perWallSecond = samples / (ms / 1000);

// Spike activity of the initial network on the training split (affects the sparse parts).
const predicted = new Int32Array(train.size);
model.predict(data, predicted);
const hiddenSpikes = (model as SurrogateModel).meanHiddenSpikes;

// Floating-point operations the kernel performs per sample (counted from its loops):
// forward per step: readout 7·nO, hidden membrane/current 6·nH, threshold 1·nH, per hidden spike 2·nO;
// input jumps 4·nH per input; backward per step per hidden neuron: 2·nO (∂L/∂s) + 5 (surrogate,
// superspike) + 4 (∂L/∂U) + 3 (propagation), per hidden spike 2·nO, readout 6·nO; input-weight
// gradients 4·nH per input. Loss and softmax are negligible.
const T = config.simulation.timeSteps;
const nH = config.network.hiddenSize;
const nO = YINYANG_CLASSES;
const forward = T * (7 * nO + 7 * nH) + hiddenSpikes * 2 * nO + ENCODED_INPUTS * 4 * nH;
const backward = T * (nH * (2 * nO + 12) + 6 * nO) + hiddenSpikes * 2 * nO + ENCODED_INPUTS * 4 * nH;
const flops = forward + backward;

/**
 * Machine reference: the cheapest loop of the same shape (nH leaky neurons over T steps, one
 * multiply-add per state, threshold test, stores), forward only. On a shared or slow machine it
 * shows how much of the gap to the goal is the machine: no forward+backward can beat it.
 */
function machineReferenceUs(): number {
  const a = new Float64Array(nH).fill(0.85);
  const g = new Float64Array(nH).fill(0.14);
  const v = new Float64Array(nH);
  const c = new Float64Array(nH);
  const store = new Float64Array((T + 1) * nH);
  let sink = 0;
  const once = () => {
    for (let h = 0; h < nH; h++) {
      v[h] = 0;
      c[h] = 1.5 + h * 0.01;
    }
    for (let k = 1; k <= T; k++) {
      for (let h = 0; h < nH; h++) {
        const cc = c[h]!;
        const uh = a[h]! * v[h]! + g[h]! * cc;
        c[h] = a[h]! * cc;
        store[k * nH + h] = uh;
        v[h] = uh >= 1 ? 0 : uh;
      }
    }
    sink += v[0]!;
  };
  for (let i = 0; i < 2000; i++) once();
  const c0 = process.cpuUsage();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 2000) {
    once();
    n++;
  }
  const cpu = process.cpuUsage(c0);
  if (sink === Infinity) console.log(sink);
  return (cpu.user + cpu.system) / n;
}
const referenceUs = machineReferenceUs();

console.log(`surrogate throughput (default config: ${ENCODED_INPUTS}-${nH}-${nO}, T = ${T} steps, batch ${batch}, ${config.surrogate.shape})`);
console.log(`  samples/s per core (forward + backward, per CPU second): ${perSecond.toFixed(0)}   [${samples} samples in ${(cpuMs / 1000).toFixed(2)} CPU s]`);
console.log(`  samples/s wall clock: ${perWallSecond.toFixed(0)}   [${(ms / 1000).toFixed(2)} s; lower when other jobs share the cores]`);
console.log(`  µs/sample: ${(1e6 / perSecond).toFixed(1)}`);
console.log(`  hidden spikes/sample (initial net): ${hiddenSpikes.toFixed(1)}`);
console.log(`  FLOPs/sample: ${flops.toFixed(0)} (forward ${forward.toFixed(0)}, backward ${backward.toFixed(0)})  => ${((flops * perSecond) / 1e9).toFixed(2)} GFLOP/s`);
console.log(`  machine reference (forward-only minimal LIF loop, same size): ${referenceUs.toFixed(1)} µs/sample per CPU second; the kernel takes ${((1e6 / perSecond) / referenceUs).toFixed(1)}× that`);
console.log(`  goal 20000 samples/s/core: ${perSecond >= 20000 ? 'met' : `not met (${((100 * perSecond) / 20000).toFixed(0)} % of goal)`}`);

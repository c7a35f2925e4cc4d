import { describe, expect, it } from 'vitest';
import { parseTrialConfig, type TrialConfig } from '../../contracts/trial.ts';
import { ChipConfig } from '../../contracts/trial-common.ts';
import { generateYinYang } from '../data/yinyang.ts';
import type { Device, RunRequest, RunResult, SpikeTrainBatch } from '../device/types.ts';
import { methodFor } from '../methods/index.ts';
import type { MethodModel, PreparedData } from '../methods/types.ts';
import { streamFor } from '../random.ts';
import { runTrial } from '../trial.ts';
import { pspKernel } from '../event/lif.ts';
import { ENERGY_PER_SPIKE_J, ENERGY_PER_SYNAPTIC_EVENT_J, STATIC_POWER_W } from './cost.ts';
import { emulatedChip, simulationDevice } from './emulated.ts';
import { DeviceSession, emptyLedger } from './modes.ts';

const METHODS = ['surrogate', 'spike-time', 'eventprop'] as const;

function setup(method: (typeof METHODS)[number], extra: Record<string, unknown> = {}): { config: TrialConfig; model: MethodModel; data: PreparedData } {
  const config = parseTrialConfig({ method, seed: 1, dataset: { trainSize: 40 }, network: { hiddenSize: 24 }, ...extra });
  const train = generateYinYang(40, config.dataset.trainSeed);
  const model = methodFor(config).createModel(config, streamFor(config.seed, 'init'), train);
  return { config, model, data: model.prepare(train) };
}

/** A real device in front of another one, keeping every reply (or handing a changed one on). */
class Recording implements Device {
  readonly replies: RunResult[] = [];
  constructor(
    private readonly inner: Device,
    private readonly change: (r: RunResult) => RunResult = (r) => r,
  ) {}
  capabilities = () => this.inner.capabilities();
  configure = (n: Parameters<Device['configure']>[0]) => this.inner.configure(n);
  updateWeights = (w: Parameters<Device['updateWeights']>[0]) => this.inner.updateWeights(w);
  async run(batch: SpikeTrainBatch, request: RunRequest): Promise<RunResult> {
    const reply = this.change(await this.inner.run(batch, request));
    this.replies.push(reply);
    return reply;
  }
  probe = (r: Parameters<Device['probe']>[0]) => this.inner.probe(r);
  reset = () => this.inner.reset();
  close = () => this.inner.close();
}

const order = (n: number) => Int32Array.from({ length: n }, (_, k) => k);

describe('the ideal simulation as a Device', () => {
  for (const method of METHODS) {
    it(`${method}: predictions and gradients on the simulation device equal the model's, bit for bit`, async () => {
      const { model, data } = setup(method);
      const session = await DeviceSession.open(simulationDevice(), model.onDevice!, emptyLedger());
      const onModel = new Int32Array(data.size);
      model.predict(data, onModel);
      const onDevice = new Int32Array(data.size);
      await session.predict(model, data, onDevice);
      expect(Array.from(onDevice)).toEqual(Array.from(onModel));

      const o = order(data.size);
      const a = model.lossAndGradient(data, o, 0, 20);
      const gradsModel = Object.fromEntries(Object.entries(model.grads).map(([k, g]) => [k, Array.from(g)]));
      const b = await session.lossAndGradient(model, data, o, 0, 20);
      const gradsDevice = Object.fromEntries(Object.entries(model.grads).map(([k, g]) => [k, Array.from(g)]));
      expect(b).toEqual(a);
      expect(gradsDevice).toEqual(gradsModel);
      expect(Object.values(gradsModel).some((g) => g.some((x) => x !== 0))).toBe(true);
    });
  }
});

describe('the emulated chip as a Device: energy and read-out from what ran and what was returned', () => {
  for (const method of METHODS) {
    it(`${method}: energy = static + spike + synaptic-event terms of the reply; read-out bytes = what the replies held`, async () => {
      const { config, model, data } = setup(method);
      const device = new Recording(emulatedChip(config.chip, { noiseSeed: 1, noisePurpose: 'test' }));
      const ledger = emptyLedger();
      const session = await DeviceSession.open(device, model.onDevice!, ledger);
      await session.lossAndGradient(model, data, order(data.size), 0, 16);
      await session.predict(model, data, new Int32Array(data.size));
      const network = model.onDevice!.network();
      let bytes = 0;
      let energy = 0;
      let runs = 0;
      for (const reply of device.replies) {
        // what the device returned, counted here independently
        let spikeEvents = 0;
        for (const s of Object.values(reply.spikes)) spikeEvents += s.timesMs.length;
        let samples = 0;
        for (const m of Object.values(reply.membrane)) samples += m.values.length;
        for (const p of Object.values(reply.peak)) samples += p.values.length;
        bytes += 4 * spikeEvents + samples;
        // activity: every emitted spike is in the reply; each presynaptic spike reaches every neuron of the next layer
        const [hidden, output] = network.layers;
        let synaptic = 0;
        for (let n = 0; n < reply.samples; n++) {
          const hiddenSpikes = reply.spikes[hidden!.name]!.offsets[n + 1]! - reply.spikes[hidden!.name]!.offsets[n]!;
          synaptic += 5 * hidden!.size + (hiddenSpikes + (output!.biasSpikeTimeMs === null ? 0 : 1)) * output!.size;
        }
        expect(reply.activity).toEqual({ spikes: spikeEvents, synapticEvents: synaptic });
        expect(spikeEvents).toBeGreaterThan(0);
        const hwMs = (reply.samples * network.durationMs) / 1000;
        expect(reply.deviceTimeMs).toBeCloseTo(hwMs, 12);
        const eventTerms = ENERGY_PER_SPIKE_J * spikeEvents + ENERGY_PER_SYNAPTIC_EVENT_J * synaptic;
        expect(reply.energyJ! - STATIC_POWER_W * (hwMs / 1000)).toBeCloseTo(eventTerms, 15);
        energy += reply.energyJ!;
        runs += reply.samples;
      }
      expect(ledger.readoutBytes).toBe(bytes);
      expect(ledger.energyJ).toBeCloseTo(energy, 15);
      expect(ledger.runs).toBe(runs);
      expect(runs).toBe(16 + data.size);
    });
  }

  it('a trial reports read-out and energy over all its device runs (not the last evaluation)', async () => {
    for (const method of METHODS) {
      const r = await runTrial(parseTrialConfig({ method, mode: 'in-the-loop', dataset: { trainSize: 60, validationSize: 30, testSize: 30 }, training: { epochs: 1, batchSize: 30 }, network: { hiddenSize: 16 } }));
      expect(r.status).toBe('completed');
      const staticJ = STATIC_POWER_W * (r.hardwareTimeMs / 1000);
      // at least the synaptic events of the input spikes: 5 inputs × 16 hidden neurons per presentation
      expect(r.energyJ - staticJ).toBeGreaterThanOrEqual(r.chipRuns * 5 * 16 * ENERGY_PER_SYNAPTIC_EVENT_J * (1 - 1e-9));
      expect(r.readoutBytesPerSample).toBeGreaterThan(0);
      const sim = await runTrial(parseTrialConfig({ method, mode: 'simulation', dataset: { trainSize: 60, validationSize: 30, testSize: 30 }, training: { epochs: 1, batchSize: 30 }, network: { hiddenSize: 16 } }));
      expect(sim.readoutBytesPerSample).toBe(0);
      expect(sim.energyJ).toBe(0);
    }
  });
});

describe('device errors', () => {
  it('a device that returns malformed data fails with a clear reason naming what is wrong', async () => {
    const { config, model, data } = setup('spike-time');
    const cases: [string, (r: RunResult) => RunResult, RegExp][] = [
      ['wrong sample count', (r) => ({ ...r, samples: r.samples + 1 }), /reply has 17 samples, the batch 16/],
      [
        'slot out of range',
        (r) => ({ ...r, spikes: { ...r.spikes, hidden: { ...r.spikes.hidden!, slots: r.spikes.hidden!.slots.map(() => 999) } } }),
        /spikes of 'hidden': slot 999 outside 0…23/,
      ],
      ['layer missing', (r) => ({ ...r, spikes: { hidden: r.spikes.hidden! } }), /no spikes for layer 'output'/],
      ['negative energy', (r) => ({ ...r, energyJ: -1 }), /energy -1 J/],
    ];
    for (const [, change, message] of cases) {
      const device = new Recording(emulatedChip(config.chip, { noiseSeed: 1, noisePurpose: 'test' }), change);
      const session = await DeviceSession.open(device, model.onDevice!, emptyLedger());
      const error = await session.lossAndGradient(model, data, order(data.size), 0, 16).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'spikesweep:device-malformed', message: expect.stringMatching(message) });
    }
  });

  it('a network the chip cannot host is refused with the reason', async () => {
    const { model } = setup('spike-time', { network: { hiddenSize: 600 } });
    const error = await DeviceSession.open(emulatedChip(ChipConfig.parse({}), { noiseSeed: 1, noisePurpose: 'test' }), model.onDevice!, emptyLedger()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'spikesweep:device-rejected', message: expect.stringMatching(/refused the network: network needs \d+ synapse rows and 603 neurons; the device has 256 and 512/) });
  });
});

describe('probes (calibration stimuli)', () => {
  it('on the ideal device: rest is E_L, a PSP is E_L + w·κ(t − t_in) on the grid, a strong drive fires and resets', async () => {
    const { model } = setup('spike-time');
    const device = simulationDevice();
    await DeviceSession.open(device, model.onDevice!, emptyLedger());
    const hidden = model.onDevice!.network().layers[0]!;
    const { tauMemMs, tauSynMs, vLeak, vThreshold, vReset } = hidden.neurons;
    const rest = await device.probe({ kind: 'rest', layer: 'hidden', weight: 1, inputTimesMs: Float64Array.of(1), durationMs: 5, repetitions: 1 });
    expect(new Set(rest.membrane)).toEqual(new Set([vLeak[0]]));
    const psp = await device.probe({ kind: 'psp', layer: 'hidden', weight: 0.05, inputTimesMs: Float64Array.of(1.05), durationMs: 20, repetitions: 2 });
    expect(psp.steps).toBe(200);
    expect(psp.spikes.timesMs.length).toBe(0);
    for (const k of [0, 10, 11, 50, 200]) {
      const t = k * psp.dtMs;
      expect(psp.membrane[k * psp.size + 3]).toBeCloseTo(vLeak[3]! + 0.05 * pspKernel(t - 1.05, tauMemMs[3]!, tauSynMs[3]!), 12);
    }
    const drive = await device.probe({ kind: 'drive', layer: 'hidden', weight: 50, inputTimesMs: Float64Array.of(1, 6), durationMs: 15, repetitions: 1 });
    expect(drive.spikes.timesMs.length).toBeGreaterThanOrEqual(hidden.size);
    const first = drive.spikes.timesMs[0]!;
    const k = Math.round(first / drive.dtMs);
    expect(drive.membrane[k * drive.size]).toBeGreaterThanOrEqual(vThreshold[0]!);
    expect(drive.membrane[(k - 1) * drive.size]).toBeLessThan(vThreshold[0]!);
    expect(vReset[0]).toBeLessThan(vThreshold[0]!);
  });

  it('on the uncalibrated chip the rest probe shows each circuit\'s own leak, through the 8-bit ADC', async () => {
    const { model } = setup('spike-time');
    const chip = emulatedChip(ChipConfig.parse({ calibrated: false, noiseScale: 0, mismatchSeed: 5 }), { noiseSeed: 1, noisePurpose: 'test' });
    await DeviceSession.open(chip, model.onDevice!, emptyLedger());
    const rest = await chip.probe({ kind: 'rest', layer: 'hidden', weight: 0, inputTimesMs: new Float64Array(0), durationMs: 2, repetitions: 1 });
    const reply = await chip.run(model.onDevice!.inputs(setup('spike-time').data, null, 0, 1), { membrane: [], peak: [], internals: true });
    const leak = reply.internals!.neurons.hidden!.vLeak;
    const span = model.onDevice!.network().layers[0]!.neurons.vThreshold[0]!; // model E_L = 0
    const code = (2 * span) / 255;
    let differ = 0;
    for (let j = 0; j < rest.size; j++) {
      expect(Math.abs(rest.membrane[j]! - leak[j]!)).toBeLessThanOrEqual(code / 2 + 1e-12);
      if (Math.abs(leak[j]!) > code) differ++;
    }
    expect(differ).toBeGreaterThan(0); // mismatch moves leaks by more than one code
    await expect(chip.probe({ kind: 'psp', layer: 'nope', weight: 1, inputTimesMs: new Float64Array(0), durationMs: 1, repetitions: 1 })).rejects.toThrow(/probe of 'nope': no such layer/);
  });
});

/**
 * `spikesweep device identify --device ADDR`: the digital twin of a device (fit in
 * shared/device-protocol/identify.ts). Configures a method's default network on the device
 * (uncalibrated emulated chip with `--uncalibrated`), runs the probes, fits the profile and
 * prints it as JSON (or writes `--out FILE`). When the device states its parameters (an
 * emulator), the RMS errors of the fit against them; with `--twin-epochs E`, one network
 * trained in simulation is tested on the device and on the twin.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ValidationError } from '../../../shared/contracts/index.ts';
import { parseTrialConfig } from '../../../shared/contracts/trial.ts';
import { RemoteDevice } from '../../../shared/device-protocol/client.ts';
import { CHIP_CALIBRATION_RESIDUALS, DEFAULT_IDENTIFY, identifyDevice, profileErrors, profileNeurons, type ChipProfile } from '../../../shared/device-protocol/identify.ts';
import { EmulatedDevice } from '../../../shared/engine/chip/emulated.ts';
import { DeviceSession, emptyLedger } from '../../../shared/engine/chip/modes.ts';
import { generateYinYang } from '../../../shared/engine/data/yinyang.ts';
import type { Device, DeviceCapabilities } from '../../../shared/engine/device/types.ts';
import { methodFor } from '../../../shared/engine/methods/index.ts';
import type { MethodModel } from '../../../shared/engine/methods/types.ts';
import { streamFor } from '../../../shared/engine/random.ts';
import { startTrial } from '../../../shared/engine/trial.ts';

function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new ValidationError('spikesweep:invalid-input', [{ path: flag, message: `must be an integer ≥ 1, got '${value}'` }]);
    return n;
  };
}

/** The twin as a device: the profile's per-neuron values, the device's weight resolution, no noise. */
function twinOf(profile: ChipProfile, caps: DeviceCapabilities): Device {
  const steps = caps.weightBits === null ? null : 2 ** caps.weightBits - 1;
  return new EmulatedDevice({
    kind: 'twin',
    id: `twin:${profile.deviceId}`,
    circuits: () => ({
      neuronParams: (layer) => profileNeurons(profile, layer),
      applyWeights: (_name, model, out) => {
        if (steps === null) return void out.set(model);
        let max = 0;
        for (const w of model) max = Math.max(max, Math.abs(w));
        const lsb = max > 0 ? max / steps : 1;
        for (let i = 0; i < model.length; i++) out[i] = Math.max(-steps, Math.min(steps, Math.round(model[i]! / lsb))) * lsb;
      },
    }),
    weightBits: caps.weightBits,
    membraneBits: null,
    timeScale: null,
    maxNeurons: caps.maxNeurons,
    maxInputs: caps.maxInputs,
  });
}

export function register(device: Command): void {
  device
    .command('identify')
    .description('fit a digital twin (per-neuron E_L, τ_m, τ_s, ϑ, V_r) of a device from calibration probes over the protocol')
    .requiredOption('--device <address>', 'host:port of a device-protocol server')
    .option('--method <m>', 'whose default network to place and probe', 'spike-time')
    .option('--uncalibrated', 'ask an emulated chip to skip its calibration', false)
    .option('--repetitions <n>', 'repetitions of each probe', positiveInt('--repetitions'), DEFAULT_IDENTIFY.repetitions)
    .option('--twin-epochs <e>', 'train one network in simulation for E epochs and test it on the device and the twin', positiveInt('--twin-epochs'))
    .option('--twin-train-size <n>', 'training samples of that network', positiveInt('--twin-train-size'), 1000)
    .option('--out <file>', 'write the profile (and the report) here instead of stdout')
    .action(async (o: { device: string; method: string; uncalibrated: boolean; repetitions: number; twinEpochs?: number; twinTrainSize: number; out?: string }) => {
      const config = parseTrialConfig({ method: o.method, mode: 'simulation', seed: 0, dataset: { trainSize: o.twinTrainSize }, training: { epochs: o.twinEpochs ?? 1 } });
      const model: MethodModel = methodFor(config).createModel(config, streamFor(config.seed, 'init'), generateYinYang(config.dataset.trainSize, config.dataset.trainSeed));
      if (!model.onDevice) throw new ValidationError('spikesweep:invalid-input', [{ path: '--method', message: `'${o.method}' cannot run on a device` }]);
      const network = model.onDevice.network();
      const remote = new RemoteDevice(o.device, { configureOptions: { chip: { calibrated: !o.uncalibrated } } });
      try {
        const caps = await remote.capabilities();
        const configured = await remote.configure(network);
        if (!configured.ok) throw new ValidationError('spikesweep:invalid-input', [{ path: '--device', message: `the device refused the network: ${configured.reason}` }]);
        const t0 = performance.now();
        const profile = await identifyDevice(remote, network, { ...DEFAULT_IDENTIFY, repetitions: o.repetitions });
        const report: Record<string, unknown> = { profile, identifyWallMs: Math.round(performance.now() - t0) };
        if (caps.observables.includes('internals')) {
          await remote.updateWeights(model.params);
          const one = { samples: 1, offsets: Int32Array.of(0, 0), channels: new Int32Array(0), timesMs: new Float64Array(0) };
          const r = await remote.run(one, { membrane: [], peak: [], internals: true });
          if (r.internals) report.errors = { rmsRelative: profileErrors(profile, network, r.internals.neurons), calibrationResiduals: CHIP_CALIBRATION_RESIDUALS };
        }
        if (o.twinEpochs) {
          const session = startTrial(config);
          while (!session.finished) await session.runEpoch();
          const best = (session.checkpoint().state as { bestParams: Record<string, number[]> }).bestParams;
          for (const [name, values] of Object.entries(best)) model.params[name]!.set(values);
          const test = model.prepare(generateYinYang(config.dataset.testSize, config.dataset.testSeed));
          const onDevice = await (await DeviceSession.open(remote, model.onDevice, emptyLedger())).accuracy(model, test);
          const onTwin = await (await DeviceSession.open(twinOf(profile, caps), model.onDevice, emptyLedger())).accuracy(model, test);
          report.twin = { network: `${o.method}, ${config.dataset.trainSize} samples × ${o.twinEpochs} epochs in simulation`, testAccuracyOnDevice: onDevice, testAccuracyOnTwin: onTwin };
        }
        const text = `${JSON.stringify(report, null, 2)}\n`;
        if (o.out) writeFileSync(o.out, text);
        else process.stdout.write(text);
      } finally {
        await remote.close().catch(() => undefined);
      }
    });
}

/**
 * What the device protocol costs: one in-the-loop trial on the in-process emulated chip, then the
 * same trial through `spikesweep device serve` (a real server process on loopback, gRPC), and the
 * ratio of their wall times. The two results must be bit-identical (checked here too).
 *
 *   nice -n 10 node --import tsx bench/device-protocol.ts [--method spike-time] [--epochs 3]
 *       [--train-size 2000] [--chip 0]
 *
 * The method's default batch size; validation and test sets at their defaults (1000 each).
 * Goal (issue 11): through the protocol ≤ 1.2 × in-process.
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { parseTrialConfig, type TrialResult } from '../shared/contracts/trial.ts';
import { remoteDevices } from '../shared/device-protocol/index.ts';
import { runTrial } from '../shared/engine/trial.ts';

const { values } = parseArgs({
  options: {
    method: { type: 'string', default: 'spike-time' },
    epochs: { type: 'string', default: '3' },
    'train-size': { type: 'string', default: '2000' },
    chip: { type: 'string', default: '0' },
  },
});

const config = parseTrialConfig({
  method: values.method,
  mode: 'in-the-loop',
  seed: 0,
  chip: { mismatchSeed: Number(values.chip) },
  dataset: { trainSize: Number(values['train-size']) },
  training: { epochs: Number(values.epochs) },
});

const server = spawn(process.execPath, ['bin/spikesweep.js', 'device', 'serve', '--chip-seed', values.chip, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const address = await new Promise<string>((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /listening (\S+)/.exec(out);
    if (m) resolve(m[1]!);
  });
  server.once('exit', (code) => reject(new Error(`device server exited (${code})`)));
});

async function timed(label: string, run: () => Promise<TrialResult>): Promise<{ ms: number; result: TrialResult }> {
  const t0 = performance.now();
  const result = await run();
  const ms = performance.now() - t0;
  console.log(`${label}: ${(ms / 1000).toFixed(2)} s, test accuracy ${result.testAccuracy}, ${result.chipRuns} presentations`);
  return { ms, result };
}

try {
  console.log(`${config.method}, in-the-loop on chip ${values.chip}, ${config.dataset.trainSize} samples × ${config.training.epochs} epochs, batch ${config.training.batchSize}`);
  const local = await timed('in-process chip          ', () => runTrial(config));
  const remote = await timed('chip over the protocol   ', () => runTrial(config, { openDevice: remoteDevices(() => address) }));
  const strip = (r: TrialResult) => JSON.stringify({ ...r, wallTimeMs: 0, epochs: r.epochs.map((e) => ({ ...e, wallTimeMs: 0 })) });
  console.log(`results bit-identical: ${strip(local.result) === strip(remote.result)}`);
  console.log(`ratio protocol / in-process: ${(remote.ms / local.ms).toFixed(3)} (goal ≤ 1.2)`);
} finally {
  server.kill('SIGTERM');
}

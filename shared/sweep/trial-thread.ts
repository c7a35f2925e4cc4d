/**
 * Entry of a worker thread that runs trials with the engine, off the main event loop (so
 * BullMQ lock renewal, heartbeats and HTTP stay responsive). One trial at a time; the main
 * thread answers every `epoch` message with a decision (continue, prune, release).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FromThread, ToThread, TrialEngineModule } from './engine.ts';

if (!parentPort) throw new Error('trial-thread.ts must run in a worker thread');
const port = parentPort;
const { engineModule } = workerData as { engineModule: string };
// A TypeScript engine module (TRIAL_ENGINE_MODULE=my-engine.ts) loaded from the compiled
// thread needs the tsx loader, which the compiled build does not register on its own.
if (/\.[cm]?ts$/.test(engineModule) && !import.meta.url.endsWith('.ts')) (await import('tsx/esm/api')).register();
const engine = (await import(engineModule)) as TrialEngineModule;

const send = (message: FromThread): void => port.postMessage(message);

function nextDecision(): Promise<'continue' | 'prune' | 'release'> {
  return new Promise((resolve) => {
    port.once('message', (message: ToThread) => {
      if (message.type === 'decision') resolve(message.decision);
    });
  });
}

async function run(start: Extract<ToThread, { type: 'start' }>): Promise<void> {
  const session = await engine.startTrial(start.config, start.checkpoint ?? undefined, start.context);
  while (!session.finished) {
    const metrics = await session.runEpoch();
    const finished = session.finished;
    const due = !finished && session.epochsDone % start.checkpointEveryEpochs === 0;
    send({ type: 'epoch', metrics, checkpoint: due ? session.checkpoint() : null, finished });
    const decision = await nextDecision();
    if (decision === 'prune') {
      send({ type: 'finished', result: await session.finish('pruned') });
      return;
    }
    if (decision === 'release' && !finished) {
      send({ type: 'released', checkpoint: session.checkpoint() });
      return;
    }
  }
  send({ type: 'finished', result: await session.finish() });
}

port.on('message', (message: ToThread) => {
  if (message.type !== 'start') return;
  run(message).catch((error: unknown) => {
    const e = error as { message?: unknown; code?: unknown; retryable?: unknown; stack?: unknown };
    send({
      type: 'error',
      message: typeof e?.message === 'string' ? e.message : String(error),
      code: typeof e?.code === 'string' ? e.code : null,
      retryable: e?.retryable === true,
      stack: typeof e?.stack === 'string' ? e.stack : null,
    });
  });
});
send({ type: 'ready' });

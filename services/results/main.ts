/**
 * Results service entry: parses the env, starts telemetry before the instrumented libraries
 * load, then the service (./service.ts); closes on SIGTERM/SIGINT (a second signal forces exit).
 */
import { startTelemetry } from '../../shared/telemetry/index.ts';
import { jsonLogger, Lifecycle, redactEnv } from '../../shared/process/index.ts';
import { parseEnv } from './env.ts';

const log = jsonLogger('results');
const lifecycle = new Lifecycle(log);
lifecycle.handleSignals();
try {
  const env = parseEnv();
  log.info('starting', { env: redactEnv(env) });
  lifecycle.add('telemetry', startTelemetry('spikesweep-results'));
  const { startResultsService } = await import('./service.ts');
  const service = await startResultsService(env, { log });
  lifecycle.add('results service', () => service.close());
} catch (error) {
  log.error('start-up failed', { error: String(error) });
  await lifecycle.close();
  process.exit(1);
}

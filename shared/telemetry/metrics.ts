/**
 * The platform's OpenTelemetry metrics. Instruments come from the global MeterProvider that
 * `startTelemetry` registers (OTEL_METRICS_EXPORTER / OTEL_EXPORTER_OTLP_ENDPOINT switch it on);
 * without one they are the API's no-ops and cost next to nothing.
 *
 * | name | kind | unit | attributes | recorded by |
 * |---|---|---|---|---|
 * | `spikesweep.trials` | counter | {trial} | method, mode, status | the trial runner, once per final result |
 * | `spikesweep.trial.duration` | histogram | s | method, mode, status | the trial runner (wall time of the whole trial) |
 * | `spikesweep.training.samples` | counter | {sample} | method, mode | the trial runner, training-split size per epoch; samples/s = its rate |
 * | `spikesweep.queue.depth` | gauge | {job} | queue, state | the scheduler (`trials`, `results` × waiting/active/delayed/failed) |
 * | `spikesweep.queue.oldest_age` | gauge | s | queue | the scheduler, age of the oldest waiting job |
 * | `spikesweep.results.write.duration` | histogram | s | — | the results service, per acknowledged batch write |
 * | `spikesweep.results.written` | counter | {message} | kind | the results service |
 * | `spikesweep.results.backlog` | gauge | {message} | — | the results service: waiting in Redis + taken, not yet written |
 */
import { metrics, type Attributes, type Counter, type Histogram, type MeterProvider, type ObservableResult } from '@opentelemetry/api';
import type { Queue } from 'bullmq';

export interface PlatformMetrics {
  trials: Counter<{ method: string; mode: string; status: string }>;
  trialDuration: Histogram<{ method: string; mode: string; status: string }>;
  samples: Counter<{ method: string; mode: string }>;
  resultWriteDuration: Histogram;
  resultsWritten: Counter<{ kind: string }>;
}

let cached: { provider: MeterProvider; instruments: PlatformMetrics } | null = null;

/** The instruments of the current global MeterProvider (re-created when it changes). */
export function platformMetrics(): PlatformMetrics {
  const provider = metrics.getMeterProvider();
  if (cached?.provider === provider) return cached.instruments;
  const meter = provider.getMeter('spikesweep');
  const instruments: PlatformMetrics = {
    trials: meter.createCounter('spikesweep.trials', { description: 'Trials finished, by method, mode and final status', unit: '{trial}' }),
    trialDuration: meter.createHistogram('spikesweep.trial.duration', {
      description: 'Wall time of a finished trial',
      unit: 's',
      advice: { explicitBucketBoundaries: [0.01, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600] },
    }),
    samples: meter.createCounter('spikesweep.training.samples', { description: 'Training samples presented (training-split size per epoch run)', unit: '{sample}' }),
    resultWriteDuration: meter.createHistogram('spikesweep.results.write.duration', {
      description: 'Latency of one acknowledged batch write of results messages to the database',
      unit: 's',
      advice: { explicitBucketBoundaries: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
    }),
    resultsWritten: meter.createCounter('spikesweep.results.written', { description: 'Results messages written to the database', unit: '{message}' }),
  };
  cached = { provider, instruments };
  return instruments;
}

/** Records a finished trial (counter and duration histogram). */
export function recordTrialFinished(trial: { method: string; mode: string; status: string; wallTimeMs: number }): void {
  const m = platformMetrics();
  const attributes = { method: trial.method, mode: trial.mode, status: trial.status };
  m.trials.add(1, attributes);
  m.trialDuration.record(trial.wallTimeMs / 1000, attributes);
}

/** Observes queue depth per state and the age of the oldest waiting job. Returns a function that stops observing. */
export function observeQueues(queues: readonly Queue[]): () => void {
  const meter = metrics.getMeterProvider().getMeter('spikesweep');
  const depth = meter.createObservableGauge('spikesweep.queue.depth', { description: 'Jobs in a queue by state', unit: '{job}' });
  const age = meter.createObservableGauge('spikesweep.queue.oldest_age', { description: 'Age of the oldest waiting job', unit: 's' });
  const observeDepth = async (result: ObservableResult<Attributes>) => {
    for (const queue of queues) {
      const c = await queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'failed');
      result.observe((c.wait ?? 0) + (c.prioritized ?? 0), { queue: queue.name, state: 'waiting' });
      result.observe(c.active ?? 0, { queue: queue.name, state: 'active' });
      result.observe(c.delayed ?? 0, { queue: queue.name, state: 'delayed' });
      result.observe(c.failed ?? 0, { queue: queue.name, state: 'failed' });
    }
  };
  const observeAge = async (result: ObservableResult<Attributes>) => {
    for (const queue of queues) {
      const [oldest] = await queue.getJobs(['wait', 'prioritized'], 0, 0, true);
      result.observe(oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1000) : 0, { queue: queue.name });
    }
  };
  depth.addCallback(observeDepth);
  age.addCallback(observeAge);
  return () => {
    depth.removeCallback(observeDepth);
    age.removeCallback(observeAge);
  };
}

/** Observes the results backlog: `backlog()` is called at each collection. Returns a function that stops observing. */
export function observeResultsBacklog(backlog: () => Promise<number>): () => void {
  const gauge = metrics
    .getMeterProvider()
    .getMeter('spikesweep')
    .createObservableGauge('spikesweep.results.backlog', { description: 'Results messages not yet written (queued + in flight)', unit: '{message}' });
  const observe = async (result: ObservableResult<Attributes>) => result.observe(await backlog());
  gauge.addCallback(observe);
  return () => gauge.removeCallback(observe);
}

import { AggregationTemporality, InMemoryMetricExporter, PeriodicExportingMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedStore } from '../store/index.ts';
import { runSweepEmbedded } from '../sweep/embedded.ts';
import { startTelemetry, type TelemetryShutdown } from './index.ts';
import { metricsRequested } from './index.ts';

const engineModule = new URL('../sweep/noop-engine.ts', import.meta.url).href;

/** Data points of one metric as [attributes, value] (sum for counters, count and sum for histograms). */
function points(collected: ResourceMetrics[], name: string): { attributes: Record<string, unknown>; value: unknown }[] {
  const out: { attributes: Record<string, unknown>; value: unknown }[] = [];
  for (const rm of collected)
    for (const scope of rm.scopeMetrics)
      for (const metric of scope.metrics) {
        if (metric.descriptor.name !== name) continue;
        for (const p of metric.dataPoints) out.push({ attributes: { ...p.attributes }, value: p.value });
      }
  return out;
}

describe('metrics switches', () => {
  it('are off by default and on with OTEL_METRICS_EXPORTER or an OTLP endpoint', () => {
    expect(metricsRequested({})).toBe(false);
    expect(metricsRequested({ OTEL_METRICS_EXPORTER: 'none' })).toBe(false);
    expect(metricsRequested({ OTEL_METRICS_EXPORTER: 'prometheus' })).toBe(true);
    expect(metricsRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
  });
});

describe('platform metrics, with an in-memory reader', () => {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
  let shutdown: TelemetryShutdown;
  beforeAll(() => {
    shutdown = startTelemetry('test-metrics', { metricReaders: [reader], env: {} });
  });
  afterAll(async () => {
    await shutdown();
  });

  it('counts every trial of a run of known size by method, mode and status, its duration and its samples', async () => {
    // 2 methods × 3 seeds = 6 trials of 4 epochs on 300 training samples (no-op engine)
    const spec = {
      name: 'metrics-test',
      base: { method: 'surrogate', dataset: { trainSize: 300 }, training: { epochs: 4 } },
      axes: { method: ['surrogate', 'spike-time'], seed: { range: [0, 3] } },
    };
    const store = await createEmbeddedStore();
    const run = await runSweepEmbedded({ spec, store, workers: 2, checkpointDir: null, engineModule });
    await store.close();
    expect(run.executed).toBe(6);

    await reader.forceFlush();
    const collected = exporter.getMetrics();
    const trials = points(collected, 'spikesweep.trials');
    expect(trials.map((p) => [p.attributes, p.value]).sort((a, b) => String((a[0] as { method: string }).method).localeCompare(String((b[0] as { method: string }).method)))).toEqual([
      [{ method: 'spike-time', mode: 'simulation', status: 'completed' }, 3],
      [{ method: 'surrogate', mode: 'simulation', status: 'completed' }, 3],
    ]);
    const durations = points(collected, 'spikesweep.trial.duration');
    expect(durations.map((p) => (p.value as { count: number }).count).reduce((a, b) => a + b, 0)).toBe(6);
    const samples = points(collected, 'spikesweep.training.samples');
    expect(samples.map((p) => p.value as number).reduce((a, b) => a + b, 0)).toBe(6 * 4 * 300);
  });
});

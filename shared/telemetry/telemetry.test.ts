import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { extractTraceContext, injectTraceContext, SpanKind, startTelemetry, telemetryRequested, withSpan, type TelemetryShutdown } from './index.ts';

describe('telemetry off (no OTEL_* exporter configured)', () => {
  it('is not requested by an empty environment, nor by OTEL_TRACES_EXPORTER=none', () => {
    expect(telemetryRequested({})).toBe(false);
    expect(telemetryRequested({ OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
    expect(telemetryRequested({ OTEL_TRACES_EXPORTER: 'console' })).toBe(true);
    expect(telemetryRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
  });

  it('withSpan still runs the function and injects nothing', async () => {
    const shutdown = startTelemetry('test-off', { env: {} });
    const carrier = await withSpan('off', { 'spikesweep.test': 1 }, () => injectTraceContext());
    expect(carrier).toEqual({});
    await shutdown();
    await shutdown();
  });
});

describe('telemetry on, with an in-memory exporter', () => {
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor(exporter);
  let shutdown: TelemetryShutdown;
  /** Ended spans, once exported (export waits for the asynchronously detected resource). */
  const finishedSpans = async () => {
    await processor.forceFlush();
    return exporter.getFinishedSpans();
  };

  beforeAll(() => {
    shutdown = startTelemetry('test-on', { spanProcessors: [processor] });
  });
  afterAll(async () => {
    await Promise.all([shutdown(), shutdown()]);
  });
  beforeEach(() => exporter.reset());

  it('keeps the parent across inject -> job payload (JSON) -> extract', async () => {
    const payload = await withSpan('sweep.enqueue', { 'spikesweep.sweep.id': 'sw-1' }, () => ({ trialId: 't-1', trace: injectTraceContext() }), {
      kind: SpanKind.PRODUCER,
    });
    expect(payload.trace.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    // the payload crosses the queue as JSON, outside any active context
    const received = JSON.parse(JSON.stringify(payload)) as typeof payload;
    expect(trace.getActiveSpan()).toBeUndefined();
    await withSpan('trial.run', { 'spikesweep.trial.id': received.trialId }, () => 'ran', {
      kind: SpanKind.CONSUMER,
      parent: extractTraceContext(received.trace),
    });

    const spans = (await finishedSpans());
    const producer = spans.find((s) => s.name === 'sweep.enqueue');
    const consumer = spans.find((s) => s.name === 'trial.run');
    expect(producer?.kind).toBe(SpanKind.PRODUCER);
    expect(consumer?.kind).toBe(SpanKind.CONSUMER);
    expect(consumer?.spanContext().traceId).toBe(producer?.spanContext().traceId);
    expect(consumer?.parentSpanContext?.spanId).toBe(producer?.spanContext().spanId);
    expect(consumer?.parentSpanContext?.isRemote).toBe(true);
    expect(payload.trace.traceparent).toBe(`00-${producer?.spanContext().traceId}-${producer?.spanContext().spanId}-01`);
    expect(consumer?.attributes).toEqual({ 'spikesweep.trial.id': 't-1' });
    expect(producer?.resource.attributes['service.name']).toBe('test-on');
  });

  it('nests spans through the active context, also across awaits', async () => {
    await withSpan('outer', {}, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      await withSpan('inner', {}, () => undefined);
    });
    const [inner, outer] = (await finishedSpans());
    expect(inner?.name).toBe('inner');
    expect(inner?.parentSpanContext?.spanId).toBe(outer?.spanContext().spanId);
  });

  it('a missing or malformed carrier starts a new trace', async () => {
    await withSpan('orphan', {}, () => undefined, { parent: extractTraceContext({ traceparent: 'garbage' }) });
    await withSpan('no-carrier', {}, () => undefined, { parent: extractTraceContext(undefined) });
    for (const span of (await finishedSpans())) expect(span.parentSpanContext).toBeUndefined();
  });

  it('records a thrown error on the span, sets status ERROR and rethrows', async () => {
    const failure = new Error('diverged at epoch 3');
    await expect(withSpan('trial.epoch', { 'spikesweep.epoch': 3 }, () => Promise.reject(failure))).rejects.toBe(failure);
    const [span] = (await finishedSpans());
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'diverged at epoch 3' });
    expect(span?.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('a second startTelemetry while running returns the same shutdown', () => {
    expect(startTelemetry('again')).toBe(shutdown);
  });
});

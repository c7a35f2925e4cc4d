/**
 * Tracing for every SpikeSweep process: `startTelemetry` at start-up, `withSpan` around units
 * of work, and `injectTraceContext` / `extractTraceContext` to carry a trace inside a job
 * payload across the queue (W3C `traceparent`/`tracestate`).
 *
 * Configured by the standard OTEL_* environment variables (OTEL_SERVICE_NAME,
 * OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_METRIC_EXPORT_INTERVAL, OTEL_PROPAGATORS, OTEL_SDK_DISABLED …). Traces are on when
 * OTEL_TRACES_EXPORTER or an OTLP endpoint is set, metrics (./metrics.ts) when
 * OTEL_METRICS_EXPORTER or an OTLP endpoint is set; with neither the API stays the no-op
 * default, spans and instruments cost next to nothing and nothing is exported.
 */
import {
  type Attributes,
  type Context,
  context,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { metrics } from '@opentelemetry/api';

/** Stops the SDK after flushing pending spans. Safe to call twice, also concurrently. */
export type TelemetryShutdown = () => Promise<void>;

export interface TelemetryOptions {
  /**
   * Span processors to use instead of the exporters the environment names; passing them turns
   * telemetry on regardless of the environment (tests pass an in-memory exporter here).
   */
  spanProcessors?: SpanProcessor[];
  /** Metric readers to use instead of the environment's (tests pass an in-memory reader); turns telemetry on. */
  metricReaders?: MetricReader[];
  /** The environment to read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

let running: { shutdown: TelemetryShutdown } | undefined;

/** Whether the environment asks for traces to be exported. */
export function telemetryRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  const exporters = env.OTEL_TRACES_EXPORTER?.trim();
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  return Boolean((exporters && exporters !== 'none') || endpoint);
}

/** Whether the environment asks for metrics to be exported. */
export function metricsRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  const exporters = env.OTEL_METRICS_EXPORTER?.trim();
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT?.trim();
  return Boolean((exporters && exporters !== 'none') || endpoint);
}

/**
 * Starts the OpenTelemetry Node SDK for `serviceName` (OTEL_SERVICE_NAME wins when set) and
 * registers it globally; call it first thing in a service's entry point. Exports traces and
 * metrics as the environment asks (see above), logs when OTEL_LOGS_EXPORTER asks. A second
 * call while running returns the first call's shutdown.
 */
export function startTelemetry(serviceName: string, options: TelemetryOptions = {}): TelemetryShutdown {
  if (running) return running.shutdown;
  const env = options.env ?? process.env;
  const traces = options.spanProcessors !== undefined || telemetryRequested(env);
  const meters = options.metricReaders !== undefined || metricsRequested(env);
  if (!traces && !meters) return async () => undefined;

  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME?.trim() || serviceName,
    // no spans exported unless asked for (the SDK would default to OTLP)
    ...(options.spanProcessors !== undefined ? { spanProcessors: options.spanProcessors } : traces ? {} : { spanProcessors: [] }),
    // the environment's readers (OTEL_METRICS_EXPORTER; OTLP when only an endpoint is set), or none
    ...(options.metricReaders !== undefined ? { metricReaders: options.metricReaders } : meters ? {} : { metricReaders: [] }),
    ...(env.OTEL_LOGS_EXPORTER ? {} : { logRecordProcessors: [] }),
  });
  sdk.start();

  let stopped: Promise<void> | undefined;
  const handle = {
    shutdown: (): Promise<void> =>
      (stopped ??= sdk.shutdown().finally(() => {
        // unregister the globals, so that a later startTelemetry can register anew
        trace.disable();
        metrics.disable();
        context.disable();
        propagation.disable();
        if (running === handle) running = undefined;
      })),
  };
  running = handle;
  return handle.shutdown;
}

/** Span attributes: every key lives under `spikesweep.` (e.g. `spikesweep.trial.id`). */
export type SpikeSweepAttributes = { [key: `spikesweep.${string}`]: Attributes[string] };

export interface SpanOptions {
  /** INTERNAL unless said otherwise; PRODUCER on enqueue, CONSUMER on dequeue. */
  kind?: SpanKind;
  /** The parent; default the active context (use `extractTraceContext` for a job's). */
  parent?: Context;
  /** Related spans that are not the parent, e.g. the sweep a fanned-out trial came from. */
  links?: Link[];
}

const tracer = () => trace.getTracer('spikesweep');

/**
 * Runs `fn` inside a new active span named `name`: ends it when `fn` settles, records an
 * exception and sets status ERROR when `fn` throws (and rethrows). Works with or without a
 * started SDK.
 */
export function withSpan<T>(
  name: string,
  attributes: SpikeSweepAttributes,
  fn: (span: Span) => T | Promise<T>,
  options: SpanOptions = {},
): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer().startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes, ...(options.links ? { links: options.links } : {}) },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** The W3C trace context of a job payload: `traceparent` and, when present, `tracestate`. */
export type TraceCarrier = Record<string, string>;

/**
 * The active trace context as a plain object to store in a job payload (empty when there is
 * no active span or telemetry is off).
 */
export function injectTraceContext(from: Context = context.active()): TraceCarrier {
  const carrier: TraceCarrier = {};
  propagation.inject(from, carrier);
  return carrier;
}

/**
 * The context a job payload's carrier describes, to pass as `parent` to `withSpan` (or to
 * `context.with`). A missing or malformed carrier gives a context without a parent.
 */
export function extractTraceContext(carrier: Readonly<Record<string, unknown>> | undefined): Context {
  const strings: TraceCarrier = {};
  for (const [key, value] of Object.entries(carrier ?? {})) if (typeof value === 'string') strings[key] = value;
  return propagation.extract(ROOT_CONTEXT, strings);
}

export { SpanKind };

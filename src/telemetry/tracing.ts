/**
 * The worker's and client's tracer: an OpenTelemetry SDK tracer provider registered globally, with Temporal's
 * interceptors (`@temporalio/interceptors-opentelemetry`) carrying the trace from a client through workflow tasks,
 * activities, child runs and continue-as-new.
 */
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter as OTLPJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource, envDetectorSync } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type {
  WorkflowClientInterceptor,
  WorkflowDescribeInput,
  WorkflowQueryInput,
  WorkflowStartUpdateInput,
} from '@temporalio/client';
import type { Next } from '@temporalio/common';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import { isReadUpdate } from './reads.js';
import { telemetrySettings, type TelemetrySettings } from './settings.js';

/** A started tracer: what Temporal's interceptors and the workflow span sink need, and how to flush it. */
export interface Tracing {
  resource: Resource;
  spanProcessor: SpanProcessor;
  provider: BasicTracerProvider;
  /** Sends what is buffered; call before the process exits. */
  shutdown(): Promise<void>;
}

let started: Tracing | undefined;

/**
 * Starts tracing once per process when the OpenTelemetry variables ask for it (see `telemetrySettings`), and
 * returns it; undefined (and nothing set up) when they do not.
 * @throws {TelemetryConfigError} for variables planwright cannot follow.
 */
export function tracingFromEnv(env: NodeJS.ProcessEnv = process.env): Tracing | undefined {
  if (started) return started;
  const exporter = spanExporter(telemetrySettings(env));
  // The batch processor reads its own variables (OTEL_BSP_*).
  return exporter && startTracing(new BatchSpanProcessor(exporter));
}

/**
 * The span exporter these settings ask for, if any: OTLP over HTTP as protobuf or JSON, or the console. The OTLP
 * exporters read their own variables (endpoint, headers, timeout, compression).
 */
export function spanExporter(settings: TelemetrySettings): SpanExporter | undefined {
  if (settings.traces === 'console') return new ConsoleSpanExporter();
  if (settings.traces !== 'otlp') return undefined;
  return settings.tracesProtocol === 'http/json' ? new OTLPJsonExporter() : new OTLPProtobufExporter();
}

/**
 * Registers a tracer provider with this span processor as the process's global one (sampler from
 * `OTEL_TRACES_SAMPLER`, resource from `OTEL_SERVICE_NAME` / `OTEL_RESOURCE_ATTRIBUTES`, service name `planwright`
 * by default). Tests pass an in-memory exporter's processor.
 */
export function startTracing(spanProcessor: SpanProcessor): Tracing {
  if (started) return started;
  const resource = Resource.default()
    .merge(new Resource({ 'service.name': 'planwright' }))
    .merge(envDetectorSync.detect());
  const provider = new BasicTracerProvider({ resource });
  provider.addSpanProcessor(spanProcessor);
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable() });
  started = { resource, spanProcessor, provider, shutdown: () => provider.shutdown() };
  // A command (`planwright start`) ends once its work is done: send its spans before the process goes.
  process.once('beforeExit', () => void provider.shutdown());
  return started;
}

/** Temporal's client interceptor, without spans for calls that only read a run (see reads.ts). */
class RunClientTracing extends OpenTelemetryWorkflowClientInterceptor {
  override query(input: WorkflowQueryInput, next: Next<WorkflowClientInterceptor, 'query'>) {
    return next(input);
  }

  override describe(input: WorkflowDescribeInput, next: Next<WorkflowClientInterceptor, 'describe'>) {
    return next(input);
  }

  override startUpdate(input: WorkflowStartUpdateInput, next: Next<WorkflowClientInterceptor, 'startUpdate'>) {
    return isReadUpdate(input.updateName) ? next(input) : super.startUpdate(input, next);
  }
}

/** The client interceptors that start a run's trace (none without tracing). */
export function clientTracing(tracing: Tracing | undefined): WorkflowClientInterceptor[] {
  return tracing ? [new RunClientTracing()] : [];
}

/** What a worker needs for tracing: activity interceptors, and the sink that exports spans made in workflows. */
export function workerTracing(tracing: Tracing): { interceptors: WorkerInterceptors; sinks: InjectedSinks<never> } {
  return {
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) } as InjectedSinks<never>,
  };
}

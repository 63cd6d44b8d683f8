/**
 * The SDK runtime's share of telemetry: its metrics (the SDK's own `temporal_*` ones and planwright's, which
 * workflows and activities record through the SDK's metric meters) exported where the OpenTelemetry variables say,
 * and log lines that carry the trace and span ids of the span they were written in.
 */
import { trace } from '@opentelemetry/api';
import type { LogLevel, LogMetadata, Logger, RuntimeOptions } from '@temporalio/worker';
import { telemetrySettings } from './settings.js';
import { tracingFromEnv } from './tracing.js';

/**
 * Options for `Runtime.install`: this logger (with trace ids when tracing) and the metrics exporter the
 * environment asks for (OTLP over HTTP, or a Prometheus endpoint at `OTEL_EXPORTER_PROMETHEUS_HOST:PORT`).
 * @throws {TelemetryConfigError} for variables planwright cannot follow.
 * @example Runtime.install(runtimeTelemetry(new DefaultLogger('INFO')))
 */
export function runtimeTelemetry(logger: Logger, env: NodeJS.ProcessEnv = process.env): RuntimeOptions {
  const { metrics } = telemetrySettings(env);
  const traced = tracingFromEnv(env) ? withTraceIds(logger) : logger;
  if (!metrics) return { logger: traced };
  const interval = env.OTEL_METRIC_EXPORT_INTERVAL ? `${Number(env.OTEL_METRIC_EXPORT_INTERVAL)}ms` : '10s';
  return {
    logger: traced,
    telemetryOptions: {
      metrics:
        'prometheus' in metrics
          ? { prometheus: { bindAddress: metrics.prometheus, useSecondsForDurations: true } }
          : {
              otel: {
                url: metrics.otlp.url,
                http: true,
                headers: metrics.otlp.headers,
                metricsExportInterval: interval,
              },
            },
    },
  };
}

/** The logger, adding `trace_id` and `span_id` of the active span (if any) to every line that lacks them. */
export function withTraceIds(logger: Logger): Logger {
  const meta = (given?: LogMetadata): LogMetadata | undefined => {
    const context = trace.getActiveSpan()?.spanContext();
    if (!context || given?.trace_id) return given;
    return { trace_id: context.traceId, span_id: context.spanId, ...given };
  };
  return {
    log: (level: LogLevel, message: string, m?: LogMetadata) => logger.log(level, message, meta(m)),
    trace: (message, m) => logger.trace(message, meta(m)),
    debug: (message, m) => logger.debug(message, meta(m)),
    info: (message, m) => logger.info(message, meta(m)),
    warn: (message, m) => logger.warn(message, meta(m)),
    error: (message, m) => logger.error(message, meta(m)),
  };
}

/**
 * What the OpenTelemetry SDK's own environment variables ask of planwright: whether to trace, and where the
 * metrics go. Nothing is set up when none of them is set.
 */

/** Where metrics go: OTLP over HTTP, or a Prometheus endpoint on the worker. */
export type MetricsSetting = { otlp: { url: string; headers: Record<string, string> } } | { prometheus: string };

/** What the environment asks for. */
export interface TelemetrySettings {
  /** The span exporter: OTLP over HTTP, or the console (for a look at the spans). */
  traces?: 'otlp' | 'console';
  metrics?: MetricsSetting;
}

/** Thrown when an OpenTelemetry variable asks for something planwright cannot do; the message says what to set. */
export class TelemetryConfigError extends Error {
  override readonly name = 'TelemetryConfigError';
}

/**
 * Reads `OTEL_SDK_DISABLED`, `OTEL_TRACES_EXPORTER`, `OTEL_METRICS_EXPORTER`, `OTEL_EXPORTER_OTLP_ENDPOINT` (and the
 * per-signal `…_TRACES_ENDPOINT` / `…_METRICS_ENDPOINT`), `OTEL_EXPORTER_OTLP_PROTOCOL`, `OTEL_EXPORTER_OTLP_HEADERS`
 * and `OTEL_EXPORTER_PROMETHEUS_HOST` / `_PORT`. As in the SDK, an exporter defaults to `otlp` once an endpoint is set.
 * @throws {TelemetryConfigError} for an exporter or protocol planwright does not support.
 * @example telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318' }) // traces and metrics over OTLP
 */
export function telemetrySettings(env: NodeJS.ProcessEnv = process.env): TelemetrySettings {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return {};
  const endpoint = (signal: 'TRACES' | 'METRICS') =>
    env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`] || env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined;
  const protocol = env.OTEL_EXPORTER_OTLP_PROTOCOL?.trim();
  if (protocol && protocol !== 'http/json' && protocol !== 'http/protobuf') {
    throw new TelemetryConfigError(
      `OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported: planwright exports OTLP over HTTP; ` +
        'set it to http/protobuf (or unset it) and point OTEL_EXPORTER_OTLP_ENDPOINT at the HTTP port (usually 4318)',
    );
  }
  const traces = exporters(env, 'OTEL_TRACES_EXPORTER', endpoint('TRACES'), ['otlp', 'console']);
  const metrics = exporters(env, 'OTEL_METRICS_EXPORTER', endpoint('METRICS'), ['otlp', 'prometheus']);
  if (metrics.length > 1) {
    throw new TelemetryConfigError(
      `OTEL_METRICS_EXPORTER=${env.OTEL_METRICS_EXPORTER}: the worker exports metrics one way; choose otlp or prometheus`,
    );
  }
  const settings: TelemetrySettings = {};
  if (traces.length > 1) throw new TelemetryConfigError('OTEL_TRACES_EXPORTER: choose one of otlp, console');
  if (traces[0]) settings.traces = traces[0] as 'otlp' | 'console';
  if (metrics[0] === 'prometheus') {
    const host = env.OTEL_EXPORTER_PROMETHEUS_HOST || '0.0.0.0';
    settings.metrics = { prometheus: `${host}:${env.OTEL_EXPORTER_PROMETHEUS_PORT || '9464'}` };
  } else if (metrics[0] === 'otlp') {
    const base = env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT;
    const url = base || `${(endpoint('METRICS') ?? 'http://localhost:4318').replace(/\/$/, '')}/v1/metrics`;
    settings.metrics = { otlp: { url, headers: otlpHeaders(env) } };
  }
  return settings;
}

/** The exporters a variable names (default `otlp` when an endpoint is set, else none); `none` means none. */
function exporters(env: NodeJS.ProcessEnv, name: string, endpoint: string | undefined, known: string[]): string[] {
  const value = env[name]?.trim() || (endpoint ? 'otlp' : 'none');
  const list = value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v && v !== 'none');
  const unknown = list.find((v) => !known.includes(v));
  if (unknown) {
    throw new TelemetryConfigError(`${name}=${value}: "${unknown}" is not supported; use ${known.join(', ')} or none`);
  }
  return list;
}

/** `OTEL_EXPORTER_OTLP_HEADERS` (`key=value,key2=value2`, values URL-encoded), as the SDK reads it. */
function otlpHeaders(env: NodeJS.ProcessEnv): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (env.OTEL_EXPORTER_OTLP_METRICS_HEADERS || env.OTEL_EXPORTER_OTLP_HEADERS || '').split(',')) {
    const at = pair.indexOf('=');
    if (at > 0) headers[pair.slice(0, at).trim()] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  return headers;
}

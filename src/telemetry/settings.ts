/**
 * What the OpenTelemetry SDK's own environment variables ask of planwright: whether to trace, and where the
 * metrics go. Nothing is set up when none of them is set.
 */

/** Where metrics go: OTLP over HTTP, or a Prometheus endpoint on the worker. */
export type MetricsSetting = { otlp: { url: string; headers: Record<string, string> } } | { prometheus: string };

/** How OTLP travels over HTTP: protobuf (the OpenTelemetry default) or JSON. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** What the environment asks for. */
export interface TelemetrySettings {
  /** The span exporter: OTLP over HTTP, or the console (for a look at the spans). */
  traces?: 'otlp' | 'console';
  /** How spans are sent when `traces` is `otlp`. */
  tracesProtocol?: OtlpProtocol;
  metrics?: MetricsSetting;
}

/** Thrown when an OpenTelemetry variable asks for something planwright cannot do; the message says what to set. */
export class TelemetryConfigError extends Error {
  override readonly name = 'TelemetryConfigError';
}

/**
 * Reads `OTEL_SDK_DISABLED`, `OTEL_TRACES_EXPORTER`, `OTEL_METRICS_EXPORTER`, `OTEL_EXPORTER_OTLP_ENDPOINT` (and the
 * per-signal `…_TRACES_ENDPOINT` / `…_METRICS_ENDPOINT`), `OTEL_EXPORTER_OTLP_PROTOCOL` (and `…_TRACES_PROTOCOL`),
 * `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_EXPORTER_PROMETHEUS_HOST` / `_PORT`. As in the SDK, an exporter defaults to
 * `otlp` once an endpoint is set, and OTLP to `http/protobuf`.
 * @throws {TelemetryConfigError} for an exporter or protocol planwright does not support.
 * @example telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318' }) // traces and metrics over OTLP
 */
export function telemetrySettings(env: NodeJS.ProcessEnv = process.env): TelemetrySettings {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return {};
  const endpoint = (signal: 'TRACES' | 'METRICS') =>
    env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`] || env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined;
  // Both are checked: the general one also stands for metrics (which always go as protobuf).
  const general = otlpProtocol(env, 'OTEL_EXPORTER_OTLP_PROTOCOL');
  const tracesProtocol = otlpProtocol(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? general ?? 'http/protobuf';
  const traces = exporters(env, 'OTEL_TRACES_EXPORTER', endpoint('TRACES'), ['otlp', 'console']);
  const metrics = exporters(env, 'OTEL_METRICS_EXPORTER', endpoint('METRICS'), ['otlp', 'prometheus']);
  if (metrics.length > 1) {
    throw new TelemetryConfigError(
      `OTEL_METRICS_EXPORTER=${env.OTEL_METRICS_EXPORTER}: the worker exports metrics one way; choose otlp or prometheus`,
    );
  }
  const settings: TelemetrySettings = {};
  if (traces.length > 1) throw new TelemetryConfigError('OTEL_TRACES_EXPORTER: choose one of otlp, console');
  if (traces[0] === 'otlp') {
    settings.traces = 'otlp';
    settings.tracesProtocol = tracesProtocol;
  } else if (traces[0]) settings.traces = 'console';
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

/**
 * The OTLP protocol a variable names, if set.
 * @throws {TelemetryConfigError} for gRPC or anything else that is not OTLP over HTTP.
 */
function otlpProtocol(env: NodeJS.ProcessEnv, name: string): OtlpProtocol | undefined {
  const protocol = env[name]?.trim();
  if (!protocol) return undefined;
  if (protocol === 'http/json' || protocol === 'http/protobuf') return protocol;
  const endpoint = name.replace('PROTOCOL', 'ENDPOINT');
  throw new TelemetryConfigError(
    `${name}=${protocol} is not supported: planwright exports OTLP over HTTP; ` +
      `set it to http/protobuf (or unset it) and point ${endpoint} at the HTTP port (usually 4318)`,
  );
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

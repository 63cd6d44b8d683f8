/** Which OpenTelemetry variables turn what on: nothing without them, and clear errors for what cannot be done. */
import { describe, expect, it } from 'vitest';
import { telemetrySettings, TelemetryConfigError } from '../../src/telemetry/settings.js';

describe('telemetrySettings', () => {
  it('sets up nothing when no variable is set', () => {
    expect(telemetrySettings({})).toEqual({});
  });
  it('traces and exports metrics over OTLP once an endpoint is set, as the SDK does', () => {
    expect(telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318/' })).toEqual({
      traces: 'otlp',
      tracesProtocol: 'http/protobuf',
      metrics: { otlp: { url: 'http://jaeger:4318/v1/metrics', headers: {} } },
    });
  });
  it('sends spans as protobuf unless JSON is asked for, for all signals or for traces', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318', OTEL_METRICS_EXPORTER: 'none' };
    expect(telemetrySettings({ ...env, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).tracesProtocol).toBe('http/json');
    const tracesOnly = {
      ...env,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
    };
    expect(telemetrySettings(tracesOnly).tracesProtocol).toBe('http/protobuf');
  });
  it('serves Prometheus metrics when asked, with traces off', () => {
    const env = { OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_PORT: '9999' };
    expect(telemetrySettings(env)).toEqual({ metrics: { prometheus: '0.0.0.0:9999' } });
  });
  it('reads headers, and none or OTEL_SDK_DISABLED turns things off', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318', OTEL_EXPORTER_OTLP_HEADERS: 'api-key=a%20b' };
    expect(telemetrySettings({ ...env, OTEL_TRACES_EXPORTER: 'none' })).toEqual({
      metrics: { otlp: { url: 'http://x:4318/v1/metrics', headers: { 'api-key': 'a b' } } },
    });
    expect(telemetrySettings({ ...env, OTEL_SDK_DISABLED: 'true' })).toEqual({});
  });
  it('says what to set for what planwright cannot do', () => {
    expect(() => telemetrySettings({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(TelemetryConfigError);
    expect(() => telemetrySettings({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/http\/protobuf/);
    expect(() => telemetrySettings({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' })).toThrow(
      /OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc is not supported.*point OTEL_EXPORTER_OTLP_TRACES_ENDPOINT/,
    );
    expect(() => telemetrySettings({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/"zipkin" is not supported/);
    expect(() => telemetrySettings({ OTEL_METRICS_EXPORTER: 'otlp,prometheus' })).toThrow(/choose otlp or prometheus/);
  });
});

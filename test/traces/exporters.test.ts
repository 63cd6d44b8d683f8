/**
 * The span exporter the OpenTelemetry variables choose sends what it says: OTLP over HTTP as protobuf by default, as
 * JSON when asked, to a receiver that reads the request as a collector would.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { telemetrySettings } from '../../src/telemetry/settings.js';
import { spanExporter } from '../../src/telemetry/tracing.js';

/** What the receiver got: each request's path, content type and body. */
const received: { path?: string; type?: string; body: Buffer }[] = [];
const receiver = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    received.push({ path: req.url, type: req.headers['content-type'], body: Buffer.concat(chunks) });
    res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/json' }).end();
  });
});
let endpoint: string;
beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => receiver.close(resolve)));

/** Sends one span named `name` through the exporter these variables choose; resolves with what arrived. */
async function send(name: string, variables: Record<string, string>) {
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_METRICS_EXPORTER: 'none', ...variables };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env); // the OTLP exporters read their endpoint from the environment
  try {
    const exporter = spanExporter(telemetrySettings(env));
    if (!exporter) throw new Error('no exporter');
    const provider = new BasicTracerProvider();
    provider.addSpanProcessor(new SimpleSpanProcessor(exporter));
    provider.getTracer('test').startSpan(name).end();
    await provider.forceFlush();
    await provider.shutdown();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  return received.at(-1);
}

describe('the span exporter', () => {
  it('sends OTLP protobuf to /v1/traces by default', async () => {
    const got = await send('a protobuf span', {});
    expect(got?.path).toBe('/v1/traces');
    expect(got?.type).toBe('application/x-protobuf');
    // A protobuf body holds the span's name as bytes, with no JSON around it.
    expect(got?.body.includes('a protobuf span')).toBe(true);
    expect(() => JSON.parse(got?.body.toString() ?? '')).toThrow();
  });

  it('sends OTLP JSON when OTEL_EXPORTER_OTLP_PROTOCOL=http/json', async () => {
    const got = await send('a JSON span', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    expect(got?.type).toBe('application/json');
    const body = JSON.parse(got?.body.toString() ?? '{}');
    expect(body.resourceSpans[0].scopeSpans[0].spans[0].name).toBe('a JSON span');
  });

  it('prints spans when OTEL_TRACES_EXPORTER=console, and makes none when traces are off', () => {
    expect(spanExporter(telemetrySettings({ OTEL_TRACES_EXPORTER: 'console' }))?.constructor.name).toBe(
      'ConsoleSpanExporter',
    );
    expect(spanExporter(telemetrySettings({}))).toBeUndefined();
  });
});

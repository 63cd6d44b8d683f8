/** Jaeger's query API, as the trace suite reads it. */

/** A span as Jaeger's query API returns it. */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[];
  tags: { key: string; value: unknown }[];
  processID: string;
}

/** A trace as Jaeger's query API returns it. */
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags?: { key: string; value: unknown }[] }>;
}

/** The value of a span's tag. */
export const tag = (span: JaegerSpan, key: string) => span.tags.find((t) => t.key === key)?.value;

/** The traces holding a span tagged with this workflow id, once `ready` holds for them (polled up to 30 s). */
export async function tracesOfRun(
  queryUrl: string,
  workflowId: string,
  ready: (traces: JaegerTrace[]) => boolean,
): Promise<JaegerTrace[]> {
  const tags = encodeURIComponent(JSON.stringify({ 'planwright.workflow_id': workflowId }));
  let traces: JaegerTrace[] = [];
  for (let i = 0; i < 150; i++) {
    const ids = (await (
      await fetch(`${queryUrl}/api/traces?service=planwright&tags=${tags}&lookback=1h&limit=50`)
    ).json()) as { data: JaegerTrace[] | null };
    // Search results may hold part of a trace; read each one whole.
    traces = await Promise.all(
      [...new Set((ids.data ?? []).map((t) => t.traceID))].map(async (id) => {
        const whole = (await (await fetch(`${queryUrl}/api/traces/${id}`)).json()) as { data: JaegerTrace[] };
        return whole.data[0] as JaegerTrace;
      }),
    );
    if (traces.length > 0 && ready(traces)) return traces;
    await new Promise((r) => setTimeout(r, 200));
  }
  return traces;
}

/** The names of a span's ancestors, nearest first. */
export function ancestors(trace: JaegerTrace, span: JaegerSpan): string[] {
  const byId = new Map(trace.spans.map((s) => [s.spanID, s]));
  const names: string[] = [];
  for (let s = byId.get(span.references[0]?.spanID ?? ''); s; s = byId.get(s.references[0]?.spanID ?? '')) {
    names.push(s.operationName);
  }
  return names;
}

/** Spans whose parent is not in the trace (only the root should be). */
export function loose(trace: JaegerTrace): JaegerSpan[] {
  const ids = new Set(trace.spans.map((s) => s.spanID));
  return trace.spans.filter(
    (s) => s.references.some((r) => r.refType === 'CHILD_OF' && !ids.has(r.spanID)) || s.references.length === 0,
  );
}

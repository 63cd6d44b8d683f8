/**
 * The spans of a traced run, caught by the OpenTelemetry SDK's in-memory exporter: one trace from the client
 * through workflow tasks and activities, planwright's run, plan, step, model and tool spans with their
 * attributes, the sub-goal's run below its parent, and nothing exported twice when a run is replayed.
 */
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTracedBundle } from '../../src/telemetry/bundle.js';
import { workerTracing, startTracing, type Tracing } from '../../src/telemetry/tracing.js';
import { devServerEnv } from '../support/temporal.js';
import { runTracedScenario, GOAL, SUBGOAL } from './scenario.js';

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;

beforeAll(async () => {
  tracing = startTracing(new SimpleSpanProcessor(exporter));
  env = await devServerEnv();
  bundle = await buildTracedBundle();
});
afterAll(async () => {
  await env?.teardown();
});

const named = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
const one = (spans: ReadableSpan[], name: string) => {
  const found = named(spans, name);
  expect(found, name).toHaveLength(1);
  return found[0] as ReadableSpan;
};

describe('traces of a run (in-memory exporter)', () => {
  let spans: ReadableSpan[];
  let outcome: Awaited<ReturnType<typeof runTracedScenario>>;

  beforeAll(async () => {
    exporter.reset();
    outcome = await runTracedScenario({
      tracing,
      connection: env.connection,
      nativeConnection: env.nativeConnection,
      workflowBundle: bundle,
    });
    await tracing.provider.forceFlush();
    spans = exporter.getFinishedSpans();
  });

  it('is one trace from the client through the workflows and activities', () => {
    expect(outcome.result.status).toBe('completed');
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    const start = one(spans, 'StartWorkflow:planAndExecute');
    const runs = named(spans, 'RunWorkflow:planAndExecute');
    expect(runs).toHaveLength(2); // the run and its sub-goal's run
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    // Every span but the client's has its parent in the trace: nothing is cut loose.
    for (const span of spans) if (span !== start) expect(byId.has(span.parentSpanId ?? ''), span.name).toBe(true);
    expect(named(spans, 'RunActivity:runTool').length).toBeGreaterThanOrEqual(3);
  });

  it('has the run, plan versions with their reasons, and steps with tool, attempts and outcome', () => {
    const runSpans = named(spans, 'planwright.run');
    const parent = runSpans.find((s) => s.attributes['planwright.goal'] === GOAL) as ReadableSpan;
    const child = runSpans.find((s) => s.attributes['planwright.goal'] === SUBGOAL) as ReadableSpan;
    expect(parent.attributes['planwright.status']).toBe('completed');
    expect(parent.attributes['gen_ai.usage.input_tokens']).toBe(outcome.result.usage.inputTokens);
    const plans = spans.filter((s) => s.name.startsWith('plan v') && s.parentSpanId === parent.spanContext().spanId);
    expect(plans.map((s) => s.name)).toEqual(['plan v1', 'plan v2']);
    expect(plans[1]?.attributes['planwright.plan.reason']).toMatch(/nowhere\.csv does not exist/);
    const missing = one(spans, 'step missing');
    expect(missing.attributes).toMatchObject({
      'planwright.step.tool': 'data_query',
      'planwright.step.outcome': 'failed',
      'planwright.step.attempts': 1,
    });
    expect(missing.status.code).toBe(2); // ERROR
    expect(one(spans, 'step total').attributes['planwright.step.outcome']).toBe('succeeded');
    // The sub-goal's run hangs below the parent's trace: its workflow span descends from the parent run's.
    const ancestors = (span: ReadableSpan) => {
      const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
      const chain: string[] = [];
      for (let s = byId.get(span.parentSpanId ?? ''); s; s = byId.get(s.parentSpanId ?? '')) chain.push(s.name);
      return chain;
    };
    expect(ancestors(child)).toContain('StartChildWorkflow:planAndExecute');
    expect(ancestors(child).filter((n) => n === 'RunWorkflow:planAndExecute')).toHaveLength(2);
  });

  it('has model spans with the GenAI attributes, adding up to the run’s token counts', () => {
    const chats = named(spans, 'chat scripted');
    expect(chats.length).toBe(outcome.model.requests.length);
    for (const chat of chats) {
      expect(chat.attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'scripted' });
      expect(chat.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
    }
    const sum = (key: string) => chats.reduce((n, s) => n + Number(s.attributes[key]), 0);
    const parentAndChild = outcome.result.usage; // the parent's usage includes its sub-goal's
    expect(sum('gen_ai.usage.input_tokens')).toBe(parentAndChild.inputTokens);
    expect(sum('gen_ai.usage.output_tokens')).toBe(parentAndChild.outputTokens);
    expect(chats.every((c) => c.parentSpanId && spans.some((s) => s.name.startsWith('RunActivity:')))).toBe(true);
  });

  it('has tool spans, the failed call marked as an error', () => {
    const tools = named(spans, 'execute_tool data_query');
    expect(tools.map((t) => t.attributes['gen_ai.tool.name'])).toEqual(tools.map(() => 'data_query'));
    expect(tools.filter((t) => t.attributes['planwright.tool.outcome'] === 'failed')).toHaveLength(1);
    expect(tools.filter((t) => t.attributes['planwright.tool.outcome'] === 'ok')).toHaveLength(2);
  });

  it('exports no workflow span again when the run is replayed', async () => {
    const handle = env.client.workflow.getHandle(outcome.workflowId);
    const history = await handle.fetchHistory();
    exporter.reset();
    await Worker.runReplayHistory({ workflowBundle: bundle, ...workerTracing(tracing) }, history, outcome.workflowId);
    await tracing.provider.forceFlush();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual([]);
  });
});

/**
 * The spans of a traced run, caught by the OpenTelemetry SDK's in-memory exporter: one trace from the client
 * through workflow tasks and activities, planwright's run, plan, step, model and tool spans with their
 * attributes, each step's activities and sub-goal run below the step, waits for people as events, the worker's
 * log lines with the ids of the span they were written in, and nothing exported twice when a run is replayed.
 */
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Worker, type LogEntry, type WorkflowBundle } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { runResult } from '../../src/run-result.js';
import { workerClient } from '../../src/temporal/local-server.js';
import type { StreamItem } from '../../src/stream/events.js';
import { followRun } from '../../src/stream/follow.js';
import { workflowStreamPollUpdate } from '@temporalio/workflow-streams/workflow';
import { buildTracedBundle } from '../../src/telemetry/bundle.js';
import { runtimeTelemetry } from '../../src/telemetry/runtime.js';
import { workerTracing, startTracing, type Tracing } from '../../src/telemetry/tracing.js';
import { defineTool } from '../../src/tools/define.js';
import type { planAndExecute } from '../../workflows/index.js';
import { approvePlanUpdate, stateQuery, WORKFLOW_TYPE } from '../../workflows/messages.js';
import { planReply, wireStep } from '../support/e2e.js';
import { devServerEnv, unique } from '../support/temporal.js';
import { runTracedScenario, withTracedWorker, GOAL, SUBGOAL, SUBGOAL_ANCESTRY } from './scenario.js';

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;
/** The worker's log lines (the runtime's logger, as `planwright worker` installs it with tracing on). */
const lines: LogEntry[] = [];

beforeAll(async () => {
  tracing = startTracing(new SimpleSpanProcessor(exporter));
  env = await devServerEnv(runtimeTelemetry(new DefaultLogger('DEBUG', (entry) => lines.push(entry)), {}).logger);
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
const parentOf = (spans: ReadableSpan[], span: ReadableSpan) =>
  spans.find((s) => s.spanContext().spanId === span.parentSpanId);
/** The ids a log line carries, and those of a span, to compare. */
const idsOfLine = (line: LogEntry | undefined) => ({ trace_id: line?.meta?.trace_id, span_id: line?.meta?.span_id });
const idsOfSpan = (span: ReadableSpan) => ({
  trace_id: span.spanContext().traceId,
  span_id: span.spanContext().spanId,
});

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
    expect(ancestors(child)).toEqual(SUBGOAL_ANCESTRY);
  });

  it('hangs each step’s activities below the step', () => {
    const starts = named(spans, 'StartActivity:runTool');
    expect(starts.map((s) => parentOf(spans, s)?.name).sort()).toEqual([
      'step billing_total',
      'step missing',
      'step total',
    ]);
    // Each ends with its activity: the failed tool call's with the error, the others OK.
    const statusOf = (step: string) => starts.find((s) => parentOf(spans, s)?.name === step)?.status;
    expect(statusOf('step missing')).toEqual({ code: 2, message: 'Activity task failed' });
    expect(statusOf('step total')?.code).toBe(1);
    const failed = starts.find((s) => parentOf(spans, s)?.name === 'step missing');
    expect(failed?.events.map((e) => e.name)).toEqual(['exception']);
    // The planner's activities are not a step's: they stay below the workflow's span.
    for (const start of named(spans, 'StartActivity:createPlan')) {
      expect(parentOf(spans, start)?.name).toBe('RunWorkflow:planAndExecute');
    }
  });

  it('logs a failed step from workflow code with the step span’s ids', () => {
    const line = lines.find((l) => l.message.startsWith('step missing failed:'));
    expect(line?.meta?.sdkComponent).toBe('workflow');
    expect(idsOfLine(line)).toEqual(idsOfSpan(one(spans, 'step missing')));
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

  it('exports no workflow span again when the run is replayed, and logs nothing again', async () => {
    const handle = env.client.workflow.getHandle(outcome.workflowId);
    const history = await handle.fetchHistory();
    exporter.reset();
    const logged = lines.length;
    await Worker.runReplayHistory({ workflowBundle: bundle, ...workerTracing(tracing) }, history, outcome.workflowId);
    await tracing.provider.forceFlush();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual([]);
    expect(lines.slice(logged).filter((l) => l.message.startsWith('step missing failed:'))).toEqual([]);
  });

  it('sends the spans of a workflow task in one call of the sink', async () => {
    const history = await env.client.workflow.getHandle(outcome.workflowId).fetchHistory();
    const calls: { name: string; spanContext: { spanId: string } }[][] = [];
    // A sink called on replay too, in place of the worker's: what the run's workflow tasks send, call by call.
    const sinks = {
      exporter: {
        export: {
          fn: (_: unknown, sent: (typeof calls)[number]) => void calls.push(sent),
          callDuringReplay: true,
        },
      },
    };
    await Worker.runReplayHistory({ workflowBundle: bundle, sinks }, history, outcome.workflowId);
    const tasks = (history.events ?? []).filter((e) => e.workflowTaskCompletedEventAttributes).length;
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.length).toBeLessThanOrEqual(tasks);
    // All the run's workflow spans, each sent once.
    const sent = calls.flat().map((s) => s.name);
    expect(new Set(calls.flat().map((s) => s.spanContext.spanId)).size).toBe(sent.length);
    expect(sent).toContain('planwright.run');
    expect(sent.filter((n) => n === 'StartActivity:runTool')).toHaveLength(2);
    expect(sent.filter((n) => n.startsWith('step '))).toEqual(['step missing', 'step total', 'step billing']);
    expect(calls.some((c) => c.length > 1)).toBe(true);
  });

  it('made the commands a run without telemetry makes: the plain bundle replays it', async () => {
    const history = await env.client.workflow.getHandle(outcome.workflowId).fetchHistory();
    const plain = { codePath: inject('workflowBundlePath') };
    await expect(
      Worker.runReplayHistory({ workflowBundle: plain }, history, outcome.workflowId),
    ).resolves.toBeUndefined();
  });
});

describe('a run that waits for a person, traced', () => {
  const goal = 'Note the review once approved';
  let spans: ReadableSpan[];
  const followed: StreamItem[] = [];
  let pollsBeforeApproval = 0;
  let approvedId = '';
  /** How many stream polls the run has accepted so far. */
  const polls = async (workflowId: string) => {
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    return (history.events ?? []).filter(
      (e) =>
        e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name ===
        workflowStreamPollUpdate.name,
    ).length;
  };

  beforeAll(async () => {
    exporter.reset();
    const note = defineTool({
      name: 'note',
      description: 'Notes a text in the worker log.',
      input: z.object({ text: z.string() }),
      run: ({ text }, ctx) => {
        ctx.log.info(`noted: ${text}`);
        return { noted: true };
      },
    });
    const script = {
      plan: [planReply(wireStep('jot', 'note', { text: 'approved plan' }))],
      synthesize: [{ content: 'Noted.' }],
    };
    const { value: result } = await withTracedWorker(
      {
        tracing,
        connection: env.connection,
        nativeConnection: env.nativeConnection,
        workflowBundle: bundle,
        script,
        tools: [note],
      },
      async (client, taskQueue) => {
        const handle = await client.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
          taskQueue,
          workflowId: (approvedId = unique('approved')),
          args: [{ goal, approval: 'plan' }],
        });
        // A client follows the run as the console does, waiting with the stream's poll update once it is quiet.
        const following = (async () => {
          for await (const item of followRun(client, handle.workflowId, { longPollAfterMs: 0 })) followed.push(item);
        })();
        for (let i = 0; i < 300 && (await handle.query(stateQuery)).status !== 'awaiting-approval'; i++) {
          await new Promise((r) => setTimeout(r, 50));
        }
        await handle.query('__stack_trace'); // as the Web UI asks
        await handle.describe();
        // The follower found the run quiet and waits with a poll update (accepted in the run's history).
        for (let i = 0; i < 100 && (await polls(handle.workflowId)) === 0; i++) {
          await new Promise((r) => setTimeout(r, 50));
        }
        pollsBeforeApproval = await polls(handle.workflowId);
        await handle.executeUpdate(approvePlanUpdate, { args: [{ version: 1 }] });
        const result = await runResult(handle);
        await following;
        return result;
      },
    );
    expect(result.status).toBe('completed');
    await tracing.provider.forceFlush();
    spans = exporter.getFinishedSpans();
  });

  it('has the wait and the answer as events of the run’s span', () => {
    const run = one(spans, 'planwright.run');
    const waits = run.events.filter((e) => e.name === 'waiting for a person' || e.name === 'a person answered');
    expect(waits.map((e) => [e.name, e.attributes?.['planwright.status']])).toEqual([
      ['waiting for a person', 'awaiting-approval'],
      ['a person answered', 'running'],
    ]);
  });

  it('traces the update a person sent, and none of the reads of the run (queries, description, stream polls)', () => {
    expect(followed.some((i) => i.topic === 'events' && i.event.kind === 'run-finished')).toBe(true);
    expect(pollsBeforeApproval).toBeGreaterThan(0);
    expect(named(spans, `StartWorkflowUpdate:${approvePlanUpdate.name}`)).toHaveLength(1);
    // The run's span of the update hangs below the client's, with the update's id, and ends with the handler.
    const handled = one(spans, `HandleUpdate:${approvePlanUpdate.name}`);
    expect(parentOf(spans, handled)?.name).toBe(`StartWorkflowUpdate:${approvePlanUpdate.name}`);
    expect(handled.attributes.temporalUpdateId).toEqual(expect.any(String));
    expect(handled.status.code).toBe(1); // OK
    const reads = spans.filter((s) =>
      /^(QueryWorkflow|HandleQuery|DescribeWorkflow)|__temporal_workflow_stream/.test(s.name),
    );
    expect(reads.map((s) => s.name)).toEqual([]);
  });

  it('made the commands a run without telemetry makes, with the update: the plain bundle replays it', async () => {
    const history = await env.client.workflow.getHandle(approvedId).fetchHistory();
    const plain = { codePath: inject('workflowBundlePath') };
    await expect(Worker.runReplayHistory({ workflowBundle: plain }, history, approvedId)).resolves.toBeUndefined();
  });

  it('logs from inside a tool with the ids of the tool’s span', () => {
    const line = lines.find((l) => l.message === 'noted: approved plan');
    expect(line?.meta?.sdkComponent).toBe('activity');
    expect(idsOfLine(line)).toEqual(idsOfSpan(one(spans, 'execute_tool note')));
    expect(parentOf(spans, one(spans, 'StartActivity:runTool'))?.name).toBe('step jot');
  });
});

describe('a run started by the demo’s and the dev server’s client (workerClient), traced', () => {
  it('starts its trace in that client', async () => {
    exporter.reset();
    const script = {
      plan: [planReply(wireStep('sum', 'calculator', { expression: '1+2' }))],
      synthesize: [{ content: 'Three.' }],
    };
    const { value: result } = await withTracedWorker(
      { tracing, connection: env.connection, nativeConnection: env.nativeConnection, workflowBundle: bundle, script },
      async (_, taskQueue) => {
        const handle = await workerClient(env).workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
          taskQueue,
          workflowId: unique('worker-client'),
          args: [{ goal: 'Add one and two' }],
        });
        return runResult(handle);
      },
    );
    expect(result.status).toBe('completed');
    await tracing.provider.forceFlush();
    const spans = exporter.getFinishedSpans();
    const start = one(spans, 'StartWorkflow:planAndExecute');
    expect(parentOf(spans, one(spans, 'RunWorkflow:planAndExecute'))).toBe(start);
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([start.spanContext().traceId]));
  });
});

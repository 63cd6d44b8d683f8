/**
 * Traces in a real Jaeger (`npm run test:traces`): a run with a failed tool call, a replan and a sub-goal is one
 * trace with client, workflow and activity spans, model spans carrying the run's token counts, and the sub-goal's
 * run below its parent; a run whose worker is killed mid-step is still one connected trace; the worker's
 * Prometheus endpoint is scraped and parsed.
 */
import type { ChildProcess } from 'node:child_process';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../../src/free-port.js';
import { runResult } from '../../../src/run-result.js';
import { tracedWorkflowBundle } from '../../../src/telemetry/bundle.js';
import { clientTracing, tracingFromEnv, type Tracing } from '../../../src/telemetry/tracing.js';
import { startScriptedModel } from '../../../src/testing/scripted-model.js';
import type { planAndExecute } from '../../../workflows/index.js';
import { stateQuery, WORKFLOW_TYPE } from '../../../workflows/messages.js';
import { planReply, wireStep } from '../../support/e2e.js';
import { devServerEnv, unique } from '../../support/temporal.js';
import { GOAL, runTracedScenario, SUBGOAL, SUBGOAL_ANCESTRY } from '../scenario.js';
import { startWorkerProcess } from '../worker-process.js';
import { ancestors, loose, tag, tracesOfRun } from './jaeger-query.js';

let env: TestWorkflowEnvironment;
const note = (what: string) => process.stderr.write(`[traces] ${what}\n`);
let tracing: Tracing;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  // Configured the standard way: the OpenTelemetry SDK's own variables.
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = inject('jaegerOtlp');
  process.env.OTEL_BSP_SCHEDULE_DELAY = '100';
  tracing = tracingFromEnv() as Tracing;
  env = await devServerEnv();
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await env?.teardown();
});

describe('traces in Jaeger', () => {
  it('shows a run with a failed tool call, a replan and a sub-goal as one trace', async () => {
    const { result, workflowId } = await runTracedScenario({
      tracing,
      connection: env.connection,
      nativeConnection: env.nativeConnection,
      workflowBundle: await tracedWorkflowBundle(),
    });
    expect(result.status).toBe('completed');
    await tracing.provider.forceFlush();
    const traces = await tracesOfRun(
      inject('jaegerQuery'),
      workflowId,
      ([t]) => (t?.spans ?? []).filter((s) => s.operationName === 'planwright.run').length === 2,
    );
    expect(traces).toHaveLength(1);
    const [trace] = traces as [(typeof traces)[0]];
    const names = trace.spans.map((s) => s.operationName);
    expect(names).toContain('StartWorkflow:planAndExecute');
    expect(names.filter((n) => n === 'RunWorkflow:planAndExecute')).toHaveLength(2);
    expect(names).toContain('RunActivity:createPlan');
    expect(names).toContain('RunActivity:runTool');
    expect(names).toEqual(expect.arrayContaining(['plan v1', 'plan v2', 'step missing', 'step total', 'step billing']));
    expect(loose(trace).map((s) => s.operationName)).toEqual(['StartWorkflow:planAndExecute']);
    // Model spans: GenAI attributes adding up to the tokens the run reported (the parent's usage holds its child's).
    const chats = trace.spans.filter((s) => tag(s, 'gen_ai.operation.name') === 'chat');
    expect(chats.length).toBeGreaterThanOrEqual(5);
    const sum = (key: string) => chats.reduce((n, s) => n + Number(tag(s, key)), 0);
    expect(sum('gen_ai.usage.input_tokens')).toBe(result.usage.inputTokens);
    expect(sum('gen_ai.usage.output_tokens')).toBe(result.usage.outputTokens);
    expect(chats.every((s) => tag(s, 'gen_ai.request.model') === 'scripted')).toBe(true);
    const failedTool = trace.spans.find(
      (s) => tag(s, 'gen_ai.tool.name') === 'data_query' && tag(s, 'planwright.tool.outcome') === 'failed',
    );
    expect(failedTool).toBeDefined();
    // The sub-goal's run is a child of the parent's, through its step's StartChildWorkflow span.
    const runs = trace.spans.filter((s) => s.operationName === 'planwright.run');
    const child = runs.find((s) => tag(s, 'planwright.goal') === SUBGOAL)!;
    expect(runs.find((s) => tag(s, 'planwright.goal') === GOAL)).toBeDefined();
    expect(ancestors(trace, child)).toEqual(SUBGOAL_ANCESTRY);
  });

  it(
    'keeps one connected trace when the worker is killed mid-step; its metrics are there',
    { timeout: 400_000 },
    async () => {
      const metricsPort = await freePort();
      const model = await startScriptedModel({
        script: {
          plan: [planReply(wireStep('slow', 'wait', { label: 'slow', ms: 4000 }))],
          synthesize: [{ content: 'Done after a restart.' }],
        },
      });
      const taskQueue = unique('killed');
      const worker = (name: string, extra: NodeJS.ProcessEnv = {}) => {
        const started = startWorkerProcess(taskQueue, model.url, {
          ...process.env,
          OTEL_RESOURCE_ATTRIBUTES: `service.instance.id=${name}`,
          ...extra,
        });
        children.add(started.child);
        return started;
      };
      try {
        const first = worker('first');
        await first.ready;
        note('the first worker polls');
        const client = new Client({ connection: env.connection, interceptors: { workflow: clientTracing(tracing) } });
        const workflowId = unique('killed');
        const handle = await client.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
          taskQueue,
          workflowId,
          args: [{ goal: 'Wait through a restart' }],
        });
        for (let i = 0; i < 200; i++) {
          const state = await handle.query(stateQuery).catch(() => undefined);
          if (state?.steps[0]?.status === 'running') break;
          await new Promise((r) => setTimeout(r, 100));
        }
        await new Promise((r) => setTimeout(r, 1000)); // its spans so far are exported (every 100 ms)
        note('the step runs; killing the first worker');
        first.child.kill('SIGKILL');
        const second = worker('second', {
          OTEL_METRICS_EXPORTER: 'prometheus',
          OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
          OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
        });
        await second.ready;
        note('the second worker polls');
        const result = await runResult(handle);
        expect(result.status).toBe('completed');
        await tracing.provider.forceFlush();

        // The Prometheus endpoint, parsed by a real parser: planwright's metrics and the SDK's own.
        const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        const families = parsePrometheusTextFormat(text);
        const family = (prefix: string) => families.find((f) => f.name.startsWith(prefix));
        const ended = family('planwright_runs_ended');
        expect(ended?.metrics.some((m) => m.labels?.status === 'completed' && Number(m.value) >= 1)).toBe(true);
        expect(family('planwright_steps')?.metrics.some((m) => m.labels?.outcome === 'succeeded')).toBe(true);
        expect(family('planwright_model_input_tokens')).toBeDefined();
        expect(family('planwright_tool_calls')).toBeDefined();
        expect(family('planwright_step_duration')?.type).toBe('HISTOGRAM');
        expect(families.some((f) => f.name.startsWith('temporal_'))).toBe(true);

        second.child.kill('SIGTERM'); // a graceful stop sends what the worker still holds
        await new Promise((r) => second.child.once('exit', r));
        const traces = await tracesOfRun(inject('jaegerQuery'), workflowId, ([t]) =>
          (t?.spans ?? []).some((s) => s.operationName === 'RunWorkflow:planAndExecute'),
        );
        expect(traces).toHaveLength(1);
        const [trace] = traces as [(typeof traces)[0]];
        expect(loose(trace).map((s) => s.operationName)).toEqual(['StartWorkflow:planAndExecute']);
        expect(trace.spans.filter((s) => s.operationName === 'RunWorkflow:planAndExecute')).toHaveLength(1);
        expect(trace.spans.filter((s) => s.operationName === 'step slow')).toHaveLength(1);
        // Both workers' spans are in it: the planner ran on the first, the synthesis on the second.
        expect(new Set(trace.spans.map((s) => s.processID)).size).toBeGreaterThanOrEqual(2);
      } finally {
        await model.close();
      }
    },
  );
});

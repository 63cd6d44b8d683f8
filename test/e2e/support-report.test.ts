/**
 * End to end on the Temporal dev server: the real worker, real activities and tools, the real `openai`
 * client talking HTTP to the scripted model. With PLANWRIGHT_RECORD_HISTORIES=1 the runs' histories are
 * saved under test/histories/ for the replay test.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_GOAL, DEMO_PLAN, DEMO_WORKSPACE, demoScript } from '../../src/demo/support-report.js';
import type { RunResult } from '../../src/contract/run-state.js';
import { createModel } from '../../src/llm/model.js';
import { builtinTools } from '../../src/tools/builtin.js';
import type { Tool } from '../../src/tools/define.js';
import { startScriptedModel, type Script, type ScriptedModel } from '../../src/testing/scripted-model.js';
import { createPlanwrightWorker } from '../../src/worker.js';
import type { planAndExecute } from '../../workflows/index.js';
import { WORKFLOW_TYPE } from '../../workflows/messages.js';
import { devServerEnv, unique } from '../support/temporal.js';
import { inject } from 'vitest';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await devServerEnv();
});
afterAll(async () => {
  await env?.teardown();
});

/** The built-in tools, each counting its own calls. */
function countingTools(): { tools: Tool[]; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const tools = builtinTools.map((tool) => ({
    ...tool,
    run: (input: unknown, ctx: Parameters<Tool['run']>[1]) => {
      calls[tool.name] = (calls[tool.name] ?? 0) + 1;
      return tool.run(input, ctx);
    },
  }));
  return { tools, calls };
}

/** Runs one workflow against a fresh worker with real activities and a scripted model. */
async function runScenario(
  name: string,
  script: Script,
): Promise<{ result: RunResult; model: ScriptedModel; calls: Record<string, number>; handle: WorkflowHandle }> {
  const model = await startScriptedModel({ script });
  const { tools, calls } = countingTools();
  const taskQueue = unique('e2e');
  const worker = await createPlanwrightWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    model: createModel({ apiKey: 'scripted', baseURL: model.url, model: 'scripted', timeoutMs: 10_000 }),
    tools,
    workspace: DEMO_WORKSPACE,
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
  try {
    const { result, handle } = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
        taskQueue,
        workflowId: unique(name),
        args: [{ goal: DEMO_GOAL }],
        staticSummary: name,
      });
      return { result: await handle.result(), handle };
    });
    if (process.env.PLANWRIGHT_RECORD_HISTORIES === '1') {
      const history = await handle.fetchHistory();
      writeFileSync(path.resolve('test/histories', `${name}.json`), historyToJSON(history));
    }
    return { result, model, calls, handle };
  } finally {
    await model.close();
  }
}

/** The facts the report should state, computed here straight from the CSV. */
function factsFromCsv() {
  const [header, ...rows] = readFileSync(path.join(DEMO_WORKSPACE, 'support-tickets.csv'), 'utf8').trim().split('\n');
  const intentAt = header!.split(',').indexOf('intent');
  const counts = new Map<string, number>();
  for (const row of rows) {
    const intent = row.split(',')[intentAt]!;
    counts.set(intent, (counts.get(intent) ?? 0) + 1);
  }
  const [top, topCount] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
  return { total: rows.length, top, topCount, share: Math.round((topCount / rows.length) * 1000) / 10 };
}

describe('the support-report run, end to end', () => {
  it('plans, runs every step once in parallel waves, and reports the figures in the data', async () => {
    const { result, model, calls } = await runScenario('support-report', demoScript());
    const facts = factsFromCsv();

    expect(result.status).toBe('completed');
    expect(result.steps.map((s) => [s.id, s.status])).toEqual(DEMO_PLAN.steps.map((s) => [s.id, 'succeeded']));
    expect(calls).toEqual({ data_query: 4, calculator: 1 });
    expect(result.usage.toolCalls).toBe(5);
    expect(result.usage.llmCalls).toBe(2);
    expect(result.answer).toContain(`**${facts.total} tickets**`);
    expect(result.answer).toContain(
      `**Top intent: ${facts.top.replace(/_/g, ' ')}**, ${facts.topCount} tickets (${facts.share}% of all)`,
    );
    expect(result.answer).toContain('## Recommendation');
    expect(model.requests.map((r) => r.phase)).toEqual(['plan', 'synthesize']);
    model.assertDone({ all: true });

    // The three independent steps started before any dependent one did.
    const starts = result.events.filter((e) => e.type === 'step-started').map((e) => e.stepId);
    expect(starts.slice(0, 3).sort()).toEqual(['overall_csat', 'tickets_per_intent', 'week_total']);
  });

  it('ends partial with an honest answer when a step cannot read its file', async () => {
    const plan = structuredClone(DEMO_PLAN);
    plan.steps[2]!.args = JSON.stringify({ file: 'last-year.csv', aggregate: { op: 'avg', field: 'csat' } });
    const { result, calls } = await runScenario('support-report-missing-file', {
      plan: [{ content: plan }],
      synthesize: [{ content: 'Partial report: satisfaction could not be computed.' }],
    });
    expect(result.status).toBe('partial');
    expect(result.failure).toEqual({
      stepId: 'overall_csat',
      message: 'data_query failed: "last-year.csv" does not exist in the workspace',
    });
    expect(result.steps.find((s) => s.id === 'overall_csat')).toMatchObject({ status: 'failed', attempts: 1 });
    expect(result.answer).toBe('Partial report: satisfaction could not be computed.');
    // The failure is permanent: the tool ran once for that step, not once per retry.
    expect(calls.data_query).toBeLessThanOrEqual(4);
  });
});

describe('planwright demo', () => {
  it('runs offline from the command line and exits 0 with a completed report', async () => {
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const childEnv = { ...process.env };
      delete childEnv.OPENAI_API_KEY;
      delete childEnv.OPENAI_BASE_URL;
      const child = spawn(process.execPath, ['bin/planwright.js', 'demo', '--json'], { env: childEnv });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.once('error', reject);
      child.once('exit', (exitCode) => resolve({ code: exitCode, stdout: out }));
    });
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as RunResult;
    expect(result.status).toBe('completed');
    expect(result.answer).toContain(`**${factsFromCsv().total} tickets**`);
  });
});

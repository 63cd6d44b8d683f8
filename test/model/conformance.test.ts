/**
 * planwright against a real OpenAI-compatible server (llama.cpp's llama-server, SmolLM2-135M-Instruct): the
 * protocol end to end. A 135M model is weak, so the suite does not ask for good plans; it asks that every
 * answer is taken the way the server gives it, that tool steps and the executor's loop run, that output caps
 * hold, that every token the server generated is counted, and that each run ends in bounded time with an
 * honest status.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { runActivity } from '../support/activity-env.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { ErrorType } from '../../src/contract/errors.js';
import { FINAL_STATUSES } from '../../src/contract/run-state.js';
import { DEMO_WORKSPACE } from '../../src/demo/support-report.js';
import type { ModelConfig } from '../../src/llm/config.js';
import { createModel } from '../../src/llm/model.js';
import { usageOfFailure } from '../../src/llm/usage.js';
import { createFilePlanCache } from '../../src/plan-cache.js';
import { createFileOutputStore } from '../../src/outputs/file.js';
import { builtinTools } from '../../src/tools/builtin.js';
import { toolInfo } from '../../src/tools/define.js';
import { createPlanwrightWorker } from '../../src/worker.js';
import { runResult } from '../../src/run-result.js';
import type { planAndExecute } from '../../workflows/index.js';
import { WORKFLOW_TYPE } from '../../workflows/messages.js';
import { devServerEnv, unique } from '../support/temporal.js';

/** The settings the README recommends for small local models. */
const settings = (): ModelConfig => ({
  apiKey: 'none',
  baseURL: inject('modelServerUrl'),
  model: inject('modelName'),
  timeoutMs: 90_000,
  temperature: 0,
  frequencyPenalty: 1,
  maxTokens: { plan: 768, replan: 768, execute: 256, synthesize: 256 },
});
const tools = builtinTools.map(toolInfo);

/** Tokens the server has generated so far, from its Prometheus metrics. */
async function tokensPredicted(): Promise<number> {
  const text = await (await fetch(new URL('/metrics', inject('modelServerUrl')))).text();
  const line = text.split('\n').find((l) => l.startsWith('llamacpp:tokens_predicted_total'));
  return Number(line?.split(/\s+/)[1] ?? Number.NaN);
}

/** Runs `work` and says how many tokens the server generated meanwhile. */
async function measured<T>(work: () => Promise<T>): Promise<{ value: T; generated: number; ms: number }> {
  const before = await tokensPredicted();
  const started = Date.now();
  const value = await work();
  return { value, generated: (await tokensPredicted()) - before, ms: Date.now() - started };
}

const activities = (config: Partial<ModelConfig> = {}) =>
  createActivities({
    model: createModel({ ...settings(), ...config }),
    tools: builtinTools,
    workspace: DEMO_WORKSPACE,
  });

describe('single requests', () => {
  it('takes the planner’s answer in the catalog format: a plan with its problems listed, or an honest failure', async () => {
    const { value, generated } = await measured(async () => {
      try {
        return await runActivity(activities().createPlan, {
          goal: 'Count the support tickets per intent in support-tickets.csv',
          tools,
          maxSteps: 3,
        });
      } catch (err) {
        return err as ApplicationFailure;
      }
    });
    if (value instanceof ApplicationFailure) {
      expect(value.type).toBe(ErrorType.InvalidModelOutput);
      expect(usageOfFailure(value).outputTokens).toBe(generated);
    } else {
      expect(value.plan ?? value.issues.length).toBeTruthy();
      expect(value.usage.outputTokens).toBe(generated);
      expect(value.usage.outputTokens).toBeLessThanOrEqual(value.usage.llmCalls * 768);
    }
  });

  it('honours the output cap and says when an answer was cut off', async () => {
    const { value, generated } = await measured(() =>
      runActivity(activities({ maxTokens: { synthesize: 24 } }).synthesize, {
        goal: 'Write a long essay about the history of customer support.',
        steps: [],
      }),
    );
    expect(value.usage.outputTokens).toBe(generated);
    expect(value.usage.outputTokens).toBeLessThanOrEqual(value.usage.llmCalls * 24);
    if (value.usage.llmCalls === 2) expect(value.answer).toMatch(/\[cut off at the output limit\]$/);
  });

  it('runs a turn of the executor with native tool calls and with the JSON tool protocol', async () => {
    for (const toolCalls of ['native', 'json'] as const) {
      const { value, generated } = await measured(() =>
        runActivity(activities({ toolCalls }).executeStep, {
          goal: 'Find 17 * 23.',
          step: { id: 'multiply', title: 'Multiply 17 by 23 with the calculator' },
          inputs: [],
          tools: tools.filter((t) => t.name === 'calculator'),
        }),
      );
      expect(value.usage.outputTokens).toBe(generated);
      if (value.kind === 'tool-calls') {
        for (const call of value.calls) expect(typeof call.tool).toBe('string');
      } else {
        expect(value.output).toEqual(expect.any(String));
      }
    }
  });
});

describe('whole runs on the dev server', () => {
  let env: TestWorkflowEnvironment;
  let dir: string;
  beforeAll(async () => {
    env = await devServerEnv();
    dir = await mkdtemp(path.join(tmpdir(), 'planwright-model-'));
  });
  afterAll(async () => {
    await env?.teardown();
    await rm(dir, { recursive: true, force: true });
  });

  async function run(goal: string, options: { planCache?: boolean } = {}) {
    const taskQueue = unique('model');
    const planCache = createFilePlanCache(path.join(dir, 'plans'));
    const worker = await createPlanwrightWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue,
      model: createModel(settings()),
      workspace: DEMO_WORKSPACE,
      planCache,
      outputStore: createFileOutputStore(path.join(dir, 'outputs')),
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
    return {
      planCache,
      start: () =>
        measured(() =>
          worker.runUntil(async () =>
            runResult(
              await env.client.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
                taskQueue,
                workflowId: unique('model-run'),
                args: [{ goal, maxReplans: 1, maxSteps: 4, ...(options.planCache ? { planCache: true } : {}) }],
              }),
            ),
          ),
        ),
    };
  }

  it('plans from scratch and ends with an honest status in bounded time, every generated token counted', async () => {
    const { start } = await run('Count the support tickets per intent in support-tickets.csv');
    const { value: result, generated, ms } = await start();
    expect(FINAL_STATUSES).toContain(result.status);
    expect(result.usage.outputTokens).toBe(generated);
    if (result.status !== 'completed') expect(result.failure?.message).toBeTruthy();
    expect(ms).toBeLessThan(600_000);
    process.stderr.write(
      `[planwright] from scratch: ${result.status} in ${Math.round(ms / 1000)} s, ${result.usage.llmCalls} calls, ` +
        `${result.usage.inputTokens} in / ${result.usage.outputTokens} out; steps ${result.steps.map((s) => `${s.id}:${s.status}`).join(' ')}` +
        `${result.failure ? `; failure: ${result.failure.message.slice(0, 300)}` : ''}\n`,
    );
  });

  it('runs tool steps and an open step, and the model writes the answer', async () => {
    const goal = 'Report which intent has the most support tickets this week';
    const { start, planCache } = await run(goal, { planCache: true });
    await planCache.set(
      { goal, tools, maxSteps: 4 },
      {
        steps: [
          {
            id: 'per_intent',
            title: 'Count tickets per intent',
            dependsOn: [],
            tool: 'data_query',
            args: { file: 'support-tickets.csv', groupBy: 'intent', limit: 3 },
          },
          {
            id: 'total',
            title: 'Count all tickets',
            dependsOn: [],
            tool: 'data_query',
            args: { file: 'support-tickets.csv' },
          },
          {
            id: 'share',
            title: 'Share of the top intent',
            dependsOn: ['per_intent', 'total'],
            tool: 'calculator',
            args: { expression: 'round({{per_intent.groups.0.value}} / {{total.value}} * 100, 1)' },
          },
          { id: 'note', title: 'Write one sentence about the top intent', dependsOn: ['per_intent', 'share'] },
        ],
      },
      3_600_000,
    );
    const { value: result, generated } = await start();
    const step = (id: string) => result.steps.find((s) => s.id === id);
    expect(step('per_intent')?.status).toBe('succeeded');
    expect(step('share')?.status).toBe('succeeded');
    expect(step('share')?.output).toMatchObject({ value: expect.any(Number) });
    expect(['succeeded', 'failed', 'skipped', 'cancelled']).toContain(step('note')?.status);
    expect(FINAL_STATUSES).toContain(result.status);
    expect(result.usage.toolCalls).toBeGreaterThanOrEqual(3);
    expect(result.usage.outputTokens).toBe(generated);
    if (result.status === 'completed') expect(result.answer?.length).toBeGreaterThan(0);
    process.stderr.write(
      `[planwright] cached plan: ${result.status}, ${result.usage.llmCalls} calls, ${result.usage.outputTokens} out; ` +
        `answer: ${(result.answer ?? '').slice(0, 200).replace(/\n/g, ' ')}\n`,
    );
  });
});

/**
 * End-to-end runs on the shared dev server: the real worker and activities, real tools (each counting
 * its own calls), and the real `openai` client talking HTTP to the scripted model. With
 * PLANWRIGHT_RECORD_HISTORIES=1 each run's history is saved under test/histories/v<version>/ for the replay test,
 * with its workflow id next to it (`<name>.workflow-id`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { expect, inject, vi } from 'vitest';
import { z } from 'zod';
import type { RunInput } from '../../src/contract/run-input.js';
import type { RunResult } from '../../src/contract/run-state.js';
import { DEMO_WORKSPACE } from '../../src/demo/support-report.js';
import type { ModelConfig } from '../../src/llm/config.js';
import { createModel } from '../../src/llm/model.js';
import { builtinTools } from '../../src/tools/builtin.js';
import { defineTool, ToolError, type Tool } from '../../src/tools/define.js';
import { startScriptedModel, type Script, type ScriptedModel } from '../../src/testing/scripted-model.js';
import { createPlanwrightWorker } from '../../src/worker.js';
import { workerClient } from '../../src/temporal/local-server.js';
import type { PlanCache } from '../../src/plan-cache.js';
import type { OutputStore } from '../../src/outputs/store.js';
import type { planAndExecute } from '../../workflows/index.js';
import { WORKFLOW_TYPE } from '../../workflows/messages.js';
import { unique } from './temporal.js';
import { runResult } from '../../src/run-result.js';
import { describeRunSchedule } from '../../src/schedules.js';

/** The package version: recorded histories go to a folder of their own per version. */
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** A tool that takes a known time (heartbeating, and stopping when cancelled), for parallelism and cancellation. */
export const waitTool = defineTool({
  name: 'wait',
  description: 'Waits for the given number of milliseconds, then returns the label.',
  input: z.object({ label: z.string(), ms: z.number().int().min(0).max(600_000) }),
  output: z.object({ label: z.string(), waited: z.number() }),
  async run({ label, ms }, ctx) {
    const started = Date.now();
    while (Date.now() - started < ms) {
      ctx.heartbeat({ label });
      if (ctx.signal.aborted) throw new ToolError(`cancelled while waiting (${label})`, false);
      await new Promise((r) => setTimeout(r, Math.min(100, ms)));
    }
    return { label, waited: Date.now() - started };
  },
});

/** Tool calls counted by the tools themselves: per tool, and per `label` or `file` argument. */
export interface ToolCounts {
  byTool: Record<string, number>;
  byKey: Record<string, number>;
}

/** The tools, each counting its own calls into `counts`. */
export function counting(tools: readonly Tool[]): { tools: Tool[]; counts: ToolCounts } {
  const counts: ToolCounts = { byTool: {}, byKey: {} };
  return {
    counts,
    tools: tools.map((tool) => ({
      ...tool,
      run: (input: unknown, ctx: Parameters<Tool['run']>[1]) => {
        counts.byTool[tool.name] = (counts.byTool[tool.name] ?? 0) + 1;
        const { label, file } = input as { label?: string; file?: string };
        const key = label ?? file;
        if (key) counts.byKey[key] = (counts.byKey[key] ?? 0) + 1;
        return tool.run(input, ctx);
      },
    })),
  };
}

/** What an end-to-end scenario came to. */
export interface Scenario {
  result: RunResult;
  model: ScriptedModel;
  counts: ToolCounts;
  handle: WorkflowHandle<typeof planAndExecute>;
  /** Whether the run's first workflow task came back with the start request (eager start). */
  eagerlyStarted: boolean;
}

/** Runs one scenario; `during` may signal, update, query or cancel the run before its result. */
export async function runScenario(
  env: TestWorkflowEnvironment,
  name: string,
  options: {
    script: Script;
    input: RunInput;
    during?: (handle: WorkflowHandle<typeof planAndExecute>) => Promise<void>;
    /** The worker's tools; default: the built-in ones and `wait`. */
    tools?: readonly Tool[];
    /** The worker's plan cache; default: none. */
    planCache?: PlanCache;
    /** Where the worker keeps large outputs; default: the store PLANWRIGHT_OUTPUT_STORE names. */
    outputStore?: OutputStore;
    /** Whether `npm run record-histories` keeps this run's history (not for runs of several MB). */
    record?: boolean;
    /** Model settings beyond the scripted model's address (output caps, say). */
    model?: Partial<ModelConfig>;
    /** The directory the tools work in; default the support report's. */
    workspace?: string;
    /** Start the run on the worker's own connection, asking for its first workflow task at once (eager start). */
    eagerStart?: boolean;
  },
): Promise<Scenario> {
  const model = await startScriptedModel({ script: options.script });
  const { tools, counts } = counting(options.tools ?? [...builtinTools, waitTool]);
  const taskQueue = unique('e2e');
  const worker = await scriptedModelWorker(env, { ...options, taskQueue, url: model.url, tools });
  try {
    const client = options.eagerStart ? workerClient(env) : env.client;
    const { result, handle } = await worker.runUntil(async () => {
      const handle = await client.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
        taskQueue,
        workflowId: unique(name),
        args: [options.input],
        staticSummary: name,
        ...(options.eagerStart ? { requestEagerStart: true } : {}),
      });
      await options.during?.(handle);
      return { result: await runResult(handle), handle };
    });
    if (options.record !== false) await recordHistory(handle, name);
    return { result, model, counts, handle, eagerlyStarted: handle.eagerlyStarted };
  } finally {
    await model.close();
  }
}

/** With PLANWRIGHT_RECORD_HISTORIES=1 (`npm run record-histories`), saves a run's history for the replay test. */
export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.PLANWRIGHT_RECORD_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  const dir = path.resolve('test/histories', `v${version}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.json`), historyToJSON(history));
  // The replay runs under the same workflow id: a sub-goal's child workflow id is made from it.
  writeFileSync(path.join(dir, `${name}.workflow-id`), `${handle.workflowId}\n`);
}

/**
 * A planwright worker on the prebuilt workflow bundle whose model is the scripted one at `url`; by default with
 * the built-in tools, the support report's workspace, and no plan cache.
 */
export function scriptedModelWorker(
  env: TestWorkflowEnvironment,
  options: {
    taskQueue: string;
    url: string;
    model?: Partial<ModelConfig>;
    tools?: readonly Tool[];
    workspace?: string;
    planCache?: PlanCache;
    outputStore?: OutputStore;
  },
): Promise<Worker> {
  return createPlanwrightWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue: options.taskQueue,
    model: createModel({
      apiKey: 'scripted',
      baseURL: options.url,
      model: 'scripted',
      timeoutMs: 10_000,
      ...options.model,
    }),
    tools: options.tools ?? builtinTools,
    workspace: options.workspace ?? DEMO_WORKSPACE,
    planCache: options.planCache ?? { get: async () => undefined, set: async () => {} },
    workflowBundle: { codePath: inject('workflowBundlePath') },
    ...(options.outputStore ? { outputStore: options.outputStore } : {}),
  });
}

/** A wire-format step (what the scripted planner writes). */
export function wireStep(
  id: string,
  tool: string | null,
  args: object | null,
  options: {
    dependsOn?: string[];
    title?: string;
    critical?: boolean;
    fallback?: { tool: string; args: object };
    successCriterion?: string;
    /** Makes it a sub-goal step (give `tool` and `args` null). */
    subgoal?: string;
    /** The tools an open step may call (give `tool` and `args` null). */
    tools?: string[];
  } = {},
) {
  return {
    id,
    title: options.title ?? id.replace(/_/g, ' '),
    description: null,
    dependsOn: options.dependsOn ?? [],
    tool,
    args: args === null ? null : JSON.stringify(args),
    successCriterion: options.successCriterion ?? null,
    critical: options.critical ?? null,
    fallback: options.fallback ? { tool: options.fallback.tool, args: JSON.stringify(options.fallback.args) } : null,
    ...(options.subgoal !== undefined ? { subgoal: options.subgoal } : {}),
    ...(options.tools !== undefined ? { tools: options.tools } : {}),
  };
}

/** A scripted planner answer: a plan of wire steps. */
export function planReply(...steps: ReturnType<typeof wireStep>[]) {
  return { content: { rationale: null, steps } };
}

/** A scripted replanner answer. */
export function replanReply(decision: {
  action: 'continue' | 'revise' | 'finish';
  reason: string;
  answer?: string;
  steps?: ReturnType<typeof wireStep>[];
}) {
  return {
    content: {
      action: decision.action,
      reason: decision.reason,
      answer: decision.answer ?? null,
      steps: decision.steps ?? null,
    },
  };
}

/**
 * How long a test waits for a triggered schedule to start its run: the server's scheduler takes its time when the
 * machine is busy (as `planwright demo` waits for the schedules it triggers).
 */
export const TRIGGER_WAIT = { waitMs: 30_000 };

/**
 * Waits until a schedule knows none of its runs is running. It learns that a run ended a moment after the run did,
 * and with overlap `skip` it skips a trigger that comes before that.
 */
export async function untilScheduleIdle(client: Client, scheduleId: string): Promise<void> {
  await vi.waitFor(async () => expect((await describeRunSchedule(client, scheduleId)).runningRuns).toEqual([]), {
    timeout: 10_000,
    interval: 100,
  });
}

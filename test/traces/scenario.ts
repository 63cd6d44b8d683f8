/**
 * The traced run both trace suites check: a plan whose tool call fails, a replan, and a sub-goal run, on a worker
 * with the traced bundle, started by a client with Temporal's OpenTelemetry interceptor.
 */
import { Client, type Connection } from '@temporalio/client';
import type { NativeConnection, WorkflowBundleOption } from '@temporalio/worker';
import type { RunInput } from '../../src/contract/run-input.js';
import type { RunResult } from '../../src/contract/run-state.js';
import { DEMO_WORKSPACE } from '../../src/demo/support-report.js';
import { createModel } from '../../src/llm/model.js';
import { runResult } from '../../src/run-result.js';
import { builtinTools } from '../../src/tools/builtin.js';
import type { Tool } from '../../src/tools/define.js';
import { byGoal } from '../../src/testing/answers.js';
import { startScriptedModel, type Script, type ScriptedModel } from '../../src/testing/scripted-model.js';
import { clientTracing, type Tracing } from '../../src/telemetry/tracing.js';
import { createPlanwrightWorker } from '../../src/worker.js';
import type { planAndExecute } from '../../workflows/index.js';
import { WORKFLOW_TYPE } from '../../workflows/messages.js';
import { planReply, replanReply, wireStep } from '../support/e2e.js';
import { unique } from '../support/temporal.js';

export const GOAL = 'Prepare the support review';
export const SUBGOAL = 'Summarize the billing tickets';
const FILE = 'support-tickets.csv';

/** The script: plan v1 reads a missing file (the tool fails), the replanner revises to a count and a sub-goal. */
export function tracedScript() {
  const plan = byGoal({
    [GOAL]: planReply(wireStep('missing', 'data_query', { file: 'nowhere.csv' })),
    [SUBGOAL]: planReply(wireStep('billing_total', 'data_query', { file: FILE })),
  });
  const synthesize = byGoal({ [GOAL]: { content: 'Review ready.' }, [SUBGOAL]: { content: 'Billing summarized.' } });
  return {
    plan: [plan, plan],
    replan: [
      replanReply({
        action: 'revise',
        reason: 'nowhere.csv does not exist; count the tickets and hand billing to a sub-goal',
        steps: [
          wireStep('total', 'data_query', { file: FILE }),
          wireStep('billing', null, null, { dependsOn: ['total'], subgoal: SUBGOAL }),
        ],
      }),
    ],
    synthesize: [synthesize, synthesize],
  };
}

/**
 * The spans above the sub-goal's `planwright.run`, nearest first: its workflow span, started by the `billing` step of
 * the parent's run, which the client started.
 */
export const SUBGOAL_ANCESTRY = [
  'RunWorkflow:planAndExecute',
  'StartChildWorkflow:planAndExecute',
  'step billing',
  'planwright.run',
  'RunWorkflow:planAndExecute',
  'StartWorkflow:planAndExecute',
];

export const TRACED_INPUT: RunInput = { goal: GOAL, subgoals: { maxDepth: 1 } };

/** Where a traced worker runs: the tracer, the server's connections and the workflow bundle. */
export interface TracedWorkerOptions {
  tracing: Tracing;
  connection: Connection;
  nativeConnection: NativeConnection;
  workflowBundle: WorkflowBundleOption;
}

/**
 * Runs `body` with a planwright worker on a fresh task queue (a scripted model playing `script`, the built-in tools
 * and `tools`) and a client that traces, then stops the worker and the model.
 */
export async function withTracedWorker<T>(
  options: TracedWorkerOptions & { script: Script; tools?: Tool[] },
  body: (client: Client, taskQueue: string) => Promise<T>,
): Promise<{ value: T; model: ScriptedModel }> {
  const model = await startScriptedModel({ script: options.script });
  try {
    const taskQueue = unique('traces');
    const worker = await createPlanwrightWorker({
      connection: options.nativeConnection,
      namespace: 'default',
      taskQueue,
      model: createModel({ apiKey: 'scripted', baseURL: model.url, model: 'scripted', timeoutMs: 10_000 }),
      tools: [...builtinTools, ...(options.tools ?? [])],
      workspace: DEMO_WORKSPACE,
      planCache: { get: async () => undefined, set: async () => {} },
      workflowBundle: options.workflowBundle,
    });
    const client = new Client({
      connection: options.connection,
      interceptors: { workflow: clientTracing(options.tracing) },
    });
    return { value: await worker.runUntil(body(client, taskQueue)), model };
  } finally {
    await model.close();
  }
}

/** Runs the traced scenario to its end. */
export async function runTracedScenario(
  options: TracedWorkerOptions,
): Promise<{ result: RunResult; workflowId: string; model: ScriptedModel }> {
  const workflowId = unique('traced');
  const { value: result, model } = await withTracedWorker(
    { ...options, script: tracedScript() },
    async (client, taskQueue) => {
      const handle = await client.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
        taskQueue,
        workflowId,
        args: [TRACED_INPUT],
      });
      return runResult(handle);
    },
  );
  return { result, workflowId, model };
}

/**
 * Running planAndExecute in tests: a fresh worker and task queue per run, signals and queries during it,
 * and small plan fixtures shared by the workflow tests.
 */
import { Context } from '@temporalio/activity';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Activities, RunToolInput } from '../../activities/index.js';
import type { Plan } from '../../src/contract/plan.js';
import type { RunInput } from '../../src/contract/run-input.js';
import type { RunResult } from '../../src/contract/run-state.js';
import type { planAndExecute } from '../../workflows/index.js';
import { WORKFLOW_TYPE, stateQuery } from '../../workflows/messages.js';
import { afterAll, beforeAll } from 'vitest';
import { bundledWorker, timeSkippingEnv, unique } from './temporal.js';
import { runResult } from '../../src/run-result.js';

/** A handle on a run under test. */
export type Handle = WorkflowHandle<typeof planAndExecute>;

/** Runs one workflow on a fresh worker and task queue; `during` may signal or query it before the result. */
export function runWorkflow(
  env: TestWorkflowEnvironment,
  activities: Activities,
  input: RunInput,
  during?: (handle: Handle) => Promise<void>,
): Promise<RunResult> {
  return runThrough(env.client, env, activities, input, during);
}

/**
 * Runs one workflow like {@link runWorkflow}, but awaits it through a plain client, so that time moves only by
 * `env.sleep`: awaiting a result through the time-skipping client lets the test server skip ahead (years, once
 * the run has ended), which would expire whatever a later run should still find (cached plans, say).
 */
export function runWithoutSkipping(
  env: TestWorkflowEnvironment,
  activities: Activities,
  input: RunInput,
  during?: (handle: Handle) => Promise<void>,
): Promise<RunResult> {
  return runThrough(new Client({ connection: env.connection }), env, activities, input, during);
}

async function runThrough(
  client: Client,
  env: TestWorkflowEnvironment,
  activities: Activities,
  input: RunInput,
  during?: (handle: Handle) => Promise<void>,
): Promise<RunResult> {
  const taskQueue = unique('tq');
  const worker = await bundledWorker(env, {
    taskQueue,
    activities,
    defaultHeartbeatThrottleInterval: '50ms',
    maxHeartbeatThrottleInterval: '100ms',
  });
  return worker.runUntil(async () => {
    const handle = await client.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
      taskQueue,
      workflowId: unique('run'),
      args: [input],
    });
    await during?.(handle);
    return runResult(handle);
  });
}

/** Polls the state query until `predicate` holds. */
export async function until(handle: Handle, predicate: (state: RunResult) => boolean): Promise<RunResult> {
  let last: RunResult | undefined;
  for (let i = 0; i < 300; i++) {
    last = await handle.query(stateQuery);
    if (predicate(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the run never reached the expected state; last status ${last?.status}`);
}

/** Three steps: two independent counts, then a share computed from both. */
export const reportPlan: Plan = {
  steps: [
    {
      id: 'count',
      title: 'Count per intent',
      dependsOn: [],
      tool: 'data_query',
      args: { file: 't.csv', groupBy: 'intent' },
    },
    { id: 'total', title: 'Count all', dependsOn: [], tool: 'data_query', args: { file: 't.csv' } },
    {
      id: 'share',
      title: 'Top share',
      dependsOn: ['count', 'total'],
      tool: 'calculator',
      args: { expression: '{{count.groups.0.value}} / {{total.value}} * 100' },
    },
  ],
};

/** What the tools answer for {@link reportPlan}. */
export const reportOutputs = {
  count: { groups: [{ key: 'billing', value: 30 }], matched: 120 },
  total: { value: 120 },
  share: { expression: '30 / 120 * 100', value: 25 },
};

/** A runTool mock answering from a table of outputs by step id (or failing for good), recording every call. */
export function toolsAnswering(outputs: Record<string, RunToolInput['args']>, calls: RunToolInput[] = []) {
  return {
    calls,
    runTool: async (input: RunToolInput) => {
      calls.push(input);
      const output = outputs[input.stepId];
      if (output === undefined) {
        throw ApplicationFailure.create({
          type: 'ToolFailed',
          nonRetryable: true,
          message: `${input.stepId} is broken`,
        });
      }
      return { output, attempt: Context.current().info.attempt };
    },
  };
}

/** How many times each step id was sent to a tool. */
export function callsPerStep(calls: readonly RunToolInput[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of calls) counts[call.stepId] = (counts[call.stepId] ?? 0) + 1;
  return counts;
}

/**
 * Declares a time-skipping environment for the current test file (started before its tests, torn down
 * after them) and returns a way to run workflows on it.
 */
export function timeSkippingSuite() {
  let env: TestWorkflowEnvironment | undefined;
  beforeAll(async () => {
    env = await timeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });
  const current = () => {
    if (!env) throw new Error('the time-skipping environment has not started');
    return env;
  };
  return {
    env: current,
    run: (activities: Activities, input: RunInput, during?: (handle: Handle) => Promise<void>) =>
      runWorkflow(current(), activities, input, during),
  };
}

/** A calculator step, for plans whose tool outputs come from a mock. */
export function calcStep(id: string, dependsOn: string[] = [], extra: Partial<Plan['steps'][number]> = {}) {
  return { id, title: `Step ${id}`, dependsOn, tool: 'calculator', args: { expression: '1' }, ...extra };
}

/**
 * One run of the demo's plan for `npm run bench -- e2e`, started by whichever client the benchmark is timing (in
 * the worker's process, eagerly, or in another process).
 */
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import { DEMO_GOAL } from '../src/demo/support-report.js';
import { runResult } from '../src/run-result.js';
import { WORKFLOW_TYPE } from '../workflows/messages.js';
import type { planAndExecute } from '../workflows/index.js';

/**
 * Starts the demo's run and waits for its result; the time from start to result, in ms.
 * @throws {Error} when the run does not complete.
 */
export async function timedDemoRun(
  client: Client,
  options: { taskQueue: string; workflowId: string; eager: boolean },
): Promise<{ ms: number; eagerlyStarted: boolean }> {
  const started = performance.now();
  const handle = await client.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
    taskQueue: options.taskQueue,
    workflowId: options.workflowId,
    args: [{ goal: DEMO_GOAL }],
    ...(options.eager ? { requestEagerStart: true } : {}),
  });
  const result = await runResult(handle);
  if (result.status !== 'completed') throw new Error(`the demo run ended ${result.status}`);
  return { ms: performance.now() - started, eagerlyStarted: handle.eagerlyStarted };
}

/**
 * The Current Details the Web UI reads with the SDK's metadata query: rendered when asked for (the interceptor of
 * workflows/current-details.ts, in every bundle built with WORKFLOW_BUNDLE_OPTIONS), and still there in a bundle
 * built without it; fresh while the run waits, and after it ended (answered by replaying the history).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker, bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import type { RunResult } from '../../src/contract/run-state.js';
import { runResult } from '../../src/run-result.js';
import { renderDetails } from '../../src/run/details.js';
import { WORKFLOW_BUNDLE_OPTIONS } from '../../src/worker.js';
import { WORKFLOW_TYPE, approvePlanUpdate } from '../../workflows/messages.js';
import { ONE_CALL, mockActivities, planned } from '../support/mock-activities.js';
import { calcStep, toolsAnswering, until, type Handle } from '../support/run-workflow.js';
import { bundledWorker, timeSkippingEnv, unique } from '../support/temporal.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';

let env: TestWorkflowEnvironment;
/** Built the way a bundle made before the interceptor existed is: no workflow interceptor modules. */
let withoutInterceptor: WorkflowBundle;

beforeAll(async () => {
  env = await timeSkippingEnv();
  const { workflowsPath, preloadModules } = WORKFLOW_BUNDLE_OPTIONS;
  withoutInterceptor = await bundleWorkflowCode({ workflowsPath, preloadModules, logger: quietBundler });
}, 120_000);

afterAll(async () => {
  await env?.teardown();
});

const quietBundler = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error };

async function currentDetails(handle: Handle): Promise<string | undefined> {
  return ((await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string }).currentDetails;
}

/** Runs a plan that waits for approval; checks the details while it waits and after it ended. */
async function detailsWhileWaitingAndAfter(worker: (taskQueue: string) => Promise<Worker>) {
  const taskQueue = unique('details');
  return (await worker(taskQueue)).runUntil(async () => {
    const handle: Handle = await env.client.workflow.start(WORKFLOW_TYPE, {
      taskQueue,
      workflowId: unique('details'),
      args: [{ goal: 'Add two numbers', approval: 'plan' }],
    });
    const waiting = await until(handle, (s) => s.status === 'awaiting-approval');
    const whileWaiting = await currentDetails(handle);
    await handle.executeUpdate(approvePlanUpdate, { args: [{ version: waiting.plan!.version }] });
    const result: RunResult = await runResult(handle);
    return { handle, waiting, whileWaiting, result, afterEnd: await currentDetails(handle) };
  });
}

describe('Current Details', () => {
  it('are rendered when the Web UI asks, from the state the run is in, also after it ended', async () => {
    const { handle, waiting, whileWaiting, result, afterEnd } = await detailsWhileWaitingAndAfter((taskQueue) =>
      bundledWorker(env, { taskQueue, activities: detailsActivities() }),
    );
    expect(whileWaiting).toBe(renderDetails(waiting, { workflowId: handle.workflowId }));
    expect(result.status).toBe('completed');
    expect(afterEnd).toBe(renderDetails(result, { workflowId: handle.workflowId }));
  });

  it('are there too with a bundle built without the interceptor module', async () => {
    const { handle, waiting, whileWaiting, result, afterEnd } = await detailsWhileWaitingAndAfter((taskQueue) =>
      Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle: withoutInterceptor,
        activities: detailsActivities(),
      }),
    );
    expect(whileWaiting).toBe(renderDetails(waiting, { workflowId: handle.workflowId }));
    expect(result.status).toBe('completed');
    expect(afterEnd).toBe(renderDetails(result, { workflowId: handle.workflowId }));
  });
});

function detailsActivities() {
  return mockActivities({
    createPlan: async () => planned({ steps: [calcStep('a'), calcStep('b', ['a'])] }),
    runTool: toolsAnswering({ a: { value: 1 }, b: { value: 2 } }).runTool,
    synthesize: async () => ({ answer: 'three', usage: ONE_CALL }),
  });
}

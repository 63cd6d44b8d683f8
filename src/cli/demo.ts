/**
 * `planwright demo`: the weekly support report, end to end, on the embedded dev server.
 */
import { createModel, modelConfigFromEnv } from '../llm/model.js';
import { DEMO_GOAL, DEMO_WORKSPACE, demoScript } from '../demo/support-report.js';
import type { RunResult } from '../contract/run-state.js';
import { startLocalTemporal, type LocalTemporal } from '../temporal/local-server.js';
import { startScriptedModel } from '../testing/scripted-model.js';
import { createPlanwrightWorker, loadTools } from '../worker.js';
import { followRun, renderSummary } from './render.js';
import type { planAndExecute } from '../../workflows/index.js';
import { WORKFLOW_TYPE } from '../../workflows/messages.js';
import { freePort } from '../free-port.js';

/** Options of the demo. */
export interface DemoOptions {
  /** Keep the server, its Web UI and the worker up after the run, until Ctrl-C. */
  keep: boolean;
  /** With `keep`: stop when this settles rather than at Ctrl-C (for tests and embedding programs). */
  keepUntil?: Promise<unknown>;
  uiPort?: number;
  print: (line: string) => void;
}

/**
 * Runs the demo and returns its result.
 * @throws {ProvisioningError} when no Temporal dev server can be provided.
 */
export async function runDemo({ keep, keepUntil, uiPort, print }: DemoOptions): Promise<RunResult> {
  const realModel = Boolean(process.env.OPENAI_API_KEY || process.env.OPENAI_BASE_URL);
  const scripted = realModel ? undefined : await startScriptedModel({ script: demoScript() });
  const modelConfig = scripted
    ? { ...modelConfigFromEnv(), apiKey: 'scripted', baseURL: scripted.url, model: 'scripted-demo' }
    : modelConfigFromEnv();
  print(
    scripted
      ? `Model: the scripted model at ${scripted.url} (set OPENAI_API_KEY or OPENAI_BASE_URL to use a real one)`
      : `Model: ${modelConfig.model} at ${modelConfig.baseURL ?? 'api.openai.com'}`,
  );

  print('Starting the local Temporal dev server…');
  const temporal = await startLocalTemporal({ uiPort: uiPort ?? (await freePort(8233)) });
  print(`Temporal: ${temporal.address} · Web UI: ${temporal.uiUrl}`);
  const taskQueue = `planwright-demo-${Date.now()}`;
  try {
    const worker = await createPlanwrightWorker({
      connection: temporal.env.nativeConnection,
      namespace: 'default',
      taskQueue,
      model: createModel(modelConfig),
      tools: await loadTools(),
      workspace: process.env.PLANWRIGHT_WORKSPACE ?? DEMO_WORKSPACE,
    });
    // The worker runs until the demo is over — with --keep, until Ctrl-C (the SDK's runtime then shuts it down),
    // so that the Web UI's Current Details and Queries, which the worker answers, keep working.
    const running = worker.run();
    const stopped = running.then(() => Promise.reject(new Error('the worker stopped before the run ended')));
    stopped.catch(() => undefined); // Raced against the run below; once the run is over, the worker stops anyway.
    try {
      const result = await Promise.race([demoRun(temporal, taskQueue, print), stopped]);
      scripted?.assertDone();
      if (keep) {
        print('\nThe server and its worker stay up; press Ctrl-C to stop.');
        print('The worker keeps answering the Web UI (Current Details, Queries) meanwhile.');
        await Promise.race([running, keepUntil ?? new Promise((resolve) => process.once('SIGINT', resolve))]);
      }
      return result;
    } finally {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    }
  } finally {
    await temporal.stop();
    await scripted?.close();
  }
}

/** Starts the demo's run and follows it to its end. */
async function demoRun(temporal: LocalTemporal, taskQueue: string, print: (line: string) => void): Promise<RunResult> {
  const workflowId = `support-report-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}`;
  const handle = await temporal.env.client.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
    taskQueue,
    workflowId,
    args: [{ goal: DEMO_GOAL }],
    staticSummary: 'Weekly customer-support report',
    staticDetails: DEMO_GOAL,
  });
  print(`Run: ${workflowId}\n`);
  const state = await followRun(handle, print);
  print(`\n${state.answer ?? '(no answer)'}\n`);
  print(renderSummary(state));
  print(`Web UI: ${temporal.uiUrl}/namespaces/default/workflows/${workflowId}/${handle.firstExecutionRunId}/history`);
  return state;
}

/**
 * `planwright demo`: the weekly support report, end to end, on the embedded dev server.
 */
import { createModel, modelConfigFromEnv } from '../llm/model.js';
import { DEMO_GOAL, DEMO_WORKSPACE, demoScript } from '../demo/support-report.js';
import type { RunResult } from '../contract/run-state.js';
import { startLocalTemporal } from '../temporal/local-server.js';
import { startScriptedModel } from '../testing/scripted-model.js';
import { createPlanwrightWorker, loadTools } from '../worker.js';
import { followRun, renderSummary } from './render.js';
import type { planAndExecute } from '../../workflows/index.js';
import { WORKFLOW_TYPE } from '../../workflows/messages.js';
import { freePort } from '../free-port.js';

/** Options of the demo. */
export interface DemoOptions {
  /** Keep the server (and its Web UI) up after the run, until Ctrl-C. */
  keep: boolean;
  uiPort?: number;
  print: (line: string) => void;
}

/**
 * Runs the demo and returns its result.
 * @throws {ProvisioningError} when no Temporal dev server can be provided.
 */
export async function runDemo({ keep, uiPort, print }: DemoOptions): Promise<RunResult> {
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
  const worker = await createPlanwrightWorker({
    connection: temporal.env.nativeConnection,
    namespace: 'default',
    taskQueue,
    model: createModel(modelConfig),
    tools: await loadTools(),
    workspace: process.env.PLANWRIGHT_WORKSPACE ?? DEMO_WORKSPACE,
  });
  try {
    const result = await worker.runUntil(async () => {
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
      print(
        `Web UI: ${temporal.uiUrl}/namespaces/default/workflows/${workflowId}/${handle.firstExecutionRunId}/history`,
      );
      return state;
    });
    scripted?.assertDone();
    if (keep) {
      print('\nThe server stays up so you can browse the Web UI; press Ctrl-C to stop.');
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
    return result;
  } finally {
    await temporal.stop();
    await scripted?.close();
  }
}

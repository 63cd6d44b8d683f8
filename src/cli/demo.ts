/**
 * `planwright demo [name]`: a demo agent end to end on the embedded dev server (the weekly support report when
 * no name is given; `getaway` and `research` are the others).
 */
import type { WorkflowHandle } from '@temporalio/client';
import { createModel, modelConfigFromEnv } from '../llm/model.js';
import { DEFAULT_DEMO, DEMO_AGENTS, type DemoAgent } from '../demo/agents.js';
import { parseRunInput, type ResolvedRunInput, type RunInput } from '../contract/run-input.js';
import type { RunResult, RunState } from '../contract/run-state.js';
import { startLocalTemporal, type LocalTemporal } from '../temporal/local-server.js';
import { startScriptedModel } from '../testing/scripted-model.js';
import { createPlanwrightWorker, loadTools } from '../worker.js';
import { followRun, renderSummary, shellWord } from './render.js';
import type { planAndExecute } from '../../workflows/index.js';
import {
  WORKFLOW_TYPE,
  resolveEscalationUpdate,
  stateQuery,
  type ResolveEscalation,
} from '../../workflows/messages.js';
import { freePort } from '../free-port.js';
import { UsageError } from './errors.js';

/** Options of the demo. */
export interface DemoOptions {
  /** Which demo agent to run (see `DEMO_AGENTS`); default `support-report`. */
  agent?: string;
  /** Run options that replace the agent's own (`--escalation human`, say). */
  overrides?: Partial<RunInput>;
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
export async function runDemo(options: DemoOptions): Promise<RunResult> {
  const { keep, keepUntil, uiPort, print } = options;
  const name = options.agent ?? DEFAULT_DEMO;
  const agent: DemoAgent | undefined = (DEMO_AGENTS as Record<string, DemoAgent>)[name];
  if (!agent) throw new UsageError(`there is no demo "${name}"; run one of: ${Object.keys(DEMO_AGENTS).join(', ')}`);
  const input = parseRunInput({ ...agent.input, ...options.overrides });
  const realModel = Boolean(process.env.OPENAI_API_KEY || process.env.OPENAI_BASE_URL);
  const scripted = realModel ? undefined : await startScriptedModel({ script: agent.script(input) });
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
      tools: [...(await loadTools()), ...agent.tools],
      workspace: process.env.PLANWRIGHT_WORKSPACE ?? agent.workspace,
    });
    // The worker runs until the demo is over — with --keep, until Ctrl-C (the SDK's runtime then shuts it down),
    // so that the Web UI's Current Details and Queries, which the worker answers, keep working.
    const running = worker.run();
    const stopped = running.then(() => Promise.reject(new Error('the worker stopped before the run ended')));
    stopped.catch(() => undefined); // Raced against the run below; once the run is over, the worker stops anyway.
    try {
      const result = await Promise.race([demoRun(temporal, taskQueue, print, { name, agent, input }), stopped]);
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

/** Starts the demo's run and follows it to its end, answering in a person's place when the agent does. */
async function demoRun(
  temporal: LocalTemporal,
  taskQueue: string,
  print: (line: string) => void,
  demo: { name: string; agent: DemoAgent; input: ResolvedRunInput },
): Promise<RunResult> {
  const workflowId = `${demo.name}-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}`;
  const handle = await temporal.env.client.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
    taskQueue,
    workflowId,
    args: [demo.input],
    staticSummary: demo.agent.summary,
    staticDetails: demo.input.goal,
  });
  print(`Run: ${workflowId}\n`);
  const following = followRun(handle, print);
  const { decide } = demo.agent;
  const answering = decide
    ? answerForPerson(handle, following, print, (state) => decide(state, demo.input))
    : undefined;
  const state = await following;
  await answering;
  print(`\n${state.answer ?? '(no answer)'}\n`);
  print(renderSummary(state));
  print(`Web UI: ${temporal.uiUrl}/namespaces/default/workflows/${workflowId}/${handle.firstExecutionRunId}/history`);
  return state;
}

/**
 * Plays the person a run asks about a failed step: once per step, a moment after the run asks, sends the
 * agent's decision and prints the command that would have sent it. Stops when the run ends.
 */
async function answerForPerson(
  handle: WorkflowHandle,
  ended: Promise<unknown>,
  print: (line: string) => void,
  decide: (state: RunState) => Omit<ResolveEscalation, 'stepId'>,
): Promise<void> {
  let over = false;
  void ended.finally(() => (over = true)).catch(() => undefined);
  const answered = new Set<string>();
  while (!over) {
    await new Promise((resolve) => setTimeout(resolve, 750));
    const state = await handle.query(stateQuery).catch(() => undefined);
    const asked = state?.status === 'awaiting-decision' ? state.escalation : undefined;
    if (!state || !asked || answered.has(asked.stepId) || over) continue;
    answered.add(asked.stepId);
    const { decision, note } = decide(state);
    print(
      `(demo) answering for you: planwright resolve ${shellWord(handle.workflowId)} ${asked.stepId} ${decision}` +
        (note ? ` --note ${shellWord(note)}` : ''),
    );
    await handle.executeUpdate(resolveEscalationUpdate, {
      args: [{ stepId: asked.stepId, decision, ...(note ? { note } : {}) }],
    });
  }
}

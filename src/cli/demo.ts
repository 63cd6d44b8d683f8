/**
 * `planwright demo [name]`: a demo agent end to end on the embedded dev server (the weekly support report when
 * no name is given; `getaway`, `research` and `pipeline` are the others). A recurring agent (`pipeline`) runs on
 * a schedule of its own, which the demo creates, triggers and deletes.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { modelConfigFromEnv } from '../llm/config.js';
import { DEMO_MODEL } from '../llm/prices.js';
import { createModel } from '../llm/model.js';
import type { DemoAgent, DemoSchedule } from '../demo/agent.js';
import { DEFAULT_DEMO, DEMO_AGENTS } from '../demo/agents.js';
import { parseRunInput, type ResolvedRunInput, type RunInput } from '../contract/run-input.js';
import type { RunResult } from '../contract/run-state.js';
import { createFilePlanCache } from '../plan-cache.js';
import {
  createRunSchedule,
  deleteRunSchedule,
  describeRunSchedule,
  scheduledRunInput,
  triggerRunSchedule,
} from '../schedules.js';
import { startLocalTemporal, type LocalTemporal } from '../temporal/local-server.js';
import { startScriptedModel, type ScriptedModel } from '../testing/scripted-model.js';
import { createPlanwrightWorker, loadTools } from '../worker.js';
import { personFor } from './demo-person.js';
import { followRun, renderSummary, shellWord } from './render.js';
import { renderSchedule } from './schedule.js';
import { startFlags } from './start-options.js';
import type { planAndExecute } from '../../workflows/index.js';
import { WORKFLOW_TYPE } from '../../workflows/messages.js';
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

/** A demo agent as one demo runs it: its input as given and as every run gets it. */
interface Demo {
  name: string;
  agent: DemoAgent;
  /** The agent's input with the overrides, as a schedule is made from it. */
  given: RunInput;
  input: ResolvedRunInput;
  /** The scripted model it talks to, unless a real one is configured. */
  scripted?: ScriptedModel;
}

/**
 * Runs the demo and returns the result of its run (of its last run, for a recurring agent: the demo stops after
 * a run that does not complete).
 * @throws {ProvisioningError} when no Temporal dev server can be provided.
 */
export async function runDemo(options: DemoOptions): Promise<RunResult> {
  const { uiPort, print } = options;
  const name = options.agent ?? DEFAULT_DEMO;
  const agent: DemoAgent | undefined = (DEMO_AGENTS as Record<string, DemoAgent>)[name];
  if (!agent) throw new UsageError(`there is no demo "${name}"; run one of: ${Object.keys(DEMO_AGENTS).join(', ')}`);
  const given = { ...agent.input, ...options.overrides };
  const input = agent.schedule ? scheduledRunInput(given) : parseRunInput(given);
  const realModel = Boolean(process.env.OPENAI_API_KEY || process.env.OPENAI_BASE_URL);
  const scripted = realModel ? undefined : await startScriptedModel({ script: agent.script(input) });
  const demo: Demo = { name, agent, given, input, ...(scripted ? { scripted } : {}) };
  const modelConfig = scripted
    ? { ...modelConfigFromEnv(), apiKey: 'scripted', baseURL: scripted.url, model: DEMO_MODEL }
    : modelConfigFromEnv();
  print(
    scripted
      ? `Model: the scripted model at ${scripted.url} (set OPENAI_API_KEY or OPENAI_BASE_URL to use a real one)`
      : `Model: ${modelConfig.model} at ${modelConfig.baseURL ?? 'api.openai.com'}`,
  );
  // The demo's own plan cache and, for tools that write, its own copy of the workspace: a demo starts afresh.
  const scratch = await mkdtemp(path.join(tmpdir(), `planwright-${name}-`));
  try {
    const workspace = await demoWorkspace(agent, scratch, print);
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
        workspace,
        planCache: createFilePlanCache(path.join(scratch, 'plans')),
      });
      return await runWith(worker, { temporal, taskQueue }, demo, options);
    } finally {
      await temporal.stop();
    }
  } finally {
    await scripted?.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Runs the demo's runs with its worker running, then, with `keep`, keeps the worker up until Ctrl-C (the SDK's
 * runtime then shuts it down) so that the Web UI's Current Details and Queries, which the worker answers, keep
 * working.
 * @throws {Error} when the worker stops before the runs are over.
 */
async function runWith(
  worker: Worker,
  { temporal, taskQueue }: { temporal: LocalTemporal; taskQueue: string },
  demo: Demo,
  options: DemoOptions,
): Promise<RunResult> {
  const { keep, keepUntil, print } = options;
  const running = worker.run();
  const stopped = running.then(() => Promise.reject(new Error('the worker stopped before the run ended')));
  stopped.catch(() => undefined); // Raced against the runs below; once they are over, the worker stops anyway.
  try {
    const runs = demo.agent.schedule
      ? scheduledRuns(temporal, taskQueue, print, demo, demo.agent.schedule)
      : oneRun(temporal, taskQueue, print, demo);
    const result = await Promise.race([runs, stopped]);
    demo.scripted?.assertDone();
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
}

/**
 * Where the demo's tools work: `PLANWRIGHT_WORKSPACE` when set; for an agent whose tools write, a copy of its data
 * in the demo's scratch folder; otherwise its data where it is.
 */
async function demoWorkspace(agent: DemoAgent, scratch: string, print: (line: string) => void): Promise<string> {
  const given = process.env.PLANWRIGHT_WORKSPACE || undefined; // blank is unset, not the current folder
  if (given !== undefined || !agent.writesWorkspace) return given ?? agent.workspace;
  const copy = path.join(scratch, 'workspace');
  // The data only: the tools module beside it (sources, or compiled in the package) stays where it is.
  await cp(agent.workspace, copy, { recursive: true, filter: (file) => !/\.(c|m)?[jt]s$|\.map$/.test(file) });
  print(`Workspace: ${copy} (a copy of the example's data, which its tools change; removed when the demo ends)`);
  return copy;
}

/** Starts the demo's one run and follows it to its end. */
async function oneRun(
  temporal: LocalTemporal,
  taskQueue: string,
  print: (line: string) => void,
  demo: Demo,
): Promise<RunResult> {
  const workflowId = `${demo.name}-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}`;
  // Started on the worker's own connection: its first workflow task comes back with the start, to this worker.
  const handle = await temporal.workerClient.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
    taskQueue,
    workflowId,
    args: [demo.input],
    staticSummary: demo.agent.summary,
    staticDetails: demo.input.goal,
    requestEagerStart: true,
  });
  return followDemoRun(temporal, handle, print, demo);
}

/**
 * Runs a recurring agent as a person would with `planwright schedule`: creates its schedule (paused, so that only
 * the demo starts runs), triggers its runs one after the other, says what each one's planning took, and deletes
 * the schedule, printing each command it stands in for.
 */
async function scheduledRuns(
  temporal: LocalTemporal,
  taskQueue: string,
  print: (line: string) => void,
  demo: Demo,
  schedule: DemoSchedule,
): Promise<RunResult> {
  const { client } = temporal.env;
  const { id } = schedule;
  const note = 'paused: the demo triggers its runs itself';
  const when = (schedule.spec.cron ?? []).flatMap((cron) => ['--cron', cron]);
  const every = schedule.spec.every === undefined ? [] : ['--every', String(schedule.spec.every)];
  const { goal } = demo.given;
  const flags = [...when, ...every, '--paused', '--note', note, ...startFlags(demo.given)];
  print(`\n(demo) creating the schedule for you: planwright schedule create ${id} ${shellWord(goal)} \\`);
  print(`    ${flags.map(shellWord).join(' ')}`);
  await createRunSchedule(client, {
    scheduleId: id,
    spec: schedule.spec,
    runInput: demo.given,
    taskQueue,
    note,
    paused: true,
  });
  try {
    print(renderSchedule(await describeRunSchedule(client, id)));
    const results: RunResult[] = [];
    for (let n = 1; n <= schedule.runs; n++) {
      print(`\n── Run ${n} of ${schedule.runs} ──`);
      print(`(demo) triggering it for you: planwright schedule trigger ${id}`);
      const started = await triggerRunSchedule(client, id, { waitMs: 30_000 });
      if (!started) throw new Error(`schedule ${id} was triggered but started no run within 30 s`);
      const result = await followDemoRun(temporal, client.workflow.getHandle(started.workflowId), print, demo);
      results.push(result);
      if (result.status !== 'completed') break;
    }
    print(`\n── The runs of schedule ${id} ──`);
    results.forEach((result, i) => print(`Run ${i + 1}: ${result.status} · ${planningOf(result)}`));
    return results.at(-1) as RunResult;
  } finally {
    print(`\n(demo) deleting the schedule for you: planwright schedule delete ${id}`);
    await deleteRunSchedule(client, id);
    print(`deleted schedule ${id}; the runs it started are kept`);
  }
}

/** What a run's first plan took: planner calls (with invalid plans sent back) or the plan cache, and approval. */
function planningOf(result: RunResult): string {
  const fromCache = result.planHistory[0]?.reason.endsWith('from the plan cache');
  const sentBack = result.events.filter((e) => e.type === 'plan-invalid' && e.message.startsWith("the planner's"));
  const calls = sentBack.length + 1;
  const planning = fromCache
    ? 'plan from the plan cache (no planner call)'
    : `${calls} planner call${calls === 1 ? '' : 's'}` +
      (sentBack.length > 0 ? ` (${sentBack.length} invalid plan${sentBack.length === 1 ? '' : 's'} sent back)` : '');
  if (!result.events.some((e) => e.type === 'plan-approved')) return planning;
  // A cached plan that was approved was approved for an earlier run: the run does not ask again.
  const approved = fromCache
    ? 'not asked: a person approved this plan for an earlier run'
    : 'plan approved by a person';
  return `${planning} · ${approved}`;
}

/** Follows a demo run to its end, answering in a person's place when the agent does, and prints its outcome. */
async function followDemoRun(
  temporal: LocalTemporal,
  handle: WorkflowHandle,
  print: (line: string) => void,
  demo: Demo,
): Promise<RunResult> {
  print(`Run: ${handle.workflowId}\n`);
  const { decide, reviewPlan } = demo.agent;
  const person = personFor(handle, print, {
    ...(decide ? { decide: (state) => decide(state, demo.input) } : {}),
    ...(reviewPlan ? { reviewPlan: (state) => reviewPlan(state, demo.input) } : {}),
  });
  const following = followRun(handle, print, { onWaiting: (waiting) => person.asked(waiting) });
  const state = await Promise.race([following, person.refused]);
  await person.answered();
  print(`\n${state.answer ?? '(no answer)'}\n`);
  print(renderSummary(state));
  const runId = (await handle.describe()).runId;
  print(`Web UI: ${temporal.uiUrl}/namespaces/default/workflows/${handle.workflowId}/${runId}/history`);
  return state;
}

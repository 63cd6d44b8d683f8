/**
 * Commands about runs: start one, read its state, follow it, wait for its result (or one step's whole output),
 * list recent runs, cancel one, start them on a schedule (`../schedule.ts`).
 */
import type { WorkflowHandle } from '@temporalio/client';
import { isOutputRef } from '../../contract/output.js';
import type { Json } from '../../contract/plan.js';
import { openOutputStore, outputStoreSettings } from '../../outputs/config.js';
import { createOutputKeeper } from '../../outputs/keeper.js';
import { client, exitCodeOf, one, type CommandContext } from '../command.js';
import { UsageError } from '../errors.js';
import { endedState, readRunState } from '../read-state.js';
import { currentChanges, followRun, renderPlan, renderSummary, renderWaiting, shellWord } from '../render.js';
import { scheduleCommand } from '../schedule.js';
import { runInputFromOptions } from '../start-options.js';
import type { planAndExecute } from '../../../workflows/index.js';
import { WORKFLOW_TYPE } from '../../../workflows/messages.js';

/** `planwright start`: a run of a goal, followed to its end with `--wait`. */
export async function start({ values, positionals, out, follow }: CommandContext): Promise<number> {
  const input = runInputFromOptions(positionals.join(' '), values);
  const { client: c, config } = await client();
  const workflowId = values.id ?? `run-${Date.now().toString(36)}`;
  const handle = await c.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
    taskQueue: config.taskQueue,
    workflowId,
    // An id names one run: reusing the id of an ended run would make `status` and `result` ambiguous.
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    args: [input],
    staticSummary: input.goal.slice(0, 190),
    staticDetails: input.goal,
  });
  if (!values.wait) {
    out(`started ${workflowId}; follow it with: planwright watch ${shellWord(workflowId)}`, {
      workflowId,
      runId: handle.firstExecutionRunId,
    });
    return 0;
  }
  follow(`started ${workflowId} on task queue "${config.taskQueue}" (Ctrl-C stops watching; the run goes on)`);
  const state = await followRun(handle, follow);
  out(`${state.answer ? `\n${state.answer}\n` : ''}\n${renderSummary(state)}`, state);
  return exitCodeOf(state);
}

/** `planwright status`: a run's state, its plan, and what it waits for. */
export async function status({ positionals, out }: CommandContext): Promise<number> {
  const id = one(positionals, 'workflow id');
  const { client: c } = await client();
  const state = await readRunState(c.workflow.getHandle(id));
  const waiting = renderWaiting(id, state);
  out(
    `${state.plan ? `${renderPlan(state.plan, currentChanges(state))}\n` : ''}${renderSummary(state)}${waiting ? `\n${waiting}` : ''}`,
    state,
  );
  return 0;
}

/** `planwright result`: a run's answer once it ends, or one step's whole output. */
export function result(context: CommandContext): Promise<number> {
  return answer(context, 'result');
}

/** `watch` and `result`: the run's answer, once it ends (followed as it goes for `watch`), or a step's output. */
async function answer(
  { values, positionals, json, print, out, follow }: CommandContext,
  how: 'watch' | 'result',
): Promise<number> {
  const id = one(positionals, 'workflow id');
  const { client: c } = await client();
  const handle = c.workflow.getHandle(id);
  if (values.output !== undefined) {
    const output = await stepOutput(handle, values.output);
    print(typeof output === 'string' && !json ? output : JSON.stringify(output, null, json ? 2 : undefined));
    return 0;
  }
  const state = how === 'watch' ? await followRun(handle, follow) : await endedState(handle);
  out(`${state.answer ?? '(no answer)'}\n\n${renderSummary(state)}`, state);
  return exitCodeOf(state);
}

/** `planwright list`: the 50 most recent runs. */
export async function list({ out }: CommandContext): Promise<number> {
  const { client: c } = await client();
  const runs: Array<{ workflowId: string; status: string; startTime: string }> = [];
  for await (const info of c.workflow.list({ query: `WorkflowType = '${WORKFLOW_TYPE}'` })) {
    runs.push({ workflowId: info.workflowId, status: info.status.name, startTime: info.startTime.toISOString() });
    if (runs.length >= 50) break;
  }
  out(runs.map((r) => `${r.startTime}  ${r.status.padEnd(11)} ${r.workflowId}`).join('\n') || '(no runs)', runs);
  return 0;
}

/** `planwright cancel`: asks a run to cancel. */
export async function cancel({ positionals, out }: CommandContext): Promise<number> {
  const id = one(positionals, 'workflow id');
  const { client: c } = await client();
  await c.workflow.getHandle(id).cancel();
  out(`cancellation requested for ${id}`, { workflowId: id });
  return 0;
}

/** `planwright schedule <subcommand>`: recurring goals on Temporal Schedules. */
export function schedule({ values, positionals, out }: CommandContext): Promise<number> {
  return scheduleCommand(positionals, values, { connect: client, out });
}

/**
 * The whole output of one step of a run (running or ended), loaded from the output store when it is kept there.
 * @throws {UsageError} when the run has no such step, or the step has no output.
 */
async function stepOutput(handle: WorkflowHandle, stepId: string): Promise<Json> {
  const state = await readRunState(handle);
  const step = state.steps.find((s) => s.id === stepId);
  if (!step) {
    throw new UsageError(
      `run ${handle.workflowId} has no step "${stepId}"; its steps: ${state.steps.map((s) => s.id).join(', ')}`,
      { help: false },
    );
  }
  if (step.output === undefined) {
    throw new UsageError(`step "${stepId}" has no output (it is ${step.status})`, { help: false });
  }
  if (!isOutputRef(step.output)) return step.output;
  const store = await openOutputStore(outputStoreSettings());
  try {
    return await createOutputKeeper(store).load(step.output);
  } finally {
    await store.close();
  }
}

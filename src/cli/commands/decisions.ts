/**
 * Commands that send a run a person's decision: approve or reject its plan, change its goal, resolve an escalated
 * step. Each is an update, so a refusal comes back at once with the run's reason.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { Json } from '../../contract/plan.js';
import { client, integer, one, type CommandContext } from '../command.js';
import { RefusedError, UsageError } from '../errors.js';
import { readRunState } from '../read-state.js';
import {
  approvePlanUpdate,
  approveToolCallUpdate,
  changeGoalUpdate,
  rejectPlanUpdate,
  rejectToolCallUpdate,
  resolveEscalationUpdate,
} from '../../../workflows/messages.js';

/**
 * Sends a decision as an update, so a refusal comes back at once with its reason.
 * @throws {RefusedError} when the run refuses it.
 */
async function decide(send: () => Promise<unknown>): Promise<void> {
  try {
    await send();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      throw new RefusedError(`refused: ${err.cause?.message ?? err.message}`);
    throw err;
  }
}

/** `planwright approve`: approves the plan awaiting approval, or with `--call`, a tool call waiting for approval. */
export function approve(context: CommandContext): Promise<number> {
  return context.values.call === undefined ? reviewPlan(context, 'approve') : reviewCall(context, 'approve');
}

/** `planwright reject`: rejects the plan awaiting approval (feedback for the planner), or with `--call`, a tool call. */
export function reject(context: CommandContext): Promise<number> {
  return context.values.call === undefined ? reviewPlan(context, 'reject') : reviewCall(context, 'reject');
}

/** Approves (with `--args`, edited arguments) or rejects (`--reason`) a tool call waiting for approval. */
async function reviewCall(
  { values, positionals, out }: CommandContext,
  verdict: 'approve' | 'reject',
): Promise<number> {
  const id = one(positionals, 'workflow id');
  const callId = values.call as string;
  const { client: c } = await client();
  const handle = c.workflow.getHandle(id);
  if (verdict === 'approve') {
    const args = values.args === undefined ? undefined : argsObject(values.args);
    await decide(() => handle.executeUpdate(approveToolCallUpdate, { args: [{ callId, ...(args ? { args } : {}) }] }));
    out(`approved tool call ${callId} of ${id}${args ? ' with the arguments given' : ''}`, { workflowId: id, callId });
  } else {
    if (!values.reason) throw new UsageError('reject --call needs --reason saying why, so the run can try another way');
    const reason = values.reason;
    await decide(() => handle.executeUpdate(rejectToolCallUpdate, { args: [{ callId, reason }] }));
    out(`rejected tool call ${callId} of ${id}`, { workflowId: id, callId, reason });
  }
  return 0;
}

/**
 * The edited arguments of `--args`: a JSON object.
 * @throws {UsageError} saying what is wrong with it.
 */
function argsObject(text: string): { [key: string]: Json } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(
      `--args is not valid JSON (${(err as Error).message}); give an object such as '{"path": "a.txt"}'`,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`--args must be a JSON object such as '{"path": "a.txt"}'`);
  }
  return parsed as { [key: string]: Json };
}

/** Approves or rejects a version of the run's plan: the one given, else the run's current one. */
async function reviewPlan(
  { values, positionals, out }: CommandContext,
  verdict: 'approve' | 'reject',
): Promise<number> {
  const id = one(positionals, 'workflow id');
  const { client: c } = await client();
  const handle = c.workflow.getHandle(id);
  const version = integer(values.version, 'version') ?? (await readRunState(handle)).plan?.version;
  if (version === undefined) throw new UsageError(`run ${id} has no plan yet; try again in a moment`, { help: false });
  if (verdict === 'approve') await decide(() => handle.executeUpdate(approvePlanUpdate, { args: [{ version }] }));
  else {
    if (!values.feedback) throw new UsageError('reject needs --feedback saying what to change');
    const feedback = values.feedback;
    await decide(() => handle.executeUpdate(rejectPlanUpdate, { args: [{ version, feedback }] }));
  }
  out(`${verdict === 'approve' ? 'approved' : 'rejected'} plan v${version} of ${id}`, { workflowId: id, version });
  return 0;
}

/** `planwright change-goal`: gives a run a new goal, which it replans for. */
export async function changeGoal({ values, positionals, out }: CommandContext): Promise<number> {
  const [id, ...words] = positionals;
  if (!id || words.length === 0) throw new UsageError('change-goal needs a workflow id and the new goal');
  const goal = words.join(' ');
  const { client: c } = await client();
  const handle = c.workflow.getHandle(id);
  await decide(() =>
    handle.executeUpdate(changeGoalUpdate, {
      args: [{ goal, ...(values.reason ? { reason: values.reason } : {}) }],
    }),
  );
  out(`goal of ${id} changed; the run replans for it`, { workflowId: id, goal });
  return 0;
}

/** `planwright resolve`: a person's decision about a step escalated to them. */
export async function resolve({ values, positionals, out }: CommandContext): Promise<number> {
  const [id, stepId, decision] = positionals;
  if (!id || !stepId || !decision) throw new UsageError('resolve needs a workflow id, a step id and a decision');
  if (!['retry', 'skip', 'replan', 'abort'].includes(decision)) {
    throw new UsageError(`"${decision}" is not a decision; use retry, skip, replan or abort`);
  }
  const { client: c } = await client();
  const handle = c.workflow.getHandle(id);
  const resolution = {
    stepId,
    decision: decision as 'retry' | 'skip' | 'replan' | 'abort',
    ...(values.note ? { note: values.note } : {}),
  };
  await decide(() => handle.executeUpdate(resolveEscalationUpdate, { args: [resolution] }));
  out(`${decision} ${stepId} in ${id}`, { workflowId: id, ...resolution });
  return 0;
}

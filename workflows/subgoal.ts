/**
 * A sub-goal step: runs as a child `planAndExecute` run (its own plan, approvals and page in the Web UI), whose
 * answer is the step's output. Cancelling the parent cancels the child and waits for it to stop; so does closing
 * the parent any other way (terminated, timed out). What the child starts with is decided in `src/run/subgoal.ts`.
 */
import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowCancellationType,
  ChildWorkflowFailure,
  ParentClosePolicy,
  isCancellation,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { RunState } from '../src/contract/run-state.js';
import { clip, stepState } from '../src/run/state.js';
import { subgoalInput, subgoalOutcome, subgoalWorkflowId, type SubgoalStep } from '../src/run/subgoal.js';
import { WORKFLOW_TYPE, type PlanAndExecuteWorkflow } from './messages.js';
import type { Run } from './run.js';
import type { StepOutcome } from '../src/run/ledger.js';
import { describeFailure } from './steps.js';

/**
 * Runs a sub-goal step as a child run and waits for its end.
 * @throws {CancelledFailure} when the parent run is cancelled (after the child has stopped).
 */
export async function runSubgoal(run: Run, step: SubgoalStep, position: string): Promise<StepOutcome> {
  const parent = workflowInfo();
  const workflowId = subgoalWorkflowId(parent.workflowId, step.id, stepState(run.state, step.id).attempts);
  try {
    const child = await startChild<PlanAndExecuteWorkflow>(WORKFLOW_TYPE, {
      workflowId,
      args: [subgoalInput(run.input, run.state, step)],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
      staticSummary: clip(`${step.title} · sub-goal of ${parent.workflowId}`, 190),
      staticDetails: `Step "${step.id}" of ${parent.workflowId} (${position}).\n\n${step.subgoal}`,
    });
    run.subgoalStarted(step.id, { workflowId, runId: child.firstExecutionRunId }, position);
    return { ...subgoalOutcome(workflowId, await child.result()), attempts: 1 };
  } catch (err) {
    // The parent's own cancellation goes on; a child cancelled by someone else is a failure of its step.
    if (isCancellation(err) && CancellationScope.current().consideredCancelled) throw err;
    const ended = endedState(err);
    return { ok: false, error: `the sub-goal run ${workflowId} ${why(err)}`, attempts: 1, usage: ended?.usage ?? {} };
  }
}

/** A failed child's state: a run that fails carries it as its failure's first detail (see `finish`). */
function endedState(err: unknown): RunState | undefined {
  const cause = err instanceof ChildWorkflowFailure ? err.cause : undefined;
  return cause instanceof ApplicationFailure ? (cause.details?.[0] as RunState | undefined) : undefined;
}

/** Why a child run did not return a result, in a few words. */
function why(err: unknown): string {
  if (!(err instanceof ChildWorkflowFailure)) return `could not start: ${describeFailure(err)}`;
  if (isCancellation(err)) return 'was cancelled';
  return `ended: ${clip(err.cause?.message ?? err.message)}`;
}

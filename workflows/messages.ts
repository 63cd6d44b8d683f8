/**
 * Signals, queries and updates of `planAndExecute`. Clients and tests use these constants, never names.
 * Each decision exists as a signal (fire and forget; refused ones are recorded) and as an update of the
 * same name (the caller learns at once whether it was accepted, and why not).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RunInput } from '../src/contract/run-input.js';
import type {
  ApproveToolCall,
  RejectToolCall,
  ResolveEscalation,
  RunResult,
  RunState,
} from '../src/contract/run-state.js';
import type { RunMemory } from '../src/run/state.js';
import type { WorkflowStreamState } from '@temporalio/workflow-streams/workflow';

/** The workflow type clients start. */
export const WORKFLOW_TYPE = 'planAndExecute';

/**
 * The signature of the `planAndExecute` workflow: a run's input, and (internal) what it carries across continue-as-new:
 * its memory and its stream's state.
 */
export type PlanAndExecuteWorkflow = (
  input: RunInput,
  resume?: RunMemory,
  stream?: WorkflowStreamState,
) => Promise<RunResult>;

/** Approval of a plan version. */
export interface ApprovePlan {
  version: number;
}
/** Rejection of a plan version, with what to change. */
export interface RejectPlan {
  version: number;
  feedback: string;
}
/** A new goal for a running run. */
export interface ChangeGoal {
  goal: string;
  reason?: string;
}
export type { ApproveToolCall, RejectToolCall, ResolveEscalation };

/** Approves the plan with this version; a stale version is ignored and recorded. */
export const approvePlanSignal = defineSignal<[ApprovePlan]>('approvePlan');
/** Rejects the plan with this version; the feedback goes back to the planner. */
export const rejectPlanSignal = defineSignal<[RejectPlan]>('rejectPlan');
/** Changes the goal mid-run; finished work is kept and the run replans for the new goal. */
export const changeGoalSignal = defineSignal<[ChangeGoal]>('changeGoal');
/** A person's decision on a step that was escalated to them. */
export const resolveEscalationSignal = defineSignal<[ResolveEscalation]>('resolveEscalation');

/**
 * {@link approvePlanSignal} as an update: fails at once when the version is not awaiting approval, and
 * answers with the run's status once the approval took effect.
 * @example const status = await handle.executeUpdate(approvePlanUpdate, { args: [{ version: 1 }] }); // 'running'
 */
export const approvePlanUpdate = defineUpdate<RunState['status'], [ApprovePlan]>('approvePlan');
/**
 * {@link rejectPlanSignal} as an update: fails at once when the version is not awaiting approval.
 * @example await handle.executeUpdate(rejectPlanUpdate, { args: [{ version: 1, feedback: 'Only urgent tickets.' }] });
 */
export const rejectPlanUpdate = defineUpdate<RunState['status'], [RejectPlan]>('rejectPlan');
/**
 * {@link changeGoalSignal} as an update: fails at once when the run has ended or the goal is empty.
 * @example await handle.executeUpdate(changeGoalUpdate, { args: [{ goal: 'Only enterprise customers' }] });
 */
export const changeGoalUpdate = defineUpdate<RunState['status'], [ChangeGoal]>('changeGoal');
/**
 * {@link resolveEscalationSignal} as an update: fails at once when that step is not awaiting a decision.
 * @example await handle.executeUpdate(resolveEscalationUpdate, { args: [{ stepId: 'fetch', decision: 'skip' }] });
 */
export const resolveEscalationUpdate = defineUpdate<RunState['status'], [ResolveEscalation]>('resolveEscalation');

/** Approves a tool call waiting for approval (listed in `state.pendingCalls`), with edited arguments if given. */
export const approveToolCallSignal = defineSignal<[ApproveToolCall]>('approveToolCall');
/** Rejects a tool call waiting for approval; the step fails with the reason (an executor is told, and may go on). */
export const rejectToolCallSignal = defineSignal<[RejectToolCall]>('rejectToolCall');
/**
 * {@link approveToolCallSignal} as an update: fails at once when that call is not waiting, or when edited
 * arguments do not fit the tool's input schema; answers with the run's status once the call was let through.
 * @example await handle.executeUpdate(approveToolCallUpdate, { args: [{ callId: 'send-call-1' }] });
 */
export const approveToolCallUpdate = defineUpdate<RunState['status'], [ApproveToolCall]>('approveToolCall');
/**
 * {@link rejectToolCallSignal} as an update: fails at once when that call is not waiting.
 * @example await handle.executeUpdate(rejectToolCallUpdate, { args: [{ callId: 'send-call-1', reason: 'Not that list.' }] });
 */
export const rejectToolCallUpdate = defineUpdate<RunState['status'], [RejectToolCall]>('rejectToolCall');

/** The live state of the run. */
export const stateQuery = defineQuery<RunState>('state');

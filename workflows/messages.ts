/**
 * Signals, queries and updates of `planAndExecute`. Clients and tests use these constants, never names.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { RunState } from '../src/contract/run-state.js';

/** The workflow type clients start. */
export const WORKFLOW_TYPE = 'planAndExecute';

/** Approves the plan with this version; a stale version is ignored and recorded. */
export const approvePlanSignal = defineSignal<[{ version: number }]>('approvePlan');

/** Rejects the plan with this version; the feedback goes back to the planner. */
export const rejectPlanSignal = defineSignal<[{ version: number; feedback: string }]>('rejectPlan');

/** Changes the goal mid-run; finished work is kept. */
export const changeGoalSignal = defineSignal<[{ goal: string; reason?: string }]>('changeGoal');

/** A person's decision on a step that was escalated to them. */
export const resolveEscalationSignal =
  defineSignal<[{ stepId: string; decision: 'retry' | 'skip' | 'replan' | 'abort'; note?: string }]>(
    'resolveEscalation',
  );

/** The live state of the run. */
export const stateQuery = defineQuery<RunState>('state');

/**
 * What the run does once no step is running: the routing of the run loop, as a pure function of plain facts.
 */
import type { StepStatus } from '../contract/run-state.js';
import { FINISHED } from './state.js';

/** The run loop's next move after the scheduler has gone quiet. */
export type NextMove = 'replan-for-goal' | 'recover' | 'review' | 'continue-as-new' | 'extend' | 'report' | 'stalled';

/** What the choice is based on. */
export interface QuietFacts {
  /** A person changed the goal and the run has not acted on it yet. */
  goalChanged: boolean;
  /** A step failed for good and awaits recovery. */
  needsAttention: boolean;
  /** Under `review: 'every-step'`, a step succeeded and the replanner has not seen it yet. */
  reviewDue: boolean;
  /** With a rolling horizon: the planned steps may be followed by more, and the replanner has not said otherwise. */
  mayExtend: boolean;
  /** The history is long enough to continue as a new run. */
  continueAsNewDue: boolean;
  /** The status of every step of the current plan. */
  steps: readonly StepStatus[];
}

/**
 * Chooses the next move, in order of precedence: a goal change, then a failed step, then a review, then
 * continuing as new while work remains; a plan whose steps have all finished is extended (rolling horizon) or
 * reported, and one with steps that can never start has stalled.
 */
export function nextMove(facts: QuietFacts): NextMove {
  if (facts.goalChanged) return 'replan-for-goal';
  if (facts.needsAttention) return 'recover';
  if (facts.reviewDue) return 'review';
  if (facts.continueAsNewDue && facts.steps.includes('pending')) return 'continue-as-new';
  if (facts.steps.every((s) => FINISHED.includes(s))) return facts.mayExtend ? 'extend' : 'report';
  return 'stalled';
}

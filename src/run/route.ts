/**
 * Where a run goes next: the routing table of the run loop, as a pure function. Each phase of the workflow
 * returns what happened (an `Outcome`); `route` turns it, with a few facts about the run, into the next `Move`,
 * which the loop in `workflows/plan-and-execute.ts` carries out by calling one phase. No phase calls another.
 *
 *     start ─▶ plan ─▶ approve ─▶ remember ─▶ execute ─▶ (quiet: nextMove) ─┬─▶ recover ─▶ skip | escalate | replan | give-up
 *                                                                          ├─▶ replan (goal, review, horizon) ─▶ approve?
 *                                                                          └─▶ report | stalled | continue-as-new
 */
import type { RunStatus, StepStatus } from '../contract/run-state.js';
import type { Failure } from './ledger.js';
import { nextMove, type NextMove, type QuietFacts } from './next-move.js';
import type { Recovery } from './recovery.js';

/** How a wait for a person's approval ended. */
export type ApprovalGate = 'approved' | 'timeout' | 'goal-changed' | { feedback: string };

/** A person's decision about an escalated step, or how the wait for it ended. */
export type EscalationAnswer = 'retry' | 'skip' | 'replan' | 'abort' | 'timeout' | 'goal-changed';

/** What the replanner is asked to fix in its previous answer. */
export interface Revise {
  issues: Array<{ stepId?: string; message: string }>;
  feedback?: string;
}

/**
 * A consultation of the replanner in progress: why it is asked, and where it stands (its attempts are bounded
 * across revisions and rejections alike).
 */
export interface Consultation {
  /** After a failed step, after a goal change, for a review under `review: 'every-step'`, or to extend the plan. */
  purpose: 'failure' | 'goal' | 'review' | 'extend';
  /** What the replanner is told; set from the goal change when `goalChanged`. */
  reason: string;
  /** The failed step the replanner is told about. */
  failure?: Failure;
  /** What the run ends with when the replanner gives no usable answer; the first reason when unset. */
  endsWith?: Failure;
  /** A goal change to apply before asking (its reason becomes the reason). */
  goalChanged?: boolean;
  /** The consultation counts as a replan now (before asking), or once it revises the plan. */
  counts: 'now' | 'on-revision' | 'counted' | 'never';
  /** Answers asked for so far. */
  attempt: number;
  /** What the next answer should fix. */
  revise?: Revise;
}

/** What the replanner's consultation came to. */
export type Replanned = 'continue' | 'revised' | 'finished' | 'unusable' | { budget: string };

/** What a phase reports back to the run loop. */
export type Outcome =
  | { of: 'start'; cached: false | 'cached' | 'approved' | 'failed' }
  | { of: 'plan'; planned: boolean; fromCache: boolean }
  | { of: 'approval'; gate: ApprovalGate; fromCache: boolean; consultation?: Consultation }
  | { of: 'remember' }
  | { of: 'executed'; quiet: QuietFacts }
  | { of: 'recover'; stepId: string; failure: Required<Failure>; choice: Recovery['action'] | 'nothing-to-do' }
  | { of: 'escalation'; failure: Required<Failure>; answer: EscalationAnswer }
  | { of: 'skip'; stepId: string; blocked: string[] }
  | { of: 'retried' }
  | { of: 'review'; after: string | undefined }
  | { of: 'replan'; consultation: Consultation; replanned: Replanned }
  | { of: 'horizon' }
  | { of: 'ended'; status: RunStatus };

/** What the run loop does next: the phase to call, and what it is given. */
export type Move =
  | { to: 'start' }
  | { to: 'plan'; why: 'initial' | 'goal-changed' | { feedback: string }; fromCache: boolean }
  | { to: 'approve'; fromCache: boolean; consultation?: Consultation }
  | { to: 'remember'; fromCache: boolean }
  | { to: 'execute' }
  | { to: 'continue-as-new' }
  | { to: 'recover' }
  | { to: 'escalate'; failure: Required<Failure> }
  | { to: 'skip'; stepId: string; why: string }
  | { to: 'retry'; stepId: string }
  | { to: 'review' }
  | { to: 'replan'; consultation: Consultation }
  | { to: 'horizon-reached'; said: boolean }
  | { to: 'report' }
  | { to: 'finished-by-replanner' }
  | { to: 'give-up'; failure: Failure }
  | { to: 'stalled' }
  | { to: 'budget'; why: string }
  | { to: 'end'; status: RunStatus };

/** What routing needs to know about the run beyond the outcome. */
export interface RouteFacts {
  approval: 'none' | 'plan' | 'replans';
  replansLeft: number;
  /** Some step of the current plan has yet to run. */
  hasPending: boolean;
  /** Why no further model call may be made, if none may. */
  modelRefused: string | undefined;
  /** The failure recorded in the run's state, if any. */
  failure: Failure | undefined;
  horizon: number | undefined;
  /** The status of a step of the current plan. */
  statusOf: (id: string) => StepStatus | undefined;
  /** Under `review: 'every-step'`, the replanner reviews the last step too (runs started before 0.9 did not). */
  reviewsLastStep: () => boolean;
}

/** Chooses the next move from what the last phase reported. */
export function route(outcome: Outcome, facts: RouteFacts): Move {
  switch (outcome.of) {
    case 'start':
      return afterStart(outcome.cached, facts);
    case 'plan':
      if (!outcome.planned) return { to: 'end', status: 'failed' };
      return facts.approval === 'none'
        ? { to: 'remember', fromCache: outcome.fromCache }
        : { to: 'approve', fromCache: outcome.fromCache };
    case 'approval':
      return outcome.consultation
        ? afterRevisionApproval(outcome.gate, outcome.consultation, facts)
        : afterPlanApproval(outcome.gate, outcome.fromCache);
    case 'remember':
    case 'retried':
      return { to: 'execute' };
    case 'executed':
      return afterQuiet(nextMove(outcome.quiet), facts);
    case 'recover':
      return afterFailure(outcome, facts);
    case 'escalation':
      return afterEscalation(outcome.failure, outcome.answer, facts);
    case 'skip':
      return outcome.blocked.length === 0
        ? { to: 'execute' }
        : replanOrGiveUp(skipBlocked(outcome.stepId, outcome.blocked), facts);
    case 'review':
      return afterReview(outcome.after, facts);
    case 'replan':
      if (outcome.replanned === 'revised' && facts.approval === 'replans')
        return { to: 'approve', fromCache: false, consultation: outcome.consultation };
      return afterReplanner(outcome.consultation, outcome.replanned, facts);
    case 'horizon':
      return { to: 'execute' };
    case 'ended':
      return { to: 'end', status: outcome.status };
  }
}

/** After the plan cache was asked: plan, or approve (or go straight on with) the plan it had. */
function afterStart(cached: Extract<Outcome, { of: 'start' }>['cached'], facts: RouteFacts): Move {
  if (cached === 'failed') return { to: 'end', status: 'failed' };
  if (cached === false) return { to: 'plan', why: 'initial', fromCache: false };
  // A cached plan that a person approved for an earlier run is not put to them again.
  if (cached === 'approved' || facts.approval === 'none') return { to: 'remember', fromCache: true };
  return { to: 'approve', fromCache: true };
}

/** After a person answered about the initial plan: run it, end, or plan again. */
function afterPlanApproval(gate: ApprovalGate, fromCache: boolean): Move {
  if (gate === 'approved') return { to: 'remember', fromCache };
  if (gate === 'timeout') return { to: 'end', status: 'rejected' };
  return { to: 'plan', why: gate === 'goal-changed' ? 'goal-changed' : gate, fromCache };
}

/** After a person answered about a revision: run it, end, or ask the replanner again. */
function afterRevisionApproval(gate: ApprovalGate, c: Consultation, facts: RouteFacts): Move {
  if (gate === 'approved') return afterReplanner(c, 'revised', facts);
  if (gate === 'timeout') return { to: 'end', status: 'rejected' };
  // The unapproved revision is for the old goal: ask again for the new one (and approve that).
  if (gate === 'goal-changed') return { to: 'replan', consultation: { ...c, goalChanged: true, revise: undefined } };
  return { to: 'replan', consultation: { ...c, revise: { issues: [], feedback: gate.feedback } } };
}

/** Once no step runs: the move `nextMove` chose. */
function afterQuiet(quiet: NextMove, facts: RouteFacts): Move {
  switch (quiet) {
    case 'replan-for-goal':
      return { to: 'replan', consultation: { ...consult('goal', ''), goalChanged: true } };
    case 'extend': {
      const reason = `the planned steps are done: plan the next ones (at most ${facts.horizon}), or finish`;
      return { to: 'replan', consultation: consult('extend', reason) };
    }
    case 'continue-as-new':
    case 'recover':
    case 'review':
    case 'report':
    case 'stalled':
      return { to: quiet };
  }
}

/** After a step failed for good: act on the recovery chosen for it. */
function afterFailure(outcome: Extract<Outcome, { of: 'recover' }>, facts: RouteFacts): Move {
  const { stepId, failure, choice } = outcome;
  switch (choice) {
    case 'nothing-to-do': // a replan since has dropped or reset the step
      return { to: 'execute' };
    case 'skip':
      return { to: 'skip', stepId, why: `it is not critical (${failure.message})` };
    case 'replan':
      return replanOrGiveUp(failure, facts, `step "${stepId}" failed: ${failure.message}`);
    case 'give-up': // a critical step, and no replans left
    case 'fallback': // tried when the step ran
      return { to: 'give-up', failure: { ...failure, message: `${failure.message}; no replans left` } };
    case 'escalate':
      return { to: 'escalate', failure };
  }
}

/** After a person decided about a failed step (or did not in time). */
function afterEscalation(failure: Required<Failure>, answer: EscalationAnswer, facts: RouteFacts): Move {
  const stepId = failure.stepId;
  if (answer === 'retry' || answer === 'goal-changed') return { to: 'retry', stepId };
  if (answer === 'skip') return { to: 'skip', stepId, why: 'a person chose to skip it' };
  if (answer === 'abort')
    return { to: 'give-up', failure: { stepId, message: `aborted by a person after: ${failure.message}` } };
  return replanOrGiveUp(failure, facts, `step "${stepId}" failed: ${failure.message}`);
}

/**
 * Under `review: 'every-step'`, once a step succeeded: the replanner reviews the plan while replans are left and
 * the budget allows it — after the last step too, so that it can add the steps the goal still needs, or finish.
 */
function afterReview(after: string | undefined, facts: RouteFacts): Move {
  if (facts.replansLeft <= 0 || facts.modelRefused) return { to: 'execute' };
  if (facts.hasPending) return { to: 'replan', consultation: consult('review', `review after step "${after}"`) };
  if (!facts.reviewsLastStep()) return { to: 'execute' };
  const reason = `review after step "${after}", the last one planned: add the steps the goal still needs, or finish`;
  return { to: 'replan', consultation: consult('review', reason) };
}

/** What the run does once the replanner has answered (and a person approved its revision, when asked). */
function afterReplanner(c: Consultation, replanned: Replanned, facts: RouteFacts): Move {
  if (typeof replanned === 'object') return { to: 'budget', why: replanned.budget };
  if (replanned === 'finished') return { to: 'finished-by-replanner' };
  if (replanned === 'unusable') return { to: 'give-up', failure: facts.failure ?? c.endsWith ?? { message: c.reason } };
  // Extending found nothing more to do (no new steps to run): the run reports on this plan.
  if (c.purpose === 'extend' && (replanned === 'continue' || !facts.hasPending))
    return { to: 'horizon-reached', said: replanned === 'continue' };
  // A "continue" after a failure tries the failed step again.
  const stepId = c.failure?.stepId;
  if (replanned === 'continue' && stepId !== undefined && facts.statusOf(stepId) === 'failed')
    return { to: 'retry', stepId };
  return { to: 'execute' };
}

/** Replans while replans are left; otherwise ends the run with what was done. */
function replanOrGiveUp(failure: Failure, facts: RouteFacts, reason = failure.message): Move {
  if (facts.replansLeft <= 0)
    return { to: 'give-up', failure: { ...failure, message: `${failure.message}; no replans left` } };
  return { to: 'replan', consultation: { ...consult('failure', reason), failure, endsWith: failure } };
}

/** The failure of a skip that leaves critical steps unable to run. */
function skipBlocked(stepId: string, blocked: string[]): Failure {
  return { stepId, message: `critical steps ${blocked.join(', ')} depend on skipped step "${stepId}"` };
}

/** A new consultation of the replanner. */
function consult(purpose: Consultation['purpose'], reason: string): Consultation {
  const counts = purpose === 'failure' ? 'now' : purpose === 'extend' ? 'never' : 'on-revision';
  // A goal change's reason is known once it is applied (see `goalChanged`).
  return { purpose, reason, counts, attempt: 0, ...(purpose === 'goal' ? {} : { endsWith: { message: reason } }) };
}

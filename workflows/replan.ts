/**
 * Replanning: the replanner sees the goal, the finished work, the failure and the remaining steps, and
 * answers continue, revise (new remaining steps; finished ones are kept) or finish. Asked after a failure,
 * after a goal change, and after each step under `review: 'every-step'`.
 */
import { isCancellation } from '@temporalio/workflow';
import type { ReplanInput, ReplanOutput } from '../activities/index.js';
import type { PlanIssue } from '../src/contract/plan.js';
import { formatIssues, validatePlan } from '../src/plan/validate.js';
import type { Failure } from '../src/run/ledger.js';
import type { Consultation, Move, Outcome, Replanned, Revise } from '../src/run/route.js';
import { FINISHED, revisedPlan, statusById } from '../src/run/state.js';
import { llmCall } from './activity-profiles.js';
import { llm, summarized } from './activity-proxies.js';
import { MAX_PLAN_REVISIONS, answerToRevise } from './plan.js';
import type { Run } from './run.js';
import { describeFailure, usageOf } from './steps.js';

/** What the replanner's answer to this consultation is: a revision the run adopts, or what to do instead. */
export async function replan(run: Run, move: Extract<Move, { to: 'replan' }>): Promise<Outcome> {
  let c = move.consultation;
  if (c.goalChanged) {
    const reason = run.applyGoalChange();
    c = { ...c, reason, goalChanged: false, endsWith: c.endsWith ?? { message: reason } };
  }
  if (c.counts === 'now') {
    run.countReplan();
    c = { ...c, counts: 'counted' };
  }
  const done = (replanned: Replanned): Outcome => ({ of: 'replan', consultation: c, replanned });
  while (c.attempt <= MAX_PLAN_REVISIONS) {
    const refused = run.modelRefused();
    if (refused) return done({ budget: refused });
    const attempt = c.attempt;
    c = { ...c, attempt: attempt + 1 };
    const out = await askReplanner(run, c, attempt < MAX_PLAN_REVISIONS);
    if (out === 'unusable') return done('unusable');
    if ('retry' in out) {
      c = { ...c, revise: out.retry };
      continue;
    }
    run.spend(out.usage);
    const answer = adoptedAnswer(run, c, out);
    if ('revise' in answer) {
      c = { ...c, revise: answer.revise };
      continue;
    }
    if (answer.replanned === 'revised' && c.counts === 'on-revision') c = { ...c, counts: 'counted' };
    return done(answer.replanned);
  }
  run.fail({ ...c.failure, message: `the replanner gave no usable answer in ${MAX_PLAN_REVISIONS + 1} attempts` });
  return done('unusable');
}

/**
 * Acts on a replanner's answer: continue, finish (with the answer), or a revision that is adopted when valid (it
 * counts as a replan when the consultation counts revisions).
 * @returns what the consultation came to, or what the next answer must fix.
 */
function adoptedAnswer(run: Run, c: Consultation, out: ReplanOutput): { replanned: Replanned } | { revise: Revise } {
  const decision = out.decision;
  if (!decision) {
    run.note('plan-invalid', `the replanner's answer is unusable:\n${formatIssues(out.issues)}`);
    return { revise: { issues: out.issues } };
  }
  if (decision.action === 'continue') {
    run.note('replanned', `continue as planned: ${decision.reason}`);
    return { replanned: 'continue' };
  }
  if (decision.action === 'finish') {
    run.answer(decision.answer);
    run.note('replanned', `finish: ${decision.reason}`);
    return { replanned: 'finished' };
  }
  const revision = revisedPlan(run.state, decision.steps);
  const issues: PlanIssue[] = [
    ...revision.issues,
    ...out.issues,
    ...validatePlan(revision.plan, run.limits()),
    ...beyondHorizon(run, decision.steps.length),
  ];
  if (issues.length > 0) {
    run.note('plan-invalid', `the replanner's revision is invalid:\n${formatIssues(issues)}`);
    return { revise: { issues } };
  }
  if (c.counts === 'on-revision') run.countReplan();
  const version = run.adopt(revision.plan, `${c.reason}: ${decision.reason}`);
  run.note('replanned', `plan v${version}: ${decision.reason}`);
  return { replanned: 'revised' };
}

/**
 * One request to the replanner. An answer that was cut off or stayed invalid comes back as the revision to ask
 * for next, while attempts remain (`mayRetry`); any other failure is recorded and makes the consultation unusable.
 */
async function askReplanner(
  run: Run,
  { reason, failure, revise }: Consultation,
  mayRetry: boolean,
): Promise<ReplanOutput | { retry: Revise } | 'unusable'> {
  try {
    return await llm.replan.executeWithOptions(summarized(llmCall, `replan: ${reason}`), [
      replanRequest(run, reason, failure, revise),
    ]);
  } catch (err) {
    if (isCancellation(err)) throw err;
    run.spend(usageOf(err));
    if (mayRetry && answerToRevise(err)) {
      const message = `the replanner's answer was unusable: ${describeFailure(err)}`;
      run.note('plan-invalid', message);
      return { retry: { issues: [{ message }] } };
    }
    run.fail({ ...failure, message: `the replanner could not answer: ${describeFailure(err)}` });
    return 'unusable';
  }
}

/** What the replanner is asked with: the goal, the finished work with outputs, the failure and what remains. */
function replanRequest(
  run: Run,
  reason: string,
  failure: Failure | undefined,
  revise: Revise | undefined,
): ReplanInput {
  const { state } = run;
  const status = statusById(state);
  return {
    goal: state.goal,
    reason,
    done: state.steps
      .filter((s) => FINISHED.includes(s.status))
      .map(({ id, title, status: st, output }) => ({
        id,
        title,
        status: st,
        ...(output !== undefined ? { output } : {}),
      })),
    ...(failure ? { failure } : {}),
    remaining: (state.plan?.steps ?? []).filter((s) => !FINISHED.includes(status[s.id] ?? 'pending')),
    maxSteps: run.input.maxSteps,
    ...(run.input.horizon !== undefined ? { horizon: run.input.horizon } : {}),
    ...run.subgoalLimits(),
    ...(revise ? { revise } : {}),
  };
}

/**
 * With a rolling horizon, once the replanner added no steps after the current plan: the run reports on it and does
 * not ask again for this plan.
 */
export async function reachHorizon(run: Run, { said }: Extract<Move, { to: 'horizon-reached' }>): Promise<Outcome> {
  run.reachedHorizon(run.plan.version);
  if (said) run.note('replanned', `no steps after plan v${run.plan.version}: the run reports`);
  return { of: 'horizon' };
}

/** With a rolling horizon: a revision that plans further ahead than it may. */
function beyondHorizon(run: Run, newSteps: number): PlanIssue[] {
  const { horizon } = run.input;
  return horizon !== undefined && newSteps > horizon
    ? [{ message: `${newSteps} new steps go beyond the horizon of ${horizon}: plan only the next ${horizon}` }]
    : [];
}

/** Under `review: 'every-step'`: takes the review that is due; the run loop asks the replanner when it is worth it. */
export async function review(run: Run): Promise<Outcome> {
  return { of: 'review', after: run.takeReview() };
}

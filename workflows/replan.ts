/**
 * Replanning: the replanner sees the goal, the finished work, the failure and the remaining steps, and
 * answers continue, revise (new remaining steps; finished ones are kept) or finish. Asked after a failure,
 * after a goal change, and after each step under `review: 'every-step'`.
 */
import { isCancellation } from '@temporalio/workflow';
import type { ReplanInput, ReplanOutput } from '../activities/index.js';
import type { PlanIssue } from '../src/contract/plan.js';
import type { RunStatus } from '../src/contract/run-state.js';
import { formatIssues, validatePlan } from '../src/plan/validate.js';
import { FINISHED, adoptPlan, revisedPlan, statusById } from '../src/run/state.js';
import { llmCall } from './activity-profiles.js';
import { llm, summarized } from './activity-proxies.js';
import { applyGoalChange, awaitApproval } from './people.js';
import { MAX_PLAN_REVISIONS, answerToRevise } from './plan.js';
import { endForBudget, finishedStatus, giveUp } from './report.js';
import type { Run } from './run.js';
import { describeFailure, usageOf } from './steps.js';

/** How a consultation of the replanner ended. */
export type Replanned = 'continue' | 'revised' | 'finished' | 'unusable' | Extract<RunStatus, 'rejected' | 'partial'>;

/** A step failure the replanner is told about. */
export interface Failure {
  stepId?: string;
  message: string;
}

/** What the replanner is asked to fix in its previous answer. */
type Revise = NonNullable<ReplanInput['revise']>;

/**
 * Asks the replanner until it gives a usable answer (bounded), adopting a valid revision and, under
 * `approval: 'replans'`, waiting for a person to approve it.
 * @param counts `always`: this consultation counts as a replan; `revisions`: only if it revises the plan;
 * `never`: extending a rolling-horizon plan is not a replan.
 */
export async function consultReplanner(
  run: Run,
  why: string,
  options: { failure?: Failure; counts: 'always' | 'revisions' | 'never' },
): Promise<Replanned> {
  const { state } = run;
  let reason = why;
  let revise: Revise | undefined;
  let counted = options.counts !== 'revisions';
  if (options.counts === 'always') state.replans++;
  for (let attempt = 0; attempt <= MAX_PLAN_REVISIONS; attempt++) {
    const refused = run.modelRefused();
    if (refused) return (await endForBudget(run, refused)) as 'partial';
    const out = await askReplanner(run, reason, options.failure, revise, attempt < MAX_PLAN_REVISIONS);
    if (out === 'unusable') return 'unusable';
    if ('retry' in out) {
      revise = out.retry;
      continue;
    }
    run.spend(out.usage);
    const decision = out.decision;
    if (!decision) {
      revise = { issues: out.issues };
      run.note('plan-invalid', `the replanner's answer is unusable:\n${formatIssues(out.issues)}`);
      continue;
    }
    if (decision.action === 'continue') {
      run.note('replanned', `continue as planned: ${decision.reason}`);
      return 'continue';
    }
    if (decision.action === 'finish') {
      state.answer = decision.answer;
      run.note('replanned', `finish: ${decision.reason}`);
      return 'finished';
    }
    const revision = revisedPlan(state, decision.steps);
    const issues: PlanIssue[] = [
      ...revision.issues,
      ...out.issues,
      ...validatePlan(revision.plan, run.limits()),
      ...beyondHorizon(run, decision.steps.length),
    ];
    if (issues.length > 0) {
      revise = { issues };
      run.note('plan-invalid', `the replanner's revision is invalid:\n${formatIssues(issues)}`);
      continue;
    }
    if (!counted) {
      counted = true;
      state.replans++;
    }
    const version = (state.plan?.version ?? 0) + 1;
    adoptPlan(state, { ...revision.plan, version }, `${reason}: ${decision.reason}`);
    run.note('replanned', `plan v${version}: ${decision.reason}`);
    if (run.input.approval !== 'replans') return 'revised';
    const gate = await awaitApproval(run);
    if (gate === 'approved') return 'revised';
    if (gate === 'timeout') return 'rejected';
    if (gate === 'goal-changed') {
      // The unapproved revision is for the old goal: ask again for the new one (and approve that).
      reason = applyGoalChange(run);
      revise = undefined;
      continue;
    }
    revise = { issues: [], feedback: gate.feedback };
  }
  state.failure = {
    ...options.failure,
    message: `the replanner gave no usable answer in ${MAX_PLAN_REVISIONS + 1} attempts`,
  };
  return 'unusable';
}

/**
 * One request to the replanner. An answer that was cut off or stayed invalid comes back as the revision to ask
 * for next, while attempts remain (`mayRetry`); any other failure is recorded and makes the consultation unusable.
 */
async function askReplanner(
  run: Run,
  reason: string,
  failure: Failure | undefined,
  revise: Revise | undefined,
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
    run.state.failure = { ...failure, message: `the replanner could not answer: ${describeFailure(err)}` };
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

/** How the run goes on after the replanner: on (undefined), or the status it ends with. */
export async function afterReplanner(run: Run, outcome: Replanned, failure: Failure): Promise<RunStatus | undefined> {
  if (outcome === 'continue' || outcome === 'revised') return undefined;
  if (outcome === 'finished') return finishedStatus(run);
  if (outcome === 'unusable') return giveUp(run, run.state.failure ?? failure);
  return outcome;
}

/** Consults the replanner about a goal change that has just come in; it does not count as a replan unless it revises. */
export async function replanForNewGoal(run: Run): Promise<RunStatus | undefined> {
  const reason = applyGoalChange(run);
  return afterReplanner(run, await consultReplanner(run, reason, { counts: 'revisions' }), { message: reason });
}

/**
 * With a rolling horizon, once the planned steps are done: asks the replanner for the next ones (at most
 * `horizon`), or to finish. It does not count as a replan; `maxSteps` and the budget bound the whole run.
 */
export async function extendPlan(run: Run): Promise<RunStatus | undefined> {
  const { plan } = run;
  const reason = `the planned steps are done: plan the next ones (at most ${run.input.horizon}), or finish`;
  const outcome = await consultReplanner(run, reason, { counts: 'never' });
  // Nothing more to do after this plan: report on it (an empty revision says the same).
  if (outcome === 'continue' || (outcome === 'revised' && !run.state.steps.some((s) => s.status === 'pending'))) {
    run.memory.horizonReached = run.plan.version;
    if (outcome === 'continue') run.note('replanned', `no steps after plan v${plan.version}: the run reports`);
    return undefined;
  }
  return afterReplanner(run, outcome, { message: reason });
}

/** With a rolling horizon: a revision that plans further ahead than it may. */
function beyondHorizon(run: Run, newSteps: number): PlanIssue[] {
  const { horizon } = run.input;
  return horizon !== undefined && newSteps > horizon
    ? [{ message: `${newSteps} new steps go beyond the horizon of ${horizon}: plan only the next ${horizon}` }]
    : [];
}

/** Under `review: 'every-step'`: asks the replanner about the rest of the plan after a step succeeded. */
export async function reviewAfterStep(run: Run): Promise<RunStatus | undefined> {
  const after = run.memory.reviewAfter;
  run.memory.reviewAfter = undefined;
  const left = run.state.steps.some((s) => s.status === 'pending');
  if (!left || run.replansLeft() <= 0 || run.modelRefused()) return undefined;
  const reason = `review after step "${after}"`;
  return afterReplanner(run, await consultReplanner(run, reason, { counts: 'revisions' }), { message: reason });
}

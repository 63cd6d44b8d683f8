/**
 * Planning: the start of a run (learn the worker's tools, look in the plan cache), asking the planner until its
 * plan validates (bounded), and remembering accepted plans in the plan cache.
 */
import { ActivityFailure, ApplicationFailure, isCancellation } from '@temporalio/workflow';
import { ErrorType } from '../src/contract/errors.js';
import {
  CACHED_PLANS_APPROVED,
  MODEL_ANSWERS_REVISED,
  STEP_TOOL_PERMISSIONS,
  WORKER_DESCRIBED_WHILE_PLANNING,
  follows,
} from './patches.js';
import { msToNumber } from '@temporalio/common/lib/time.js';
import type { CreatePlanInput, CreatePlanOutput, Describe, Described } from '../activities/index.js';
import type { PlanIssue } from '../src/contract/plan.js';
import { formatIssues, validatePlan } from '../src/plan/validate.js';
import type { Move, Outcome } from '../src/run/route.js';
import { withoutVersion } from '../src/run/state.js';
import { llmCall, localCall } from './activity-profiles.js';
import { llm, local, summarized } from './activity-proxies.js';
import type { Run } from './run.js';
import { describeFailure, usageOf } from './steps.js';

/** How long a plan stays in the plan cache when `planCache` is `true`. */
export const PLAN_CACHE_TTL_MS = 7 * 24 * 3600 * 1000;

/** Times the planner (or replanner) may answer again after an invalid plan before giving up. */
export const MAX_PLAN_REVISIONS = 2;

/**
 * The start of a run: records it, learns the worker's tools (runs started before they were learned with the first
 * planning call ask the worker first), and looks for a plan accepted before in the plan cache.
 */
export async function start(run: Run): Promise<Outcome> {
  run.note('run-started', `goal: ${run.state.goal}`);
  // Decided once, when the run starts: a run started before keeps its rules after an upgrade, and after a replan.
  if (follows(STEP_TOOL_PERMISSIONS)) run.permitToolsPerStep();
  if (!follows(WORKER_DESCRIBED_WHILE_PLANNING) && !(await describeWorker(run)))
    return { of: 'start', cached: 'failed' };
  return { of: 'start', cached: await planFromCache(run) };
}

/** Plans: the initial plan, a plan for a new goal, or a revision of the plan a person rejected. */
export async function plan(run: Run, { why, fromCache }: Extract<Move, { to: 'plan' }>): Promise<Outcome> {
  let planned;
  if (why === 'initial') planned = await planUntilValid(run, 'initial plan');
  else if (why === 'goal-changed') planned = await planUntilValid(run, run.applyGoalChange());
  else {
    const revise = { plan: withoutVersion(run.plan), issues: [], feedback: why.feedback };
    planned = await planUntilValid(run, `revised after rejection: ${why.feedback}`, revise);
  }
  return { of: 'plan', planned, fromCache };
}

/** Remembers the accepted plan in the plan cache; then the steps may run. */
export async function remember(run: Run, { fromCache }: Extract<Move, { to: 'remember' }>): Promise<Outcome> {
  await rememberPlan(run, fromCache);
  return { of: 'remember' };
}

/**
 * Asks the worker which tools it offers and which search attributes its namespace has.
 * @returns false, with the failure recorded, when it cannot say.
 */
async function describeWorker(run: Run): Promise<boolean> {
  try {
    run.workerDescribed(await local.describeWorker.executeWithOptions(summarized(localCall, 'describe worker'), []));
    return true;
  } catch (err) {
    if (isCancellation(err)) throw err;
    run.fail({ message: `the worker could not describe its tools: ${describeFailure(err)}` });
    return false;
  }
}

/** `{ describe: true }` while the run does not know its worker yet. */
function describeAsked(run: Run): Describe {
  return run.worker ? {} : { describe: true };
}

/**
 * Keeps the worker's description a planning activity answered with. A worker of an older version answers
 * without one; the run then asks for it on its own.
 * @returns false, with the failure recorded, when the worker cannot say what it offers.
 */
async function learnWorker(run: Run, out: Described): Promise<boolean> {
  if (out.worker) run.workerDescribed(out.worker);
  if (run.worker === undefined && !(await describeWorker(run))) return false;
  // A tool named for approval that the worker lacks is a mistake that would leave that tool's calls unguarded.
  const unknown = run.input.approveTools.filter((name) => !run.tools.some((t) => t.name === name));
  if (unknown.length === 0) return true;
  const names = unknown.map((name) => `"${name}"`).join(', ');
  const has = run.tools.map((t) => t.name).join(', ');
  run.fail({ message: `approveTools names ${names}, which this worker does not have (it has: ${has}); fix the name` });
  return false;
}

/**
 * Asks the planner (or, with `revise`, asks it to revise) until the plan validates, then adopts it.
 * @returns false, with the failure recorded, when no valid plan came within {@link MAX_PLAN_REVISIONS} revisions.
 */
async function planUntilValid(run: Run, reason: string, revise?: CreatePlanInput['revise']): Promise<boolean> {
  let issues: PlanIssue[] = [];
  for (let attempt = 0; attempt <= MAX_PLAN_REVISIONS; attempt++) {
    const refused = run.modelRefused();
    if (refused) {
      run.fail({ message: `cannot plan: ${refused}` });
      return false;
    }
    const request = { ...run.planningRequest(), ...describeAsked(run), ...(revise ? { revise } : {}) };
    let out;
    try {
      out = revise
        ? await llm.revisePlan.executeWithOptions(summarized(llmCall, 'revise plan'), [request])
        : await llm.createPlan.executeWithOptions(summarized(llmCall, 'plan'), [request]);
    } catch (err) {
      if (isCancellation(err)) throw err;
      run.spend(usageOf(err));
      if (attempt < MAX_PLAN_REVISIONS && answerToRevise(err)) {
        // An answer that was cut off or stayed invalid: ask for a revision while attempts remain.
        issues = [{ message: `the planner's answer was unusable: ${describeFailure(err)}` }];
        run.note('plan-invalid', issues[0]?.message ?? '');
        revise = { ...(revise?.plan ? { plan: revise.plan } : {}), issues };
        continue;
      }
      run.fail({ message: `the planner could not answer: ${describeFailure(err)}` });
      return false;
    }
    run.spend(out.usage);
    if (!(await learnWorker(run, out))) return false;
    issues = out.plan ? [...out.issues, ...validatePlan(out.plan, run.firstPlanLimits())] : out.issues;
    if (out.plan && issues.length === 0) {
      const version = run.adopt(out.plan, reason);
      run.note('plan-adopted', `plan v${version} (${out.plan.steps.length} steps): ${reason}${repaired(out)}`);
      return true;
    }
    run.note('plan-invalid', `the planner's plan is invalid:\n${formatIssues(issues)}${repaired(out)}`);
    revise = { ...(out.plan ? { plan: out.plan } : {}), issues };
  }
  run.fail({
    message: `the planner produced no valid plan in ${MAX_PLAN_REVISIONS + 1} attempts:\n${formatIssues(issues)}`,
  });
  return false;
}

/** What the planning activity repaired in the answer without the model, said after the plan's line; or nothing. */
function repaired(out: CreatePlanOutput): string {
  return out.repairs?.length ? `; repaired without the model: ${out.repairs.join('; ')}` : '';
}

/**
 * Whether a model activity failed because of its answer (cut off at the output limit, or invalid even after a
 * repair), which a revision request may fix. Runs started before this rule keep failing at once.
 */
export function answerToRevise(err: unknown): boolean {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  return (
    cause instanceof ApplicationFailure && cause.type === ErrorType.InvalidModelOutput && follows(MODEL_ANSWERS_REVISED)
  );
}

/** How long an accepted plan is kept in the plan cache; 0 when the run does not use it. */
export function planCacheTtlMs(run: Run): number {
  const { planCache } = run.input;
  return planCache === false ? 0 : planCache === true ? PLAN_CACHE_TTL_MS : msToNumber(planCache.ttl);
}

/**
 * What the plan cache is asked with. A run that asks for approval keeps plans apart from other runs: it stores its
 * plan only once a person approved it, so what it finds there was approved before.
 */
function cacheQuery(run: Run): ReturnType<Run['planningRequest']> & { approved?: true } {
  const approved = run.input.approval !== 'none' && follows(CACHED_PLANS_APPROVED);
  return { ...run.planningRequest(), ...(approved ? { approved: true } : {}) };
}

/**
 * Adopts a plan accepted before for the same goal, context and tools, if the cache has one that still fits.
 * @returns false when none was adopted (a cache that cannot answer is a miss), `'approved'` when the adopted plan
 * is one a person approved for an earlier run that asked for approval, `'cached'` otherwise.
 */
async function planFromCache(run: Run): Promise<false | 'cached' | 'approved'> {
  if (planCacheTtlMs(run) === 0) return false;
  const query = cacheQuery(run);
  let found;
  try {
    // Expiry is judged by workflow time (Date.now() in a workflow), not by the worker's clock.
    found = await local.lookupPlan.executeWithOptions(summarized(localCall, 'plan cache lookup'), [
      { ...query, ...describeAsked(run), now: Date.now() },
    ]);
  } catch (err) {
    if (isCancellation(err)) throw err;
    return false;
  }
  if (found.worker) run.workerDescribed(found.worker);
  // A worker of an older version answers without describing itself: without its tools the cached plan cannot be
  // checked, so it counts as a miss, and the planner's call learns them (or asks the worker on its own).
  if (!found.plan || !run.worker) return false;
  const issues = validatePlan(found.plan, run.firstPlanLimits());
  if (issues.length > 0) {
    run.note('plan-invalid', `the cached plan no longer fits:\n${formatIssues(issues)}`);
    return false;
  }
  run.adopt(found.plan, 'initial plan, from the plan cache');
  run.note('plan-adopted', `plan v1 (${found.plan.steps.length} steps) from the plan cache`);
  if (!query.approved) return 'cached';
  run.note('plan-approved', 'plan v1 approved: a person approved this plan for an earlier run');
  return 'approved';
}

/** Stores the accepted plan in the plan cache, unless it is the cached plan itself; a failed store is ignored. */
async function rememberPlan(run: Run, fromCache: boolean): Promise<void> {
  const ttlMs = planCacheTtlMs(run);
  if (ttlMs === 0 || (fromCache && run.plan.version === 1)) return;
  try {
    await local.storePlan.executeWithOptions(summarized(localCall, 'plan cache store'), [
      { query: cacheQuery(run), plan: withoutVersion(run.plan), ttlMs, now: Date.now() },
    ]);
  } catch (err) {
    if (isCancellation(err)) throw err; // otherwise the run goes on without caching
  }
}

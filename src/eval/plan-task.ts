/**
 * One task through the planner as a run plans: the planning activity (`createPlan`, with the same prompts,
 * response format, argument checks and repairs) in Temporal's mock activity environment, the plan validated as
 * the workflow validates it, and revisions asked for with the problems, up to the run's limit.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { planningActivities, type CreatePlanInput, type CreatePlanOutput } from '../../activities/planning.js';
import { workerDescription } from '../../activities/describe.js';
import { ErrorType } from '../contract/errors.js';
import type { Plan, PlanIssue } from '../contract/plan.js';
import { DEFAULT_CONTEXT_TOKENS } from '../llm/prompts.js';
import type { Model } from '../llm/model.js';
import { addTokenUsage, NO_CALLS, usageOfFailure, type TokenUsage } from '../llm/usage.js';
import { INLINE_ONLY } from '../outputs/keeper.js';
import { formatIssues, validatePlan } from '../plan/validate.js';
import { defineJsonSchemaTool, toolInfo, type Tool } from '../tools/define.js';
import { MAX_PLAN_REVISIONS } from '../../workflows/plan.js';
import { simulatedOutput } from './simulate.js';
import type { EvalTask } from './task.js';

/** The planner's failures are results here, kept in the task's line; its activity logs only errors. */
const QUIET = new DefaultLogger('ERROR');

/** Steps a plan may have when a task sets no limit: a run's default. */
export const DEFAULT_TASK_STEPS = 25;

/** How planning a task went. */
export interface PlanAttempts {
  /** The last plan the planner gave (valid or not). */
  plan?: Plan;
  /** Whether the first answer was a valid plan. */
  validFirst: boolean;
  /** Whether a valid plan came within the run's revisions. */
  valid: boolean;
  /** Answers asked for: 1 + revisions. */
  attempts: number;
  /** The problems of the last answer; empty when it was valid. */
  issues: string[];
  /** What was repaired without the model, over all answers. */
  repairs: string[];
  usage: TokenUsage;
  /** Why planning stopped without a plan: a failure that no revision could help. */
  error?: string;
}

/** The task's tools as worker tools, each simulated from its output schema. */
export function taskTools(task: EvalTask): Tool[] {
  return task.tools.map((t) => defineJsonSchemaTool({ ...t, run: () => simulatedOutput(t) }));
}

/**
 * Plans `task` with `model` until the plan validates or the revisions a run allows are used up.
 * @example const { valid, plan, usage } = await planTask(createModel(modelConfigFromEnv()), task);
 */
export async function planTask(model: Model, task: EvalTask): Promise<PlanAttempts> {
  const tools = taskTools(task);
  const catalog = tools.map(toolInfo);
  const { createPlan } = planningActivities({
    model,
    tools,
    catalog,
    outputs: INLINE_ONLY,
    contextTokens: DEFAULT_CONTEXT_TOKENS,
    worker: workerDescription(catalog, []),
  });
  const maxSteps = task.maxSteps ?? DEFAULT_TASK_STEPS;
  const limits = { tools: catalog, maxSteps };
  let usage = NO_CALLS;
  let revise: CreatePlanInput['revise'];
  let issues: PlanIssue[] = [];
  let plan: Plan | undefined;
  const repairs: string[] = [];
  let validFirst = false;
  for (let attempt = 0; attempt <= MAX_PLAN_REVISIONS; attempt++) {
    const request: CreatePlanInput = {
      goal: task.goal,
      ...(task.context !== undefined ? { context: task.context } : {}),
      maxSteps,
      ...(revise ? { revise } : {}),
    };
    let out: CreatePlanOutput;
    try {
      out = (await new MockActivityEnvironment(undefined, { logger: QUIET }).run(
        createPlan,
        request,
      )) as CreatePlanOutput;
    } catch (err) {
      usage = addTokenUsage(usage, usageOfFailure(err));
      const message = err instanceof Error ? err.message : String(err);
      const revisable = err instanceof ApplicationFailure && err.type === ErrorType.InvalidModelOutput;
      if (!revisable || attempt === MAX_PLAN_REVISIONS)
        return { validFirst, valid: false, attempts: attempt + 1, issues: [message], repairs, usage, error: message };
      issues = [{ message: `the planner's answer was unusable: ${message}` }];
      revise = { ...(revise?.plan ? { plan: revise.plan } : {}), issues };
      continue;
    }
    usage = addTokenUsage(usage, out.usage);
    repairs.push(...(out.repairs ?? []));
    plan = out.plan;
    issues = out.plan ? [...out.issues, ...validatePlan(out.plan, limits)] : out.issues;
    if (out.plan && issues.length === 0) {
      if (attempt === 0) validFirst = true;
      return { plan, validFirst, valid: true, attempts: attempt + 1, issues: [], repairs, usage };
    }
    revise = { ...(out.plan ? { plan: out.plan } : {}), issues };
  }
  const listed = formatIssues(issues).split('\n');
  return {
    ...(plan ? { plan } : {}),
    validFirst,
    valid: false,
    attempts: MAX_PLAN_REVISIONS + 1,
    issues: listed,
    repairs,
    usage,
  };
}

/**
 * The planner and the replanner: model activities whose answers become a plan, or a decision about the rest of
 * one, with the problems that kept an answer from being either.
 */
import { Context } from '@temporalio/activity';
import { wirePlanSchema, planFromWire, type Plan, type PlanIssue } from '../src/contract/plan.js';
import { replanFromWire, WireReplanDecisionSchema, type ReplanDecision } from '../src/contract/replan.js';
import type { ToolInfo } from '../src/contract/tools.js';
import type { Model } from '../src/llm/model.js';
import { planResponseSchema, positionalPlanSchema, replanResponseSchema } from '../src/llm/plan-format.js';
import { repairPlan } from '../src/plan/repair.js';
import { plannerMessages, replannerMessages, type PlannerRequest, type ReplannerRequest } from '../src/llm/prompts.js';
import type { TokenUsage } from '../src/llm/usage.js';
import type { OutputKeeper } from '../src/outputs/keeper.js';
import { checkToolArgs } from '../src/tools/check-args.js';
import type { Tool } from '../src/tools/define.js';
import type { Described, Describe, WithWorkerTools, WorkerDescription } from './describe.js';
import { modelCall } from './heartbeat.js';
import { loadReports, scopeOf } from './outputs.js';

/** Input of `createPlan` and `revisePlan`: the goal and, when revising, the previous plan with its problems. */
export type CreatePlanInput = WithWorkerTools<PlannerRequest> & Describe;
/** Output of `createPlan`: a plan, or the problems that kept the model's answer from being one. */
export interface CreatePlanOutput extends Described {
  plan?: Plan;
  issues: PlanIssue[];
  usage: TokenUsage;
  /** What was repaired in the model's plan without asking it again (`src/plan/repair.ts`); absent when nothing was. */
  repairs?: string[];
}

/** Input of `replan`. */
export type ReplanInput = WithWorkerTools<ReplannerRequest>;
/** Output of `replan`: a decision, or what kept the model's answer from being one. */
export interface ReplanOutput {
  decision?: ReplanDecision;
  issues: PlanIssue[];
  usage: TokenUsage;
}

/** What the planning activities are built from. */
export interface PlanningDependencies {
  model: Model;
  tools: readonly Tool[];
  /** The worker's tool catalog, the planner's and replanner's tools. */
  catalog: readonly ToolInfo[];
  outputs: OutputKeeper;
  contextTokens: number;
  worker: WorkerDescription;
}

/** The planning activities of a worker. */
export function planningActivities({ model, tools, catalog, outputs, contextTokens, worker }: PlanningDependencies) {
  // The answer formats are built from the catalog once per worker, not once per call; indexed by whether the run
  // may use sub-goals.
  const planFormats = [planResponseSchema(catalog), planResponseSchema(catalog, true)] as const;
  const replanFormats = [replanResponseSchema(catalog), replanResponseSchema(catalog, true)] as const;
  // The grammar format depends on the steps a plan may have too; built when a model asks for it, kept per worker.
  const grammarFormats = new Map<string, Record<string, unknown>>();
  const grammarFormat = (steps: number, subgoals: boolean) => {
    const key = `${steps}:${subgoals}`;
    if (!grammarFormats.has(key)) grammarFormats.set(key, positionalPlanSchema(catalog, steps, subgoals));
    return grammarFormats.get(key)!;
  };

  return {
    /**
     * Asks the model for a plan, with an output cap sized to `maxSteps` steps; answers that are not a plan come back
     * as issues for the workflow.
     * @throws {ApplicationFailure} as the model does: `ModelRequestRejected`, non-retryable, also when
     * `PLANWRIGHT_MAX_TOKENS` sets a plan cap too small for `maxSteps` steps.
     */
    async createPlan(input: CreatePlanInput): Promise<CreatePlanOutput> {
      const steps = Math.min(input.maxSteps, input.horizon ?? Infinity);
      const { value, usage } = await modelCall((onUsage) =>
        model.structured({
          phase: 'plan',
          name: 'plan',
          schema: wirePlanSchema(),
          jsonSchema: planFormats[input.subgoals ? 1 : 0],
          grammarSchema: () => grammarFormat(steps, Boolean(input.subgoals)),
          messages: plannerMessages({ ...input, tools: catalog }),
          steps,
          onUsage,
        }),
      );
      const { plan: answered, issues } = planFromWire(value);
      if (!answered) return { issues, usage, ...worker.described(input) };
      // What needs no judgement is repaired here, and said; the rest goes back to the model as issues.
      const { plan, repairs } = repairPlan(
        answered,
        catalog.map((t) => t.name),
      );
      // Steps whose args did not parse are already reported; check the arguments of the others.
      const unparsed = new Set(issues.map((i) => i.stepId));
      return {
        ...worker.described(input),
        plan,
        ...(repairs.length > 0 ? { repairs } : {}),
        issues: [
          ...issues,
          ...checkToolArgs(
            plan.steps.filter((s) => !unparsed.has(s.id)),
            tools,
          ),
        ],
        usage,
      };
    },

    /** Asks the replanner whether to continue, revise the remaining steps, or finish. */
    async replan(input: ReplanInput): Promise<ReplanOutput> {
      const done = await loadReports(outputs, input.done, scopeOf(Context.current()));
      const { value, usage } = await modelCall((onUsage) =>
        model.structured({
          onUsage,
          phase: 'replan',
          name: 'replan_decision',
          schema: WireReplanDecisionSchema,
          jsonSchema: replanFormats[input.subgoals ? 1 : 0],
          messages: replannerMessages({ ...input, tools: catalog, done }, contextTokens),
          // The new steps replace the remaining ones; with the finished ones they make at most maxSteps.
          steps: Math.max(1, Math.min(input.maxSteps - input.done.length, input.horizon ?? Infinity)),
        }),
      );
      const { decision, issues } = replanFromWire(value);
      if (!decision) return { issues, usage };
      const unparsed = new Set(issues.map((i) => i.stepId));
      const revised = decision.action === 'revise' ? decision.steps.filter((s) => !unparsed.has(s.id)) : [];
      return { decision, issues: [...issues, ...checkToolArgs(revised, tools)], usage };
    },
  };
}

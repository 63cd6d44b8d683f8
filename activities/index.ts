/**
 * Activities: every side effect of a run. Built by a factory that takes its dependencies, so the
 * worker wires real ones and tests wire their own; workflows import the types only. Each group of activities
 * has a module of its own; the factory lists them.
 */
import { DEFAULT_CONTEXT_TOKENS } from '../src/llm/prompts.js';
import type { Model } from '../src/llm/model.js';
import { INLINE_ONLY, type OutputKeeper } from '../src/outputs/keeper.js';
import type { PlanCache } from '../src/plan-cache.js';
import { toolInfo, type Tool } from '../src/tools/define.js';
import { workerDescription, type DescribeWorkerOutput } from './describe.js';
import { executionActivities } from './execution.js';
import { planCacheActivities } from './plan-cache.js';
import { planningActivities } from './planning.js';
import { toolActivities } from './run-tool.js';

export type { Describe, Described, DescribeWorkerOutput } from './describe.js';
export type {
  CheckOutputInput,
  CheckOutputOutput,
  ExecuteStepInput,
  ExecuteStepOutput,
  SynthesizeInput,
  SynthesizeOutput,
} from './execution.js';
export { HEARTBEAT_EVERY_MS, USAGE_BEAT_DELAY_MS, type ModelHeartbeat } from './heartbeat.js';
export type { LookupPlanInput, LookupPlanOutput, StorePlanInput, WorkflowTime } from './plan-cache.js';
export type { CreatePlanInput, CreatePlanOutput, ReplanInput, ReplanOutput } from './planning.js';
export type {
  AskApprovalOutput,
  CheckToolInput,
  CheckToolOutput,
  RunToolInput,
  RunToolOutput,
  ToolFailureDetails,
} from './run-tool.js';

/** What the activities are built from. */
export interface ActivityDependencies {
  model: Model;
  tools: readonly Tool[];
  /** Directory tools may read and write. */
  workspace: string;
  /** planwright search attributes registered on the server (only these are set by runs). */
  searchAttributes?: readonly string[];
  /** Where accepted plans are kept for runs with `planCache`; without one, nothing is cached. */
  cache?: PlanCache;
  /** Where large outputs are kept outside the history; without one, every output stays inline. */
  outputs?: OutputKeeper;
  /** Tokens one model request may take; step outputs are cut to fit (default {@link DEFAULT_CONTEXT_TOKENS}). */
  contextTokens?: number;
}

/**
 * Builds the activities of a planwright worker.
 * @example new Worker({ activities: createActivities({ model, tools: builtinTools, workspace }), ... })
 */
export function createActivities({
  model,
  tools,
  workspace,
  searchAttributes = [],
  cache,
  outputs = INLINE_ONLY,
  contextTokens = DEFAULT_CONTEXT_TOKENS,
}: ActivityDependencies) {
  // The catalog (and the answer formats the planning activities build from it) is computed once per worker.
  const catalog = tools.map(toolInfo);
  const worker = workerDescription(catalog, searchAttributes);
  const planning = planningActivities({ model, tools, catalog, outputs, contextTokens, worker });
  const planCache = planCacheActivities({ cache, catalog, worker });
  const execution = executionActivities({ model, tools, catalog, outputs, contextTokens });
  const { runTool, askApproval, checkToolInput } = toolActivities({ tools, workspace, outputs });

  return {
    /** Describes what this worker offers a run: what a run keeps of its tools, and the search attributes it may set. */
    async describeWorker(): Promise<DescribeWorkerOutput> {
      return worker.describeWorker();
    },
    /** Asks the planner for a plan for the goal. */
    createPlan: planning.createPlan,
    /** Finds a cached plan for the same goal, context, tools and step limit, if one has not expired by the run's time. */
    lookupPlan: planCache.lookupPlan,
    /** Keeps an accepted plan for later runs of the same goal, until `ttlMs` after the run's time. */
    storePlan: planCache.storePlan,
    /** Asks the planner to revise a plan, given its problems or a reviewer's feedback. */
    revisePlan: planning.createPlan,
    /** Asks the replanner whether to continue, revise the remaining steps, or finish. */
    replan: planning.replan,
    /** Runs one tool with input checked against its schema (see `run-tool.ts` for its failures). */
    runTool,
    /** Asks a tool whose approval depends on the input whether this call needs a person's approval. */
    askApproval,
    /** Checks arguments a person edited for a call waiting for approval against the tool's input schema. */
    checkToolInput,
    /** One turn of an open step: the model answers, or asks for tool calls (which the workflow runs). */
    executeStep: execution.executeStep,
    /** Checks a step's output against its success criterion, with the model only for a sentence. */
    checkOutput: execution.checkOutput,
    /** Writes the final answer from the steps' results. */
    synthesize: execution.synthesize,
  };
}

/** The activities' type, for `proxyActivities`. */
export type Activities = ReturnType<typeof createActivities>;

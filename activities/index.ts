/**
 * Activities: every side effect of a run. Built by a factory that takes its dependencies, so the
 * worker wires real ones and tests wire their own; workflows import the types only.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { ErrorType } from '../src/contract/errors.js';
import { wirePlanSchema, planFromWire, type Json, type Plan, type PlanIssue } from '../src/contract/plan.js';
import type { Model } from '../src/llm/model.js';
import { addTokenUsage, usageOfFailure, withUsage, type TokenUsage, type UsageListener } from '../src/llm/usage.js';
import {
  checkerMessages,
  executorConversation,
  plannerMessages,
  replannerMessages,
  synthesizerMessages,
  type CheckerRequest,
  type PlannerRequest,
  type ReplannerRequest,
} from '../src/llm/prompts.js';
import type { ExecutorTurn, StepReport } from '../src/contract/executor.js';
import { replanFromWire, WireReplanDecisionSchema, type ReplanDecision } from '../src/contract/replan.js';
import { checkToolArgs } from '../src/tools/check-args.js';
import type { PlanCache } from '../src/plan-cache.js';
import type { PlanCacheQuery } from '../src/plan/cache-key.js';
import { ToolError, toolInfo, type Tool } from '../src/tools/define.js';
import { summarizeTool, type ToolSummary } from '../src/contract/tools.js';
import { resolveReferences, UnresolvedReferenceError } from '../src/plan/references.js';
import { INLINE_ONLY, type OutputKeeper, type OutputScope } from '../src/outputs/keeper.js';
import { DEFAULT_CONTEXT_TOKENS } from '../src/llm/prompts.js';
import { planResponseSchema, replanResponseSchema } from '../src/llm/plan-format.js';
import { CheckVerdictSchema } from '../src/contract/check.js';
import { criterionProblem, parseCriterion } from '../src/plan/criterion.js';

/** Usage of a check that needed no model. */
const NO_USAGE: TokenUsage = Object.freeze({ llmCalls: 0, inputTokens: 0, outputTokens: 0 });

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
 * A request as the workflow sends it: the worker's own tool catalog stands in for `tools` (runs started before
 * that rule still send the tools they were told of; the catalog is used all the same).
 */
type WithWorkerTools<T extends { tools: unknown }> = Omit<T, 'tools'> & { tools?: readonly ToolSummary[] };

/**
 * The run's workflow time (milliseconds since the epoch) that plan-cache expiry is measured in. Runs started
 * before it was sent leave it out; the cache then uses the worker's clock.
 */
export interface WorkflowTime {
  now?: number;
}

/**
 * Asks a planning activity to describe the worker too, when the run does not know it yet: the run learns its
 * tools with its first planning call instead of a call of its own (runs started before ask `describeWorker`).
 */
export interface Describe {
  describe?: boolean;
}
/** What a planning activity asked to {@link Describe} the worker answers with. */
export interface Described {
  worker?: DescribeWorkerOutput;
}

/** Input of `lookupPlan`: what a cached plan must match (the tools are this worker's), and the run's time. */
export type LookupPlanInput = WithWorkerTools<PlanCacheQuery> & WorkflowTime & Describe;
/** Output of `lookupPlan`. */
export interface LookupPlanOutput extends Described {
  plan?: Plan;
}
/** Input of `storePlan`: the plan expires `ttlMs` after the run's time. */
export interface StorePlanInput extends WorkflowTime {
  query: WithWorkerTools<PlanCacheQuery>;
  plan: Plan;
  ttlMs: number;
}

/** Output of `describeWorker`: what this worker offers a run. */
export interface DescribeWorkerOutput {
  tools: ToolSummary[];
  searchAttributes: string[];
}

/** Input of `createPlan` and `revisePlan`: the goal and, when revising, the previous plan with its problems. */
export type CreatePlanInput = WithWorkerTools<PlannerRequest> & Describe;
/** Output of `createPlan`: a plan, or the problems that kept the model's answer from being one. */
export interface CreatePlanOutput extends Described {
  plan?: Plan;
  issues: PlanIssue[];
  usage: TokenUsage;
}

/** Input of `runTool`: one call of one tool. */
export interface RunToolInput {
  stepId: string;
  tool: string;
  /** The arguments: resolved by the workflow, or, with `outputs`, still holding references. */
  args: Json;
  /**
   * The outputs the arguments reference, when some are kept in the output store: the activity loads them
   * and resolves the references itself, so a large output reaches the tool whole without crossing the history.
   */
  outputs?: Record<string, Json>;
}
/** Output of `runTool`: the tool's output (or a reference to it in the output store) and the attempt that produced it. */
export interface RunToolOutput {
  output: Json;
  attempt: number;
}

/** Input of `replan`. */
export type ReplanInput = WithWorkerTools<ReplannerRequest>;
/** Output of `replan`: a decision, or what kept the model's answer from being one. */
export interface ReplanOutput {
  decision?: ReplanDecision;
  issues: PlanIssue[];
  usage: TokenUsage;
}

/** Input of `executeStep`: an open step, the results it depends on, the tools it may call, earlier turns. */
export interface ExecuteStepInput {
  goal: string;
  step: { id: string; title: string; description?: string; successCriterion?: string };
  inputs: StepReport[];
  /** Tools the executor may ask for (by name; the worker describes them); each call runs as its own `runTool` activity. */
  tools?: ToolSummary[];
  /** Earlier turns of this step's conversation (tool calls and their results). */
  turns?: ExecutorTurn[];
}
/** Output of `executeStep`: the step's result, or tool calls to run before asking again. */
export type ExecuteStepOutput =
  | { kind: 'answer'; output: Json; attempt: number; usage: TokenUsage }
  | { kind: 'tool-calls'; calls: Array<{ id: string; tool: string; args: Json }>; attempt: number; usage: TokenUsage };

/** Input of `checkOutput`: a step's output (or its reference) and the criterion it must meet. */
export type CheckOutputInput = CheckerRequest;
/** Output of `checkOutput`: whether the output passed, why, and what the check cost (nothing without a model). */
export interface CheckOutputOutput {
  passed: boolean;
  reason: string;
  usage: TokenUsage;
}

/** Input of `synthesize`: the goal and what every step came to. */
export interface SynthesizeInput {
  goal: string;
  steps: StepReport[];
  failure?: string;
}
/** Output of `synthesize`. */
export interface SynthesizeOutput {
  answer: string;
  usage: TokenUsage;
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
  const byName = new Map(tools.map((t) => [t.name, t]));
  // The catalog, and the answer formats built from it, are computed once per worker, not once per call.
  const catalog = tools.map(toolInfo);
  const infoByName = new Map(catalog.map((t) => [t.name, t]));
  // Indexed by whether the run may use sub-goals.
  const planFormats = [planResponseSchema(catalog), planResponseSchema(catalog, true)] as const;
  const replanFormats = [replanResponseSchema(catalog), replanResponseSchema(catalog, true)] as const;
  /** Loads every stored output in a list of step reports. */
  const loadReports = <T extends { output?: Json }>(reports: readonly T[]): Promise<T[]> =>
    Promise.all(
      reports.map(async (r) => (r.output === undefined ? r : { ...r, output: await outputs.load(r.output) })),
    );
  /**
   * Loads the referenced outputs and resolves the references in a tool's arguments.
   * @throws {ApplicationFailure} `UnresolvedReference` or `OutputMissing` (neither retryable).
   */
  const resolveStored = async (args: Json, referenced: Record<string, Json>): Promise<Json> => {
    const loaded = Object.fromEntries(
      await Promise.all(
        Object.entries(referenced).map(async ([id, value]) => [id, await outputs.load(value)] as const),
      ),
    );
    try {
      return resolveReferences(args, loaded);
    } catch (err) {
      if (!(err instanceof UnresolvedReferenceError)) throw err;
      throw ApplicationFailure.create({
        type: ErrorType.UnresolvedReference,
        nonRetryable: true,
        message: err.message,
      });
    }
  };

  /** What this worker offers a run: what a run keeps of its tools, and the search attributes it may set. */
  const describeWorker = (): DescribeWorkerOutput => ({
    tools: catalog.map(summarizeTool),
    searchAttributes: [...searchAttributes],
  });
  /** The worker's description, when a planning activity was asked for it. */
  const described = ({ describe }: Describe): Described => (describe ? { worker: describeWorker() } : {});

  /** Asks the model for a plan; answers that are not a plan come back as issues for the workflow. */
  const plan = async (input: CreatePlanInput): Promise<CreatePlanOutput> => {
    const { value, usage } = await modelCall((onUsage) =>
      model.structured({
        phase: 'plan',
        name: 'plan',
        schema: wirePlanSchema(),
        jsonSchema: planFormats[input.subgoals ? 1 : 0],
        messages: plannerMessages({ ...input, tools: catalog }),
        onUsage,
      }),
    );
    const { plan, issues } = planFromWire(value);
    if (!plan) return { issues, usage, ...described(input) };
    // Steps whose args did not parse are already reported; check the arguments of the others.
    const unparsed = new Set(issues.map((i) => i.stepId));
    return {
      ...described(input),
      plan,
      issues: [
        ...issues,
        ...checkToolArgs(
          plan.steps.filter((s) => !unparsed.has(s.id)),
          tools,
        ),
      ],
      usage,
    };
  };

  return {
    /** Describes what this worker offers a run: what a run keeps of its tools, and the search attributes it may set. */
    async describeWorker(): Promise<DescribeWorkerOutput> {
      return describeWorker();
    },

    /** Asks the planner for a plan for the goal. */
    createPlan: plan,

    /** Finds a cached plan for the same goal, context, tools and step limit, if one has not expired by the run's time. */
    async lookupPlan({ now, describe, ...query }: LookupPlanInput): Promise<LookupPlanOutput> {
      const found = await cache?.get({ ...query, tools: catalog }, now);
      return { ...described({ describe }), ...(found ? { plan: found } : {}) };
    },

    /** Keeps an accepted plan for later runs of the same goal, until `ttlMs` after the run's time. */
    async storePlan({ query, plan: accepted, ttlMs, now }: StorePlanInput): Promise<void> {
      await cache?.set({ ...query, tools: catalog }, accepted, ttlMs, now);
    },

    /** Asks the planner to revise a plan, given its problems or a reviewer's feedback. */
    revisePlan: plan,

    /** Asks the replanner whether to continue, revise the remaining steps, or finish. */
    async replan(input: ReplanInput): Promise<ReplanOutput> {
      const done = await loadReports(input.done);
      const { value, usage } = await modelCall((onUsage) =>
        model.structured({
          onUsage,
          phase: 'replan',
          name: 'replan_decision',
          schema: WireReplanDecisionSchema,
          jsonSchema: replanFormats[input.subgoals ? 1 : 0],
          messages: replannerMessages({ ...input, tools: catalog, done }, contextTokens),
        }),
      );
      const { decision, issues } = replanFromWire(value);
      if (!decision) return { issues, usage };
      const unparsed = new Set(issues.map((i) => i.stepId));
      const revised = decision.action === 'revise' ? decision.steps.filter((s) => !unparsed.has(s.id)) : [];
      return { decision, issues: [...issues, ...checkToolArgs(revised, tools)], usage };
    },

    /**
     * Runs one tool with input checked against its schema.
     * @throws {ApplicationFailure} `UnknownTool`, `InvalidToolInput`, `InvalidToolOutput`, `ToolFailed`
     * (none retryable) or `ToolUnavailable` (retryable).
     */
    async runTool({ stepId, tool: name, args, outputs: referenced }: RunToolInput): Promise<RunToolOutput> {
      const activity = Context.current();
      const tool = byName.get(name);
      if (!tool) {
        throw ApplicationFailure.create({
          type: ErrorType.UnknownTool,
          nonRetryable: true,
          message: `step "${stepId}" calls unknown tool "${name}"; this worker has: ${[...byName.keys()].join(', ')}`,
        });
      }
      const input = tool.input.safeParse(referenced ? await resolveStored(args, referenced) : args);
      if (!input.success) {
        throw ApplicationFailure.create({
          type: ErrorType.InvalidToolInput,
          nonRetryable: true,
          message: `invalid input for ${name}: ${input.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ')}`,
        });
      }
      let raw: unknown;
      try {
        raw = await whileBeating((heartbeat) =>
          tool.run(input.data, { signal: activity.cancellationSignal, heartbeat, log: activity.log, workspace }),
        );
      } catch (err) {
        if (err instanceof CancelledFailure) throw err; // the run was cancelled: report it as such
        throw toolFailure(name, err, activity.info.attempt);
      }
      const output = tool.output ? tool.output.safeParse(raw) : { success: true as const, data: raw };
      if (!output.success) {
        throw ApplicationFailure.create({
          type: ErrorType.InvalidToolOutput,
          nonRetryable: true,
          message: `${name} returned output that breaks its schema: ${output.error.issues.map((i) => i.message).join('; ')}`,
        });
      }
      // No copy: the payload converter writes the output as JSON text, which is what the run receives.
      return {
        output: await outputs.keep((output.data ?? null) as Json, scopeOf(activity)),
        attempt: activity.info.attempt,
      };
    },

    /** One turn of an open step: the model answers, or asks for tool calls (which the workflow runs). */
    async executeStep(input: ExecuteStepInput): Promise<ExecuteStepOutput> {
      const inputs = await loadReports(input.inputs);
      const turns = await Promise.all(
        (input.turns ?? []).map(async (turn) =>
          turn.role === 'tool' && turn.output !== undefined
            ? { ...turn, output: await outputs.load(turn.output) }
            : turn,
        ),
      );
      const { value, usage } = await modelCall((onUsage) =>
        model.converse({
          onUsage,
          phase: 'execute',
          messages: executorConversation({ ...input, inputs }, turns, contextTokens),
          tools: (input.tools ?? [])
            .flatMap((t) => infoByName.get(t.name) ?? [])
            .map((t) => ({
              type: 'function' as const,
              function: { name: t.name, description: t.description, parameters: t.inputSchema },
            })),
        }),
      );
      const activity = Context.current();
      const attempt = activity.info.attempt;
      if (value.toolCalls.length === 0) {
        return { kind: 'answer', output: await outputs.keep(value.content, scopeOf(activity)), attempt, usage };
      }
      const calls = value.toolCalls.map((call) => {
        let args: Json;
        try {
          args = JSON.parse(call.arguments || '{}') as Json;
        } catch {
          // Bad JSON goes to the tool as text; its input check refuses it with a message the model can act on.
          args = call.arguments;
        }
        return { id: call.id, tool: call.name, args };
      });
      return { kind: 'tool-calls', calls, attempt, usage };
    },

    /**
     * Checks a step's output against its success criterion: a checkable criterion (`$.path op value`) without a
     * model, a sentence by asking the model.
     */
    async checkOutput(input: CheckOutputInput): Promise<CheckOutputOutput> {
      const output = await outputs.load(input.output);
      const check = parseCriterion(input.criterion);
      if (check) {
        const problem = criterionProblem(output, check);
        return { passed: !problem, reason: problem ?? `${input.criterion} holds`, usage: NO_USAGE };
      }
      const { value, usage } = await modelCall((onUsage) =>
        model.structured({
          onUsage,
          phase: 'check',
          name: 'check_verdict',
          schema: CheckVerdictSchema,
          messages: checkerMessages({ ...input, output }, contextTokens),
        }),
      );
      return { ...value, usage };
    },

    /** Writes the final answer from the steps' results. */
    async synthesize(input: SynthesizeInput): Promise<SynthesizeOutput> {
      const steps = await loadReports(input.steps);
      const { value, usage } = await modelCall((onUsage) =>
        model.text({ phase: 'synthesize', messages: synthesizerMessages({ ...input, steps }, contextTokens), onUsage }),
      );
      return { answer: value, usage };
    },
  };
}

/** The activities' type, for `proxyActivities`. */
export type Activities = ReturnType<typeof createActivities>;

/** Details attached to every tool failure, so the workflow knows how many attempts were made. */
export interface ToolFailureDetails {
  attempt: number;
}

/** Classifies a tool's error: permanent `ToolFailed` or retryable `ToolUnavailable`, keeping the cause. */
function toolFailure(tool: string, err: unknown, attempt: number): ApplicationFailure {
  const details: ToolFailureDetails[] = [{ attempt }];
  if (err instanceof ApplicationFailure) {
    const { type, nonRetryable, nextRetryDelay, message } = err;
    return ApplicationFailure.create({
      type: type ?? ErrorType.ToolUnavailable,
      nonRetryable: nonRetryable ?? false,
      ...(nextRetryDelay != null ? { nextRetryDelay } : {}),
      message,
      details,
      cause: err,
    });
  }
  const message = `${tool} failed: ${(err as Error)?.message ?? String(err)}`;
  const cause = err instanceof Error ? err : undefined;
  if (err instanceof ToolError && !err.retryable) {
    return ApplicationFailure.create({ type: ErrorType.ToolFailed, nonRetryable: true, message, details, cause });
  }
  return ApplicationFailure.create({ type: ErrorType.ToolUnavailable, message, details, cause });
}

/** How often an activity tells the server it is alive while a tool or the model works (throttled by the worker). */
export const HEARTBEAT_EVERY_MS = 1000;

/**
 * Runs `work` while heartbeating for it, so a worker that dies is noticed within the heartbeat timeout even
 * when the work itself never heartbeats. Details the work heartbeats with are kept and sent again.
 */
async function whileBeating<T>(work: (heartbeat: (details?: unknown) => void) => T | Promise<T>): Promise<T> {
  const activity = Context.current();
  let last: unknown;
  const heartbeat = (details?: unknown) => {
    last = details;
    activity.heartbeat(details);
  };
  const timer = setInterval(() => activity.heartbeat(last), HEARTBEAT_EVERY_MS);
  try {
    // A cancelled run stops waiting for the tool at once, even for a tool that ignores its abort signal.
    return await Promise.race([work(heartbeat), activity.cancelled]);
  } finally {
    clearInterval(timer);
  }
}

/** What a model activity heartbeats: the usage of its calls so far, earlier attempts included. */
export interface ModelHeartbeat {
  usage: TokenUsage;
}

/**
 * How long after a model call answers its usage is heartbeated, when the activity is still running by then.
 * An activity that ends sooner carries its usage in its result (or failure) and sends no heartbeat at all:
 * a heartbeat is a request the server must persist, on the run's critical path.
 */
export const USAGE_BEAT_DELAY_MS = 100;

/**
 * Runs a model call while heartbeating, with the usage so far in the heartbeat details. Usage of earlier
 * attempts (read back from those details when Temporal retries) is added to what this attempt returns or
 * fails with, and an attempt that times out leaves its usage in the timeout's last heartbeat details: a call
 * that answered is heartbeated {@link USAGE_BEAT_DELAY_MS} later if the activity has not ended by then, so
 * every call that reached the model is counted.
 */
async function modelCall<T extends { usage: TokenUsage }>(work: (onUsage: UsageListener) => Promise<T>): Promise<T> {
  const activity = Context.current();
  const earlier = (activity.info.heartbeatDetails as Partial<ModelHeartbeat> | undefined)?.usage;
  const prior = earlier ?? { llmCalls: 0, inputTokens: 0, outputTokens: 0 };
  let details: ModelHeartbeat = { usage: prior };
  let pending: NodeJS.Timeout | undefined;
  const beat = () => {
    clearTimeout(pending);
    pending = undefined;
    activity.heartbeat(details);
  };
  // A retried attempt keeps what earlier attempts used in its own details from the start.
  if (earlier) beat();
  const timer = setInterval(beat, HEARTBEAT_EVERY_MS);
  try {
    const out = await work((soFar) => {
      details = { usage: addTokenUsage(prior, soFar) };
      pending ??= setTimeout(beat, USAGE_BEAT_DELAY_MS);
    });
    return { ...out, usage: addTokenUsage(prior, out.usage) };
  } catch (err) {
    throw withUsage(err, addTokenUsage(prior, usageOfFailure(err)));
  } finally {
    clearInterval(timer);
    clearTimeout(pending);
  }
}

/** Whose outputs an activity keeps: its run's namespace and workflow id. */
function scopeOf(activity: Context): OutputScope {
  const { workflowNamespace, workflowExecution } = activity.info;
  return { namespace: workflowNamespace ?? 'default', workflowId: workflowExecution?.workflowId ?? 'standalone' };
}

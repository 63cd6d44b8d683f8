/**
 * Activities: every side effect of a run. Built by a factory that takes its dependencies, so the
 * worker wires real ones and tests wire their own; workflows import the types only.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../src/contract/errors.js';
import { WirePlanSchema, planFromWire, type Json, type Plan, type PlanIssue } from '../src/contract/plan.js';
import type { Model, TokenUsage } from '../src/llm/model.js';
import {
  executorMessages,
  plannerMessages,
  synthesizerMessages,
  type PlannerRequest,
  type StepReport,
} from '../src/llm/prompts.js';
import { ToolError, toolInfo, type Tool, type ToolContext, type ToolInfo } from '../src/tools/define.js';

/** What the activities are built from. */
export interface ActivityDependencies {
  model: Model;
  tools: readonly Tool[];
  /** Directory tools may read and write. */
  workspace: string;
}

/** Output of `listTools`. */
export interface ListToolsOutput {
  tools: ToolInfo[];
}

/** Input of `createPlan`: the goal and, when revising, the previous plan with its problems. */
export type CreatePlanInput = PlannerRequest;
/** Output of `createPlan`: a plan, or the problems that kept the model's answer from being one. */
export interface CreatePlanOutput {
  plan?: Plan;
  issues: PlanIssue[];
  usage: TokenUsage;
}

/** Input of `runTool`: one call of one tool, arguments already resolved. */
export interface RunToolInput {
  stepId: string;
  tool: string;
  args: Json;
}
/** Output of `runTool`: the tool's output and the attempt that produced it. */
export interface RunToolOutput {
  output: Json;
  attempt: number;
}

/** Input of `executeStep`: an open step and the results it depends on. */
export interface ExecuteStepInput {
  goal: string;
  step: { id: string; title: string; description?: string; successCriterion?: string };
  inputs: StepReport[];
}
/** Output of `executeStep`. */
export interface ExecuteStepOutput {
  output: Json;
  attempt: number;
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
export function createActivities({ model, tools, workspace }: ActivityDependencies) {
  const byName = new Map(tools.map((t) => [t.name, t]));

  return {
    /** Describes the tools this worker offers. */
    async listTools(): Promise<ListToolsOutput> {
      return { tools: tools.map(toolInfo) };
    },

    /** Asks the model for a plan; answers that are not a plan come back as issues for the workflow to handle. */
    async createPlan(input: CreatePlanInput): Promise<CreatePlanOutput> {
      const { value, usage } = await model.structured({
        phase: 'plan',
        name: 'plan',
        schema: WirePlanSchema,
        messages: plannerMessages(input),
      });
      const { plan, issues } = planFromWire(value);
      return { ...(plan ? { plan } : {}), issues, usage };
    },

    /**
     * Runs one tool with input checked against its schema.
     * @throws {ApplicationFailure} `UnknownTool`, `InvalidToolInput`, `InvalidToolOutput`, `ToolFailed`
     * (none retryable) or `ToolUnavailable` (retryable).
     */
    async runTool({ stepId, tool: name, args }: RunToolInput): Promise<RunToolOutput> {
      const activity = Context.current();
      const tool = byName.get(name);
      if (!tool) {
        throw ApplicationFailure.create({
          type: ErrorType.UnknownTool,
          nonRetryable: true,
          message: `step "${stepId}" calls unknown tool "${name}"; this worker has: ${[...byName.keys()].join(', ')}`,
        });
      }
      const input = tool.input.safeParse(args);
      if (!input.success) {
        throw ApplicationFailure.create({
          type: ErrorType.InvalidToolInput,
          nonRetryable: true,
          message: `invalid input for ${name}: ${input.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ')}`,
        });
      }
      const ctx: ToolContext = {
        signal: activity.cancellationSignal,
        heartbeat: (details) => activity.heartbeat(details),
        log: activity.log,
        workspace,
      };
      let raw: unknown;
      try {
        raw = await tool.run(input.data, ctx);
      } catch (err) {
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
      return { output: toJson(output.data), attempt: activity.info.attempt };
    },

    /** Carries out an open step with the model. */
    async executeStep(input: ExecuteStepInput): Promise<ExecuteStepOutput> {
      const { value, usage } = await model.text({ phase: 'execute', messages: executorMessages(input) });
      return { output: value, usage, attempt: Context.current().info.attempt };
    },

    /** Writes the final answer from the steps' results. */
    async synthesize(input: SynthesizeInput): Promise<SynthesizeOutput> {
      const { value, usage } = await model.text({ phase: 'synthesize', messages: synthesizerMessages(input) });
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

/** Round-trips a value through JSON, so what crosses into the workflow is plain data. */
function toJson(value: unknown): Json {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as Json);
}

/**
 * `runTool`: one call of one tool, its input checked against the tool's schema, its output against its own, while
 * heartbeating; a failure is classified as permanent or retryable, with the attempt that made it.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { ErrorType } from '../src/contract/errors.js';
import type { Json } from '../src/contract/plan.js';
import type { OutputKeeper, OutputScope } from '../src/outputs/keeper.js';
import { resolveReferences, UnresolvedReferenceError } from '../src/plan/references.js';
import { ToolError, type Tool } from '../src/tools/define.js';
import type { z } from 'zod';
import { whileBeating } from './heartbeat.js';
import { scopeOf } from './outputs.js';

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

/** Input of `checkToolInput`: arguments a person edited for a call waiting for approval. */
export interface CheckToolInput {
  tool: string;
  args: Json;
}
/** Output of `checkToolInput`: what is wrong with the arguments for the tool's input schema, if anything. */
export interface CheckToolOutput {
  problem?: string;
}

/** Output of `askApproval`: whether the call needs a person's approval before it runs, and why. */
export interface AskApprovalOutput {
  needed: boolean;
  reason?: string;
}

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

/** What `runTool` is built from. */
export interface ToolDependencies {
  tools: readonly Tool[];
  /** Directory tools may read and write. */
  workspace: string;
  outputs: OutputKeeper;
}

/** The tool activity of a worker. */
export function toolActivities({ tools, workspace, outputs }: ToolDependencies) {
  const byName = new Map(tools.map((t) => [t.name, t]));
  /**
   * Loads the referenced outputs the run stored and resolves the references in a tool's arguments.
   * @throws {ApplicationFailure} `UnresolvedReference` or `OutputMissing` (neither retryable).
   */
  const resolveStored = async (args: Json, referenced: Record<string, Json>, scope: OutputScope): Promise<Json> => {
    const loaded = Object.fromEntries(
      await Promise.all(
        Object.entries(referenced).map(async ([id, value]) => [id, await outputs.load(value, scope)] as const),
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

  return {
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
      const scope = scopeOf(activity);
      const input = tool.input.safeParse(referenced ? await resolveStored(args, referenced, scope) : args);
      if (!input.success) {
        throw ApplicationFailure.create({
          type: ErrorType.InvalidToolInput,
          nonRetryable: true,
          message: `invalid input for ${name}: ${issuesOf(input.error)}`,
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
        output: await outputs.keep((output.data ?? null) as Json, scope),
        attempt: activity.info.attempt,
      };
    },
    /**
     * Asks a tool whose `approval` is a function whether this call needs a person's approval (the tool does not
     * run). Input that breaks the schema needs none: the call fails when it runs.
     */
    async askApproval({ tool: name, args, outputs: referenced }: RunToolInput): Promise<AskApprovalOutput> {
      const tool = byName.get(name);
      if (!tool?.approval) return { needed: false };
      const input = tool.input.safeParse(
        referenced ? await resolveStored(args, referenced, scopeOf(Context.current())) : args,
      );
      if (!input.success || !needsApproval(tool, input.data, Context.current().log)) return { needed: false };
      return { needed: true, reason: `${name} asks for a person's approval of this call` };
    },
    /** Checks arguments a person edited against the tool's input schema (the tool does not run). */
    async checkToolInput({ tool: name, args }: CheckToolInput): Promise<CheckToolOutput> {
      const tool = byName.get(name);
      if (!tool) return { problem: `this worker has no tool "${name}"` };
      const input = tool.input.safeParse(args);
      return input.success ? {} : { problem: `they do not fit ${name}'s input schema: ${issuesOf(input.error)}` };
    },
  };
}

/** A schema's complaints as one line, each naming the field. */
function issuesOf(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
}

/** Whether a tool wants a person to approve a call with this input; a decision that throws says yes. */
function needsApproval(tool: Tool, input: unknown, log: { warn(message: string, attrs?: object): void }): boolean {
  if (tool.approval === 'always') return true;
  if (tool.approval === undefined) return false;
  try {
    return tool.approval(input) !== false;
  } catch (err) {
    log.warn(`${tool.name}'s approval check threw; the call waits for a person`, { error: String(err) });
    return true;
  }
}

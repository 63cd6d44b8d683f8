/**
 * Running one step: a tool call (ReWOO: known arguments, no model call), or an open task for the executor,
 * which may ask for tool calls, each run as its own activity, in a bounded loop. These functions touch no
 * run state: they return what happened, and the workflow records it.
 */
import { ActivityFailure, ApplicationFailure, TimeoutFailure, isCancellation } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { ModelHeartbeat, ToolFailureDetails } from '../activities/index.js';
import type { Json } from '../src/contract/plan.js';
import type { Usage } from '../src/contract/run-state.js';
import { clip } from '../src/run/state.js';
import type { StepOutcome } from '../src/run/ledger.js';
import type { Admission, ProposedCall } from '../src/run/tool-calls.js';
import type { ToolCallOptions, ToolSummary } from '../src/contract/tools.js';
import type { ExecutorTurn, StepReport } from '../src/contract/executor.js';
import { TOOL_MAX_ATTEMPTS, llmCall, toolCall } from './activity-profiles.js';
import { llm, summarized, tools } from './activity-proxies.js';

/** Model turns an open step may take before it counts as failed. */
export const MAX_EXECUTOR_TURNS = 6;

/** One call of one tool, as the workflow makes it. */
export interface ToolCall {
  stepId: string;
  tool: string;
  args: Json;
  stepTimeout: Duration;
  summary: string;
  /** The tool's own timeout and retry settings, from its description. */
  own?: ToolCallOptions;
  /** Referenced outputs kept in the output store: `args` still holds references, resolved by the activity. */
  outputs?: Record<string, Json>;
}

/**
 * Calls one tool as an activity with the run's step timeout; a failure after retries comes back as an outcome.
 * @throws {CancelledFailure} when the run is cancelled.
 */
export async function callTool(call: ToolCall): Promise<StepOutcome> {
  const options = toolCall(call.stepTimeout, call.own);
  try {
    const out = await tools.runTool.executeWithOptions(summarized(options, call.summary), [
      { stepId: call.stepId, tool: call.tool, args: call.args, ...(call.outputs ? { outputs: call.outputs } : {}) },
    ]);
    return { ok: true, output: out.output, attempts: out.attempt, usage: { toolCalls: out.attempt } };
  } catch (err) {
    if (isCancellation(err)) throw err;
    const attempts = attemptsOf(err, options.retry?.maximumAttempts ?? TOOL_MAX_ATTEMPTS);
    return { ok: false, error: describeFailure(err), attempts, usage: { toolCalls: attempts } };
  }
}

/** An open step as the executor sees it. */
export interface OpenStep {
  goal: string;
  step: { id: string; title: string; description?: string; successCriterion?: string };
  inputs: StepReport[];
  tools: ToolSummary[];
  stepTimeout: Duration;
  position: string;
  /** Says why no further model call may be made (a spent budget), or undefined. */
  modelRefused: () => string | undefined;
  /** Adds usage to the run at once, so steps running side by side see each other's spending. */
  spend: (usage: Partial<Usage>) => void;
  /** Which of a turn's calls may run, given the calls this step has made before (see `admitCalls`). */
  admit: <C extends ProposedCall>(calls: readonly C[], madeByStep: number) => Admission<C>;
  /** Records a call refused before it ran. */
  refuse: (call: ProposedCall, reason: string) => void;
  /** Makes an admitted call (after a person approved it, when it needs approval). */
  call: (call: ToolCall) => Promise<StepOutcome>;
}

/**
 * Runs an open step: the executor answers, or asks for tool calls that run as their own activities and
 * whose results go back to it, for at most {@link MAX_EXECUTOR_TURNS} turns.
 * @throws {CancelledFailure} when the run is cancelled.
 */
export async function runOpenStep(open: OpenStep): Promise<StepOutcome> {
  const turns: ExecutorTurn[] = [];
  const usage = {}; // spent as it goes, through open.spend
  let attempts = 0;
  let callsMade = 0;
  for (let turn = 0; turn < MAX_EXECUTOR_TURNS; turn++) {
    const spent = open.modelRefused();
    if (spent) return { ok: false, error: spent, attempts, usage };
    let out;
    try {
      out = await llm.executeStep.executeWithOptions(summarized(llmCall, `${open.position} · executor`), [
        { goal: open.goal, step: open.step, inputs: open.inputs, tools: open.tools, turns },
      ]);
    } catch (err) {
      if (isCancellation(err)) throw err;
      open.spend(usageOf(err));
      return { ok: false, error: describeFailure(err), attempts: attempts + 1, usage };
    }
    attempts += out.attempt;
    open.spend(out.usage);
    if (out.kind === 'answer') return { ok: true, output: out.output, attempts, usage };

    turns.push({ role: 'assistant', toolCalls: out.calls.map(({ id, tool, args }) => ({ id, tool, args })) });
    // Nothing the executor asks for runs unless the step may use it: refused calls are answered as errors.
    const { admitted, refused } = open.admit(out.calls, callsMade);
    for (const { call, reason } of refused) open.refuse(call, reason);
    callsMade += admitted.length;
    const results = await Promise.all(admitted.map((call) => open.call(executorCall(open, call))));
    // Keyed by the call itself: a model may give two calls the same id.
    const ran = new Map(admitted.map((call, i) => [call, results[i] as StepOutcome]));
    const refusals = new Map(refused.map(({ call, reason }) => [call, reason]));
    for (const call of out.calls) {
      const result = ran.get(call);
      if (result) open.spend(result.usage);
      const answer = result
        ? result.ok
          ? { output: result.output }
          : { error: result.error }
        : { error: `refused: ${refusals.get(call) ?? 'not run'}` };
      turns.push({ role: 'tool', callId: call.id, tool: call.tool, ...answer });
    }
  }
  return { ok: false, error: `the executor did not finish within ${MAX_EXECUTOR_TURNS} turns`, attempts, usage };
}

/** One tool call of the executor, as its own activity. */
function executorCall(open: OpenStep, call: ProposedCall): ToolCall {
  return {
    own: open.tools.find((t) => t.name === call.tool)?.callOptions,
    stepId: open.step.id,
    tool: call.tool,
    args: call.args,
    stepTimeout: open.stepTimeout,
    summary: `${open.position} · executor → ${call.tool}`,
  };
}

/** How many attempts a failed activity used, from the failure's details or its retry state. */
function attemptsOf(err: unknown, maximumAttempts: number): number {
  if (!(err instanceof ActivityFailure)) return 1;
  const details = err.cause instanceof ApplicationFailure ? (err.cause.details?.[0] as ToolFailureDetails) : undefined;
  if (typeof details?.attempt === 'number') return details.attempt;
  return err.retryState === 'MAXIMUM_ATTEMPTS_REACHED' ? maximumAttempts : 1;
}

/**
 * Model usage a failed activity reported: in its failure's details (an answer that stayed invalid still cost
 * tokens), or, when its last attempt timed out, in the last heartbeat details (see `ModelHeartbeat`).
 */
export function usageOf(err: unknown): Partial<Usage> {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  const details =
    cause instanceof ApplicationFailure
      ? (cause.details?.[0] as Partial<ModelHeartbeat> | undefined)
      : cause instanceof TimeoutFailure
        ? (cause.lastHeartbeatDetails as Partial<ModelHeartbeat> | undefined)
        : undefined;
  return details?.usage ?? {};
}

/** One line saying why an activity failed, taken from the innermost useful cause (clipped to a bounded length). */
export function describeFailure(err: unknown): string {
  if (err instanceof ActivityFailure) {
    if (err.cause instanceof TimeoutFailure) return `timed out (${err.cause.timeoutType ?? 'timeout'})`;
    if (err.cause) return clip(err.cause.message);
  }
  return clip((err as Error)?.message ?? String(err));
}

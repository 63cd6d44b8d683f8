/**
 * Which of the tool calls an executor asked for may run: only the tools its step names (the plan a person
 * approved says what an open step may use), with arguments that fit the tool's input schema, a bounded number
 * per turn and per step, and within the run's tool-call budget. A pure decision; the workflow refuses the rest
 * before anything is scheduled, tells the executor why, and records each refusal.
 */
import type { Json } from '../contract/plan.js';

/** Most tool calls an executor may ask for in one turn; the rest of the turn's calls are refused. */
export const TOOL_CALLS_PER_TURN = 8;

/** Most tool calls one open step may make over all its turns. */
export const TOOL_CALLS_PER_STEP = 24;

/** A tool call the executor asked for; `problem` says why its arguments do not fit the tool's input schema. */
export interface ProposedCall {
  id: string;
  tool: string;
  args: Json;
  problem?: string;
}

/** What the calls are admitted against. */
export interface CallLimits {
  /** The tools the step may use. */
  allowed: readonly string[];
  /** Calls this step has made in earlier turns. */
  madeByStep: number;
  /** Tool calls the run's budget still allows, when it has a tool-call budget. */
  budgetLeft?: number;
}

/** The calls that may run, and those refused with the reason the executor is told. */
export interface Admission<C extends ProposedCall> {
  admitted: C[];
  refused: Array<{ call: C; reason: string }>;
}

/**
 * Admits calls in the order they were asked for, refusing those outside the step's tools, with arguments that do
 * not fit, or beyond a cap or the budget.
 * @example admitCalls([{ id: '1', tool: 'write_file', args: {} }], { allowed: ['calculator'], madeByStep: 0 })
 * // { admitted: [], refused: [{ call, reason: '"write_file" is not a tool this step may use (it may use: calculator)' }] }
 */
export function admitCalls<C extends ProposedCall>(calls: readonly C[], limits: CallLimits): Admission<C> {
  const admitted: C[] = [];
  const refused: Admission<C>['refused'] = [];
  const mayUse = limits.allowed.length > 0 ? limits.allowed.join(', ') : 'none';
  for (const call of calls) {
    const made = limits.madeByStep + admitted.length;
    const reason = !limits.allowed.includes(call.tool)
      ? `"${call.tool}" is not a tool this step may use (it may use: ${mayUse})`
      : call.problem !== undefined
        ? `its arguments do not fit ${call.tool}'s input schema: ${call.problem}`
        : admitted.length >= TOOL_CALLS_PER_TURN
          ? `more than ${TOOL_CALLS_PER_TURN} tool calls in one turn: ask for at most ${TOOL_CALLS_PER_TURN} at a time`
          : made >= TOOL_CALLS_PER_STEP
            ? `this step has made ${TOOL_CALLS_PER_STEP} tool calls, the most one step may make: answer with what you have`
            : limits.budgetLeft !== undefined && admitted.length >= limits.budgetLeft
              ? 'the run’s tool-call budget is spent: answer with what you have'
              : undefined;
    if (reason === undefined) admitted.push(call);
    else refused.push({ call, reason });
  }
  return { admitted, refused };
}

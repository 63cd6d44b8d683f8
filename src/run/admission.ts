/**
 * Whether a message (signal or update) can be acted on now. Each returns the reason it cannot, or
 * undefined. Signals that are refused are ignored and recorded; updates that are refused fail at once.
 */
import type { RunState } from '../contract/run-state.js';
import { FINAL_STATUSES } from '../contract/run-state.js';

/** Largest message (its argument as JSON text) a run takes; anything larger is refused whole. */
export const MAX_MESSAGE_CHARS = 64_000;

/** A message's argument: a plain object, not larger than {@link MAX_MESSAGE_CHARS} as JSON. */
export function messageProblem(arg: unknown): string | undefined {
  if (arg === null || typeof arg !== 'object') return 'the message has no argument object';
  const size = JSON.stringify(arg).length;
  if (size > MAX_MESSAGE_CHARS) return `the message is ${size} characters long; at most ${MAX_MESSAGE_CHARS} are taken`;
  return undefined;
}

/** Longest feedback, note or reason a person may send with a decision. */
export const MAX_FEEDBACK = 8000;

/** An optional text field of a message: a string of at most `max` characters when present. */
export function textProblem(field: string, value: unknown, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return `${field} must be a string`;
  if (value.length > max) return `${field} is ${value.length} characters long; at most ${max} are taken`;
  return undefined;
}

/** An approval or rejection of plan `version`. */
export function decisionProblem(state: RunState, version: number): string | undefined {
  if (state.status !== 'awaiting-approval') return `no plan is awaiting approval (the run is ${state.status})`;
  if (version !== state.plan?.version)
    return `plan v${version} is not the plan awaiting approval (v${state.plan?.version})`;
  return undefined;
}

/** A change of goal. */
export function goalChangeProblem(state: RunState, goal: string, reason?: unknown): string | undefined {
  if (FINAL_STATUSES.includes(state.status)) return `the run has ended (${state.status})`;
  const trimmed = goal.trim();
  if (trimmed.length === 0) return 'the new goal is empty';
  if (trimmed.length > 8000) return 'the new goal is longer than 8000 characters';
  return textProblem('reason', reason, MAX_FEEDBACK);
}

/** A person's decision about an escalated step. */
export function escalationProblem(state: RunState, stepId: string, decision: string): string | undefined {
  if (!['retry', 'skip', 'replan', 'abort'].includes(decision)) {
    return `"${decision}" is not a decision; use retry, skip, replan or abort`;
  }
  if (state.status !== 'awaiting-decision' || !state.escalation)
    return `no step is awaiting a decision (the run is ${state.status})`;
  if (state.escalation.stepId !== stepId)
    return `step "${stepId}" is not awaiting a decision; "${state.escalation.stepId}" is`;
  return undefined;
}

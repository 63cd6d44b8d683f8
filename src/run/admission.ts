/**
 * Whether a message (signal or update) can be acted on now. Each returns the reason it cannot, or
 * undefined. Signals that are refused are ignored and recorded; updates that are refused fail at once.
 */
import { z } from 'zod';
import type { RunState } from '../contract/run-state.js';
import { FINAL_STATUSES } from '../contract/run-state.js';
import { builtOnce } from '../contract/built-once.js';

/** Largest message (its argument as JSON text) a run takes; anything larger is refused whole. */
export const MAX_MESSAGE_CHARS = 64_000;

/** A message's argument: a plain object, not larger than {@link MAX_MESSAGE_CHARS} as JSON. */
export function messageProblem(arg: unknown): string | undefined {
  if (arg === null || typeof arg !== 'object') return 'the message has no argument object';
  const size = JSON.stringify(arg).length;
  if (size > MAX_MESSAGE_CHARS) return `the message is ${size} characters long; at most ${MAX_MESSAGE_CHARS} are taken`;
  return undefined;
}

/**
 * A message's argument as a short line for the run's events; never throws, whatever a client sent (an argument
 * nested too deeply to stringify is described instead).
 */
export function preview(arg: unknown, max = 200): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(arg);
  } catch {
    return '(an argument too deeply nested to show)';
  }
  const shown = json ?? String(arg);
  return shown.length <= max ? shown : `${shown.slice(0, max)}… [${shown.length - max} more characters]`;
}

/** Longest feedback, note or reason a person may send with a decision. */
export const MAX_FEEDBACK = 8000;

const text = (field: string) =>
  z.string().max(MAX_FEEDBACK, `${field} is too long: at most ${MAX_FEEDBACK} characters are taken`);

/** The shape of each decision's argument, by message name: every field named, nothing else taken. */
export const messageShapes = builtOnce(() => ({
  approvePlan: z.object({ version: z.number().int() }).strict(),
  rejectPlan: z.object({ version: z.number().int(), feedback: text('feedback') }).strict(),
  changeGoal: z.object({ goal: z.string(), reason: text('reason').optional() }).strict(),
  resolveEscalation: z
    .object({
      stepId: z.string(),
      decision: z.enum(['retry', 'skip', 'replan', 'abort'], {
        error: 'decision must be one of retry, skip, replan or abort',
      }),
      note: text('note').optional(),
    })
    .strict(),
  approveToolCall: z.object({ callId: z.string(), args: z.record(z.string(), z.json()).optional() }).strict(),
  rejectToolCall: z
    .object({
      callId: z.string(),
      reason: text('reason').trim().min(1, 'reason: say why, so the run can try another way'),
    })
    .strict(),
}));

/** What is wrong with a message's argument for its shape, naming each field, or undefined. */
export function shapeProblem(shape: z.ZodType, arg: unknown): string | undefined {
  const parsed = shape.safeParse(arg);
  if (parsed.success) return undefined;
  return parsed.error.issues
    .map((issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
        : `${issue.path.join('.') || 'the argument'}: ${issue.message}`,
    )
    .join('; ');
}

/** An optional text field of a message: a string of at most `max` characters when present. */
export function textProblem(field: string, value: unknown, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return `${field} must be a string`;
  if (value.length > max) return `${field} is ${value.length} characters long; at most ${max} are taken`;
  return undefined;
}

/** An approval or rejection of plan `version`. */
export function decisionProblem(state: RunState, version: number): string | undefined {
  if (state.pendingCalls?.length) {
    return 'no plan is awaiting approval: tool calls are (see pendingCalls; answer them with approveToolCall or rejectToolCall)';
  }
  if (state.status !== 'awaiting-approval') return `no plan is awaiting approval (the run is ${state.status})`;
  if (version !== state.plan?.version)
    return `plan v${version} is not the plan awaiting approval (v${state.plan?.version})`;
  return undefined;
}

/** An approval or rejection of the tool call `callId`. */
export function callDecisionProblem(state: RunState, callId: string, answered: boolean): string | undefined {
  const waiting = state.pendingCalls ?? [];
  if (!waiting.some((c) => c.callId === callId)) {
    const ids = waiting.map((c) => `"${c.callId}"`).join(', ');
    return `no tool call "${callId}" is waiting for approval (${ids ? `waiting: ${ids}` : 'none is waiting'})`;
  }
  if (answered) return `tool call "${callId}" has been answered already`;
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

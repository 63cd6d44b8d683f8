/**
 * The run events of the stream, derived from the ledger's state after each of its transitions: the new entries of
 * the run's trace, a change of status (and what a person is asked), and the usage when it grew. Pure, so the
 * workflow (workflows/stream.ts) and the tests share it; no Temporal API.
 */
import type { RunEvent, RunState } from '../contract/run-state.js';
import type { RunStreamEvent } from './events.js';
import { EVENT_SCHEMA_VERSION, STEP_EVENT_KINDS } from './topics.js';

/** Longest preview of a step's output in a `step-succeeded` event. */
export const PREVIEW_CHARS = 200;

/** A tool call waiting for a person (the shape of `RunState.pendingCalls` where the run has it). */
interface PendingCall {
  callId: string;
  stepId: string;
  tool: string;
  args: Record<string, unknown>;
}

const STEP_KINDS = new Set<string>(STEP_EVENT_KINDS);
const RECOVERY: Record<string, 'fallback' | 'escalation' | 'replan'> = {
  fallback: 'fallback',
  'escalation-resolved': 'escalation',
  replanned: 'replan',
};
const PLAN_KINDS: Record<string, 'plan-proposed' | 'plan-invalid' | 'plan-approved' | 'plan-rejected'> = {
  'plan-proposed': 'plan-proposed',
  'plan-adopted': 'plan-proposed',
  'plan-invalid': 'plan-invalid',
  'plan-approved': 'plan-approved',
  'plan-rejected': 'plan-rejected',
};

/** Follows a run's state from one transition to the next and says which run events each one makes. */
export class RunEventDeriver {
  private lastEvent: RunEvent | undefined;
  private status: string;
  private usage: string;
  private readonly callsAsked = new Set<string>();
  /** The last plan version a `plan-proposed` event carried. */
  private proposed: number;

  /** Starts from `state` as it is: what it already holds was published before (or by the run before it). */
  constructor(state: Readonly<RunState>) {
    this.lastEvent = state.events.at(-1);
    this.status = state.status;
    this.usage = JSON.stringify(state.usage);
    for (const call of pendingCalls(state)) this.callsAsked.add(call.callId);
    this.proposed = state.plan?.version ?? 0;
  }

  /** The run events since the last call, in the order they happened. */
  next(state: Readonly<RunState>): RunStreamEvent[] {
    const out: RunStreamEvent[] = [];
    const events = state.events;
    const from = this.lastEvent === undefined ? 0 : events.lastIndexOf(this.lastEvent) + 1;
    for (const event of events.slice(from)) {
      for (const made of fromTrace(event, state, this.callsAsked)) {
        // A plan version is proposed once: the planner's says `plan-adopted`; a replanner's revision says only
        // `replanned`, after which its plan follows with the diff.
        if (made.kind === 'plan-proposed' && made.version !== undefined) {
          if (made.version <= this.proposed) continue;
          this.proposed = made.version;
        }
        out.push(made);
        if (made.kind === 'step-recovered' && made.how === 'replan' && (state.plan?.version ?? 0) > this.proposed) {
          this.proposed = state.plan!.version;
          const { at, message } = made;
          out.push({
            v: EVENT_SCHEMA_VERSION,
            kind: 'plan-proposed',
            at,
            message,
            ...planFields('plan-adopted', state),
          });
        }
      }
    }
    this.lastEvent = events.at(-1) ?? this.lastEvent;
    const at = this.lastEvent?.at ?? '';
    if (state.status !== this.status) {
      this.status = state.status;
      if (state.status !== 'awaiting-decision' && !out.some((e) => e.kind === 'run-finished')) {
        out.push({ v: EVENT_SCHEMA_VERSION, kind: 'status', status: state.status, at, message: `run ${state.status}` });
      }
      // A run waits for its plan's approval, or for tool calls' (which are asked below, each once).
      if (state.status === 'awaiting-approval' && state.plan && pendingCalls(state).length === 0)
        out.push(planApproval(state.plan.version, at));
    }
    const usage = JSON.stringify(state.usage);
    if (usage !== this.usage) {
      this.usage = usage;
      out.push({ v: EVENT_SCHEMA_VERSION, kind: 'usage', usage: { ...state.usage }, at, message: 'usage' });
    }
    for (const call of pendingCalls(state)) {
      if (!this.callsAsked.has(call.callId)) out.push(toolCallApproval(call, at, this.callsAsked));
    }
    // Move the run-finished event last, after the usage it closes with.
    const end = out.findIndex((e) => e.kind === 'run-finished');
    if (end >= 0) out.push(...out.splice(end, 1));
    return out;
  }
}

/** The run events one entry of the trace makes. */
function fromTrace(event: RunEvent, state: Readonly<RunState>, callsAsked: Set<string>): RunStreamEvent[] {
  const { message, at, stepId } = event;
  // Kinds the ledger adds later pass through as notes; compare as plain strings.
  const type: string = event.type;
  const v = EVENT_SCHEMA_VERSION;
  if (type === 'run-started') return [{ v, kind: 'run-started', goal: state.goal, at, message }];
  if (type === 'goal-changed') return [{ v, kind: 'goal-changed', goal: state.goal, at, message }];
  if (type === 'run-finished') {
    const answer = state.answer !== undefined ? { answer: state.answer } : {};
    return [{ v, kind: 'run-finished', status: state.status, at, message, ...answer }];
  }
  const plan = PLAN_KINDS[type];
  if (plan) return [{ v, kind: plan, at, message, ...planFields(type, state) }];
  const how = RECOVERY[type];
  if (how) return [{ v, kind: 'step-recovered', how, at, message, ...(stepId ? { stepId } : {}) }];
  if (STEP_KINDS.has(type) && stepId) {
    const step = state.steps.find((s) => s.id === stepId);
    const extra =
      type === 'step-succeeded' && step?.output !== undefined
        ? { preview: preview(step.output) }
        : type === 'step-failed' && step?.error !== undefined
          ? { error: step.error }
          : {};
    return [{ v, kind: type as (typeof STEP_EVENT_KINDS)[number], stepId, at, message, ...extra }];
  }
  if (type === 'escalated' && state.escalation) {
    return [stepDecision(state.escalation.stepId, message, at)];
  }
  if (type === 'tool-call-awaiting-approval' && stepId) {
    return pendingCalls(state)
      .filter((c) => c.stepId === stepId && !callsAsked.has(c.callId))
      .map((c) => toolCallApproval(c, at, callsAsked));
  }
  return [{ v, kind: 'note', type, at, message, ...(stepId ? { stepId } : {}) }];
}

/** The plan fields of a plan event: the version, its steps and what changed, for an adopted plan. */
function planFields(type: string, state: Readonly<RunState>) {
  if (type === 'plan-invalid' || !state.plan) return {};
  const version = state.plan.version;
  if (type !== 'plan-adopted') return { version };
  const entry = state.planHistory.find((h) => h.version === version);
  return {
    version,
    steps: state.plan.steps.map((s) => ({
      id: s.id,
      title: s.title,
      dependsOn: [...(s.dependsOn ?? [])],
      ...(s.tool !== undefined ? { tool: s.tool } : {}),
      ...(s.subgoal !== undefined ? { subgoal: true } : {}),
    })),
    ...(entry?.changes ? { changes: entry.changes } : {}),
  };
}

function planApproval(version: number, at: string): RunStreamEvent {
  return {
    v: EVENT_SCHEMA_VERSION,
    kind: 'waiting',
    asked: 'plan-approval',
    version,
    at,
    message: `plan v${version} awaits approval`,
    answers: [
      { message: 'approvePlan', args: { version } },
      { message: 'rejectPlan', args: { version, feedback: 'what to change' } },
    ],
  };
}

function stepDecision(stepId: string, message: string, at: string): RunStreamEvent {
  return {
    v: EVENT_SCHEMA_VERSION,
    kind: 'waiting',
    asked: 'step-decision',
    stepId,
    at,
    message,
    answers: ['retry', 'skip', 'replan', 'abort'].map((decision) => ({
      message: 'resolveEscalation',
      args: { stepId, decision },
    })),
  };
}

function toolCallApproval(call: PendingCall, at: string, callsAsked: Set<string>): RunStreamEvent {
  callsAsked.add(call.callId);
  return {
    v: EVENT_SCHEMA_VERSION,
    kind: 'waiting',
    asked: 'tool-call-approval',
    stepId: call.stepId,
    callId: call.callId,
    tool: call.tool,
    args: call.args,
    at,
    message: `${call.stepId} asks to call ${call.tool}`,
    answers: [
      { message: 'approveToolCall', args: { callId: call.callId } },
      { message: 'rejectToolCall', args: { callId: call.callId, reason: 'why not' } },
    ],
  };
}

/** The tool calls waiting for a person, where the run's state has them. */
function pendingCalls(state: Readonly<RunState>): PendingCall[] {
  return (state as { pendingCalls?: PendingCall[] }).pendingCalls ?? [];
}

/** A short preview of a step's output: a kept output's own preview, or the start of its JSON text. */
export function preview(output: unknown): string {
  const kept = output as { preview?: unknown; ref?: unknown };
  const text =
    typeof kept === 'object' && kept !== null && typeof kept.preview === 'string' && kept.ref !== undefined
      ? kept.preview
      : typeof output === 'string'
        ? output
        : (JSON.stringify(output) ?? '');
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
}

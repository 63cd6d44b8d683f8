/**
 * RunState: the live state of a run (the `state` query) and, once it ends, its RunResult.
 * Plain JSON only, so it crosses every durable boundary unchanged.
 */
import type { Json, Plan, PlanChanges, VersionedPlan } from './plan.js';

/** Where a run is. The last six are final. */
export const RUN_STATUSES = [
  'running',
  'awaiting-approval',
  'awaiting-decision',
  'completed',
  'partial',
  'failed',
  'rejected',
  'cancelled',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Where a step is. */
export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

/** The record of one step of the current plan. */
export interface StepState {
  id: string;
  title: string;
  status: StepStatus;
  attempts: number;
  output?: Json;
  error?: string;
  /** A sub-goal step's run: the child workflow (its own page in the Web UI, its own state query). */
  child?: { workflowId: string; runId: string };
}

/**
 * What model calls are estimated to cost: set by the model activities, which know the model and its price, and
 * only added up by the workflow. Usage recorded before costs were estimated has neither field.
 */
export interface CostFields {
  /** Estimated cost in US dollars of the calls whose model has a price (see `PLANWRIGHT_PRICES`). */
  cost?: number;
  /** Calls to a model without a price: their cost is not estimated, and not in `cost`. */
  unpricedCalls?: number;
}

/** Tokens and calls spent by a run so far, and their estimated cost. */
export interface Usage extends CostFields {
  llmCalls: number;
  inputTokens: number;
  outputTokens: number;
  toolCalls: number;
}

/** Kinds of entries in a run's trace. */
export type RunEventType =
  | 'run-started'
  | 'plan-proposed'
  | 'plan-invalid'
  | 'plan-adopted'
  | 'plan-approved'
  | 'plan-rejected'
  | 'signal-ignored'
  | 'step-started'
  | 'subgoal-started'
  | 'step-succeeded'
  | 'step-failed'
  | 'step-skipped'
  | 'step-checked'
  | 'tool-call-refused'
  | 'tool-call-awaiting-approval'
  | 'tool-call-approved'
  | 'tool-call-rejected'
  | 'fallback'
  | 'escalated'
  | 'escalation-resolved'
  | 'replanned'
  | 'goal-changed'
  | 'budget-spent'
  | 'continued-as-new'
  | 'run-finished';

/** One entry of a run's bounded trace. `at` is workflow time, ISO 8601. */
export interface RunEvent {
  type: RunEventType;
  stepId?: string;
  message: string;
  at: string;
}

/** A plan version the run adopted, with why, and what changed since the version before it. */
export interface PlanHistoryEntry {
  version: number;
  reason: string;
  steps: Plan['steps'];
  /** What changed since the previous version (absent for the first, and in runs started before 0.9.0). */
  changes?: PlanChanges;
}

/** The state of a run while it runs; the same shape is its result. */
export interface RunState {
  status: RunStatus;
  goal: string;
  answer?: string;
  plan?: VersionedPlan;
  planHistory: PlanHistoryEntry[];
  steps: StepState[];
  replans: number;
  usage: Usage;
  events: RunEvent[];
  failure?: { stepId?: string; message: string };
  /** Tool calls an open step's executor asked for that were refused before they ran (absent while none were). */
  refusedToolCalls?: number;
  /** The step a person is asked to decide about, while the status is `awaiting-decision`. */
  escalation?: { stepId: string; message: string };
  /**
   * Tool calls waiting for a person's approval before they run (the status is `awaiting-approval` while any
   * waits); absent when none waits. Each is answered on its own, with `approveToolCall` or `rejectToolCall`.
   */
  pendingCalls?: PendingCall[];
}

/** A tool call waiting for a person: what would run, with which arguments, for which step. */
export interface PendingCall {
  /** Names the call in `approveToolCall` and `rejectToolCall`. */
  callId: string;
  stepId: string;
  tool: string;
  args: Json;
  /** Why it waits: the tool asks for approval, or the run names it in `approveTools`. */
  reason: string;
  /** When it started waiting (workflow time, ISO 8601). */
  askedAt: string;
}

/** A person's approval of a waiting tool call, with the arguments to run it with instead, if they edited them. */
export interface ApproveToolCall {
  callId: string;
  args?: { [key: string]: Json };
}

/** A person's rejection of a waiting tool call, with why (the step fails with it, or its executor is told). */
export interface RejectToolCall {
  callId: string;
  reason: string;
}

/** What `planAndExecute` returns. */
export type RunResult = RunState;

/** A person's decision about an escalated step. */
export interface ResolveEscalation {
  stepId: string;
  decision: 'retry' | 'skip' | 'replan' | 'abort';
  note?: string;
}

/** Statuses after which a run does nothing more. */
export const FINAL_STATUSES: readonly RunStatus[] = ['completed', 'partial', 'failed', 'rejected', 'cancelled'];

/** At most this many events are kept; older ones are dropped first. */
export const MAX_EVENTS = 100;

/** At most this many plan versions are kept in `planHistory`; older ones are dropped first. */
export const MAX_PLAN_HISTORY = 10;

/** Longest event message, error or failure text kept in the state; longer ones are cut with a marker. */
export const MAX_TEXT = 2000;

/** Usage of nothing. */
export const NO_USAGE: Usage = Object.freeze({ llmCalls: 0, inputTokens: 0, outputTokens: 0, toolCalls: 0 });

/** Adds two usage records. */
export function addUsage(a: Usage, b: Partial<Usage>): Usage {
  return {
    llmCalls: a.llmCalls + (b.llmCalls ?? 0),
    inputTokens: a.inputTokens + (b.inputTokens ?? 0),
    outputTokens: a.outputTokens + (b.outputTokens ?? 0),
    toolCalls: a.toolCalls + (b.toolCalls ?? 0),
    ...addCost(a, b),
  };
}

/**
 * The cost fields of a sum: `cost` when either side has one (rounded to 1e-10 dollars, so sums stay tidy), and
 * `unpricedCalls` when either side has some; absent otherwise, as in usage recorded before costs were estimated.
 */
export function addCost(a: CostFields, b: CostFields): CostFields {
  const unpriced = (a.unpricedCalls ?? 0) + (b.unpricedCalls ?? 0);
  return {
    ...(a.cost !== undefined || b.cost !== undefined
      ? { cost: Math.round(((a.cost ?? 0) + (b.cost ?? 0)) * 1e10) / 1e10 }
      : {}),
    ...(unpriced > 0 ? { unpricedCalls: unpriced } : {}),
  };
}

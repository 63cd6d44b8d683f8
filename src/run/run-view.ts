/**
 * `RunView`: what a run knows, read-only — its `RunState`, the memory that crosses continue-as-new, and the
 * decisions people sent that the run has not acted on yet. `RunLedger` (ledger.ts) extends it with every
 * transition; phases read the view and call transitions.
 */
import type { Json, VersionedPlan } from '../contract/plan.js';
import type { ResolvedRunInput } from '../contract/run-input.js';
import type { PendingCall, ResolveEscalation, RunState } from '../contract/run-state.js';
import type { ToolSummary } from '../contract/tools.js';
import { budgetSpent, toolBudgetSpent } from './budget.js';
import type { RunMemory } from './state.js';

/** A person's answer to the plan awaiting approval. */
export interface ApprovalDecision {
  approved: boolean;
  feedback: string;
}

/** A person's answer to a tool call waiting for approval: run it (with edited arguments), or not, and why. */
export type CallAnswer = { approved: true; args?: { [key: string]: Json } } | { approved: false; reason: string };

/** The decisions people sent that the run has not acted on yet. */
export interface Inbox {
  approval?: ApprovalDecision;
  resolution?: ResolveEscalation;
  /** Answers to tool calls waiting for approval, by call id. */
  calls: Map<string, CallAnswer>;
}

/** What a run knows: its state and memory, read-only. */
export class RunView {
  /** The decisions people sent that the run has not acted on yet. */
  protected inbox: Inbox = { calls: new Map() };
  /** Steps that failed for good and still need a recovery, in the order they failed. */
  protected readonly attention: string[] = [];
  /** The final answer is being written: goal changes are refused from here on. */
  protected closingStarted = false;

  constructor(
    readonly input: ResolvedRunInput,
    /** Everything that crosses continue-as-new; `memory.state` is the run's state. */
    protected readonly memory: RunMemory,
  ) {}

  // ── reading ────────────────────────────────────────────────────────────────────────────────────────────

  /** The live state: the `state` query's answer and, once the run ends, its result. Read it; never write it. */
  get state(): Readonly<RunState> {
    return this.memory.state;
  }

  /** What crosses continue-as-new. */
  carried(): RunMemory {
    return this.memory;
  }

  /** What the run knows of the tools the worker offered at the start. */
  get tools(): ToolSummary[] {
    return this.memory.worker?.tools ?? [];
  }

  /** What the worker offered, once the run knows it. */
  get worker(): RunMemory['worker'] {
    return this.memory.worker;
  }

  /** A goal change people sent that the run has not acted on yet. */
  get goalChange(): RunMemory['goalChange'] {
    return this.memory.goalChange;
  }

  /** Under `review: 'every-step'`: the step after which the replanner is due, if it is. */
  get reviewAfter(): string | undefined {
    return this.memory.reviewAfter;
  }

  /** With a rolling horizon: the plan version after whose steps the replanner chose to add none. */
  get horizonReached(): number | undefined {
    return this.memory.horizonReached;
  }

  /** Whether open steps may use only the tools their step names (see `RunMemory.toolPermissions`). */
  get toolPermissions(): boolean {
    return this.memory.toolPermissions === true;
  }

  /** Step failures since the last success. */
  get failuresInARow(): number {
    return this.memory.failuresInARow;
  }

  /** Whether a person has already decided about this step. */
  escalated(id: string): boolean {
    return this.memory.escalated.includes(id);
  }

  /** Whether a failed step awaits recovery. */
  get needsAttention(): boolean {
    return this.attention.length > 0;
  }

  /** Whether the final answer is being written. */
  get closing(): boolean {
    return this.closingStarted;
  }

  /** The answer to the plan awaiting approval, once a person sent it. */
  get approval(): ApprovalDecision | undefined {
    return this.inbox.approval;
  }

  /** The decision about the escalated step, once a person sent it. */
  get resolution(): ResolveEscalation | undefined {
    return this.inbox.resolution;
  }

  /** The current plan. Called only once a plan has been adopted. */
  get plan(): VersionedPlan {
    return this.state.plan as VersionedPlan;
  }

  /** How many more times the run may replan. */
  replansLeft(): number {
    return this.input.maxReplans - this.state.replans;
  }

  /** Says why no further model call may be made (a spent budget), or undefined. */
  modelRefused(): string | undefined {
    return budgetSpent(this.state.usage, this.input.budget);
  }

  /** Says why no further tool call may be made (a spent tool-call budget), or undefined. */
  toolsRefused(): string | undefined {
    return toolBudgetSpent(this.state.usage, this.input.budget);
  }

  /** Tool calls the run's budget still allows, when it has a tool-call budget. */
  toolCallsLeft(): number | undefined {
    const limit = this.input.budget?.toolCalls;
    return limit === undefined ? undefined : Math.max(0, limit - this.state.usage.toolCalls);
  }

  /** Executor tool calls refused so far (outside a step's tools, beyond a cap, or misfit). */
  get refusedToolCalls(): number {
    return this.state.refusedToolCalls ?? 0;
  }

  /** Whether any step of the current plan has yet to run. */
  hasPending(): boolean {
    return this.state.steps.some((s) => s.status === 'pending');
  }

  /** The status of a step of the current plan, if it has one. */
  statusOf(id: string): RunState['steps'][number]['status'] | undefined {
    return this.state.steps.find((s) => s.id === id)?.status;
  }

  /** The tool call waiting for approval with this id, if one waits. */
  pendingCall(callId: string): PendingCall | undefined {
    return this.state.pendingCalls?.find((c) => c.callId === callId);
  }

  /** A person's answer to the tool call waiting with this id, once they sent it. */
  callAnswer(callId: string): CallAnswer | undefined {
    return this.inbox.calls.get(callId);
  }
}

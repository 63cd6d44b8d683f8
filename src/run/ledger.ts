/**
 * `RunLedger`: the one writer of a run's state. Everything a run knows — its `RunState` (the `state` query's
 * answer and, at the end, its result), the bookkeeping that crosses continue-as-new, and the decisions people
 * sent while it waits — changes only through the named transitions below. Phases read the ledger and call
 * transitions; they never assign into the state. It uses no Temporal API: the workflow's `Run` (workflows/run.ts)
 * adds how the state is shown to people, through `changed()`.
 */
import type { Json, Plan, VersionedPlan } from '../contract/plan.js';
import type { ResolvedRunInput } from '../contract/run-input.js';
import {
  addUsage,
  type ResolveEscalation,
  type RunEventType,
  type RunState,
  type RunStatus,
  type Usage,
} from '../contract/run-state.js';
import type { ToolSummary } from '../contract/tools.js';
import { budgetSpent, toolBudgetSpent } from './budget.js';
import { effectsOfSkip } from './recovery.js';
import { adoptPlan, cancelUnfinished, recordEvent, statusById, stepState, type RunMemory } from './state.js';

/** A person's answer to the plan awaiting approval. */
export interface ApprovalDecision {
  approved: boolean;
  feedback: string;
}

/** Why a run ended early or could not do something: the step (if any) and what went wrong. */
export interface Failure {
  stepId?: string;
  message: string;
}

/** What running a step (or one tool call) came to: the usage and attempts it took, and its output or error. */
export type StepOutcome = { usage: Partial<Usage>; attempts: number } & (
  { ok: true; output: Json } | { ok: false; error: string }
);

/** A step as the ledger records it: its id, and its title for the events. */
interface StepRef {
  id: string;
  title: string;
}

/** The run's state and every transition of it. */
export class RunLedger {
  /** The decisions people sent that the run has not acted on yet. */
  private inbox: { approval?: ApprovalDecision; resolution?: ResolveEscalation } = {};
  /** Steps that failed for good and still need a recovery, in the order they failed. */
  private readonly attention: string[] = [];
  /** The final answer is being written: goal changes are refused from here on. */
  private closingStarted = false;

  constructor(
    readonly input: ResolvedRunInput,
    /** Everything that crosses continue-as-new; `memory.state` is the run's state. */
    private readonly memory: RunMemory,
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

  // ── transitions: the run ───────────────────────────────────────────────────────────────────────────────

  /** Records an event that changes nothing else, and shows the state. */
  note(type: RunEventType, message: string, stepId?: string): void {
    recordEvent(this.memory.state, { type, message, at: new Date().toISOString(), ...(stepId ? { stepId } : {}) });
    this.changed();
  }

  /** Sets the run's status and shows it. */
  setStatus(status: RunStatus): void {
    this.memory.state.status = status;
    this.changed();
  }

  /** Adds usage to the run at once, so steps running side by side see each other's spending. */
  spend(usage: Partial<Usage>): void {
    this.memory.state.usage = addUsage(this.state.usage, usage);
  }

  /** Records why the run failed (or ends short), replacing what was recorded before. */
  fail(failure: Failure): void {
    this.memory.state.failure = failure;
  }

  /** Records why the run failed, unless a reason is recorded already. */
  failUnlessFailed(failure: Failure): void {
    this.memory.state.failure ??= failure;
  }

  /** Records the run's final answer. */
  answer(text: string): void {
    this.memory.state.answer = text;
  }

  /** The final answer is being written: from here on, goal changes are refused. */
  startClosing(): void {
    this.closingStarted = true;
  }

  /** Marks every step that has not finished (pending or running) as cancelled, saying why. */
  cancelUnfinished(why: string): void {
    cancelUnfinished(this.memory.state, why);
  }

  /** Ends the run with this status: unfinished steps are cancelled, and the end is recorded and shown. */
  end(status: RunStatus): void {
    const { state } = this.memory;
    cancelUnfinished(state, `not run: the run ended ${status}`);
    state.status = status;
    this.note('run-finished', `run ${status}${state.failure ? `: ${state.failure.message}` : ''}`);
  }

  // ── transitions: planning ──────────────────────────────────────────────────────────────────────────────

  /** From now on, open steps may use only the tools their step names. */
  permitToolsPerStep(): void {
    this.memory.toolPermissions = true;
  }

  /** Keeps what the worker offers (tools, registered search attributes). */
  workerDescribed(worker: NonNullable<RunMemory['worker']>): void {
    this.memory.worker = worker;
  }

  /**
   * Makes `plan` the current plan as the next version, keeping every finished step it carries over.
   * @returns the new version.
   */
  adopt(plan: Plan, reason: string): number {
    const version = (this.state.plan?.version ?? 0) + 1;
    adoptPlan(this.memory.state, { ...plan, version }, reason);
    return version;
  }

  /** Counts one replan. */
  countReplan(): void {
    this.memory.state.replans++;
  }

  /** With a rolling horizon: the replanner added no steps after this plan version. */
  reachedHorizon(version: number): void {
    this.memory.horizonReached = version;
  }

  /**
   * Takes the review that is due (under `review: 'every-step'`).
   * @returns the step after which it was due.
   */
  takeReview(): string | undefined {
    const after = this.memory.reviewAfter;
    this.memory.reviewAfter = undefined;
    return after;
  }

  // ── transitions: people ────────────────────────────────────────────────────────────────────────────────

  /** A person asked to change the goal (acted on by the run loop). */
  goalChangeRequested(goal: string, reason?: string): void {
    this.memory.goalChange = { goal: goal.trim(), ...(reason ? { reason } : {}) };
  }

  /**
   * Makes the pending goal change the run's goal.
   * @returns the reason to give the planner.
   */
  applyGoalChange(): string {
    const change = this.memory.goalChange as NonNullable<RunMemory['goalChange']>;
    this.memory.goalChange = undefined;
    const reason = `the goal changed to "${change.goal}"${change.reason ? ` (${change.reason})` : ''}`;
    this.memory.state.goal = change.goal;
    this.note('goal-changed', reason);
    return reason;
  }

  /** The run waits for a person to approve the current plan. */
  approvalAsked(): void {
    this.inbox.approval = undefined;
    this.setStatus('awaiting-approval');
  }

  /** A person approved or rejected the plan awaiting approval. */
  approvalReceived(decision: ApprovalDecision): void {
    this.inbox.approval = decision;
  }

  /** A person decided about the escalated step. */
  resolutionReceived(decision: ResolveEscalation): void {
    this.inbox.resolution = decision;
  }

  /** The run asks a person to decide about a failed step, and waits. */
  escalationAsked(id: string, message: string): void {
    this.inbox.resolution = undefined;
    this.memory.state.escalation = { stepId: id, message };
    this.setStatus('awaiting-decision');
    this.note('escalated', `step ${id} needs a decision: ${message}`, id);
  }

  /** The wait for a decision about a step is over (decided or not): it is not asked about again. */
  escalationClosed(id: string): void {
    delete this.memory.state.escalation;
    this.memory.escalated.push(id);
    this.setStatus('running');
  }

  // ── transitions: steps ─────────────────────────────────────────────────────────────────────────────────

  /** A step starts running. */
  stepStarted(step: StepRef, position: string): void {
    stepState(this.memory.state, step.id).status = 'running';
    this.note('step-started', `${position} ${step.title}`, step.id);
  }

  /** A sub-goal step's child run has started. */
  subgoalStarted(id: string, child: { workflowId: string; runId: string }, position: string): void {
    stepState(this.memory.state, id).child = child;
    this.note('subgoal-started', `${position} runs as sub-goal run ${child.workflowId}`, id);
  }

  /** A step's tool failed; its fallback tool is tried next. */
  fallbackTried(id: string, failed: StepOutcome & { ok: false }, fallbackTool: string): void {
    this.spend(failed.usage);
    stepState(this.memory.state, id).attempts += failed.attempts;
    this.note('fallback', `${id} failed (${failed.error}); trying fallback tool ${fallbackTool}`, id);
  }

  /** A step ended, succeeded or failed for good; a failure is queued for recovery. */
  stepEnded(step: StepRef, position: string, outcome: StepOutcome): void {
    const { memory } = this;
    const record = stepState(memory.state, step.id);
    this.spend(outcome.usage);
    record.attempts += outcome.attempts;
    if (outcome.ok) {
      record.status = 'succeeded';
      record.output = outcome.output;
      memory.failuresInARow = 0;
      if (this.input.review === 'every-step') memory.reviewAfter = step.id;
      this.note('step-succeeded', `${position} ${step.title} succeeded`, step.id);
    } else {
      record.status = 'failed';
      record.error = outcome.error;
      memory.failuresInARow++;
      this.attention.push(step.id);
      this.note('step-failed', `${position} ${step.title} failed: ${outcome.error}`, step.id);
    }
  }

  /** A tool call an open step's executor asked for was refused before it ran: recorded and counted. */
  toolCallRefused(stepId: string, call: { tool: string; args: Json }, reason: string): void {
    this.memory.state.refusedToolCalls = this.refusedToolCalls + 1;
    const args = JSON.stringify(call.args) ?? '';
    const shown = args.length > 200 ? `${args.slice(0, 200)}…` : args;
    this.note('tool-call-refused', `${stepId} asked for ${call.tool} ${shown}: refused, ${reason}`, stepId);
  }

  /** Takes the next failed step that awaits recovery. */
  takeFailed(): string {
    return this.attention.shift() as string;
  }

  /**
   * Skips a step and the non-critical steps that depend on it.
   * @returns the critical steps that depend on it (they can never run).
   */
  skip(id: string, why: string): string[] {
    const { state } = this.memory;
    stepState(state, id).status = 'skipped';
    this.note('step-skipped', `${id} skipped: ${why}`, id);
    const { skip, blocked } = effectsOfSkip(this.plan.steps, id, statusById(state));
    for (const other of skip) {
      Object.assign(stepState(state, other), { status: 'skipped', error: `depends on skipped step "${id}"` });
      this.note('step-skipped', `${other} skipped: it depends on "${id}"`, other);
    }
    return blocked;
  }

  /** Sets a failed step back to pending, so the scheduler runs it again. */
  retry(id: string): void {
    const record = stepState(this.memory.state, id);
    record.status = 'pending';
    delete record.error;
  }

  /** Shows the state to people after a change; the workflow's `Run` publishes it (a pure ledger shows nothing). */
  protected changed(): void {}
}

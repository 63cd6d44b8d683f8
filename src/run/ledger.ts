/**
 * `RunLedger`: the one writer of a run's state. Everything a run knows — its `RunState` (the `state` query's
 * answer and, at the end, its result), the bookkeeping that crosses continue-as-new, and the decisions people
 * sent while it waits — changes only through the named transitions below. Phases read the ledger and call
 * transitions; they never assign into the state. What the run knows is read through `RunView` (run-view.ts), which
 * the ledger extends. It uses no Temporal API: the workflow's `Run` (workflows/run.ts) adds how the state is shown to
 * people, through `changed()`.
 */
import type { Json, Plan } from '../contract/plan.js';
import {
  addUsage,
  type ResolveEscalation,
  type RunEventType,
  type RunStatus,
  type Usage,
} from '../contract/run-state.js';
import { effectsOfSkip } from './recovery.js';
import { preview } from './admission.js';
import { RunView, type ApprovalDecision, type CallAnswer } from './run-view.js';
import { adoptPlan, cancelUnfinished, recordEvent, statusById, stepState, type RunMemory } from './state.js';

export type { ApprovalDecision, CallAnswer } from './run-view.js';

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
export class RunLedger extends RunView {
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
    delete state.pendingCalls;
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
    this.note(
      'tool-call-refused',
      `${stepId} asked for ${call.tool} ${preview(call.args)}: refused, ${reason}`,
      stepId,
    );
  }

  /**
   * A tool call waits for a person's approval before it runs: shown in `pendingCalls`, and the run is
   * `awaiting-approval` while any call waits.
   * @returns the call's id, which people answer with.
   */
  toolCallAwaitingApproval(call: { stepId: string; tool: string; args: Json }, reason: string): string {
    const { memory } = this;
    memory.toolCallsAsked = (memory.toolCallsAsked ?? 0) + 1;
    const callId = `${call.stepId}-call-${memory.toolCallsAsked}`;
    const pending = { callId, ...call, reason, askedAt: new Date().toISOString() };
    memory.state.pendingCalls = [...(memory.state.pendingCalls ?? []), pending];
    memory.state.status = 'awaiting-approval';
    this.note(
      'tool-call-awaiting-approval',
      `${call.stepId} waits for approval of ${call.tool} ${preview(call.args)} (call ${callId}): ${reason}`,
      call.stepId,
    );
    return callId;
  }

  /** A person answered a tool call waiting for approval (acted on by the step that waits). */
  toolCallAnswered(callId: string, answer: CallAnswer): void {
    this.inbox.calls.set(callId, answer);
  }

  /** The wait for a tool call is over, approved or rejected (or not answered in time), and why. */
  toolCallDecided(callId: string, answer: CallAnswer): void {
    const { state } = this.memory;
    const call = this.pendingCall(callId);
    this.inbox.calls.delete(callId);
    const left = (state.pendingCalls ?? []).filter((c) => c.callId !== callId);
    if (left.length > 0) state.pendingCalls = left;
    else {
      delete state.pendingCalls;
      if (state.status === 'awaiting-approval') state.status = 'running';
    }
    const what = `${call?.tool ?? 'the tool'} call ${callId}`;
    if (answer.approved) {
      const edited = answer.args ? ` with edited arguments ${preview(answer.args)}` : '';
      this.note('tool-call-approved', `${what} approved${edited}`, call?.stepId);
    } else this.note('tool-call-rejected', `${what} rejected: ${answer.reason}`, call?.stepId);
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

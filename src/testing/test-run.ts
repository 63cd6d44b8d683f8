/**
 * A run under test: wait for a status, send people's decisions (as updates or signals), read the result.
 */
import { Client, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { StreamItem } from '../stream/events.js';
import { followRun, type FollowOptions } from '../stream/follow.js';
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import type { RunInput } from '../contract/run-input.js';
import { FINAL_STATUSES, type RunResult, type RunState, type RunStatus } from '../contract/run-state.js';
import { runResult } from '../run-result.js';
import type { planAndExecute } from '../../workflows/index.js';
import * as messages from '../../workflows/messages.js';
import type { TestClock } from './clock.js';

/**
 * How a decision is sent: as an update (the default: the call fails at once, with the run's reason, when the
 * run cannot take the decision, and answers with the status after it took effect) or as a signal (fire and
 * forget; a refused signal is recorded in the run's events).
 */
export type Via = 'update' | 'signal';

/** A status to wait for, or a condition on the run's live state. */
export type WaitTarget = RunStatus | ((state: RunState) => boolean);

/**
 * Thrown by a decision sent as an update that the run refused; the message is the run's reason.
 * @example
 * await expect(run.approve({ version: 7 })).rejects.toThrow('plan v7 is not the plan awaiting approval');
 */
export class DecisionRefusedError extends Error {
  override readonly name = 'DecisionRefusedError';
}

/**
 * Thrown by {@link TestRun.waitFor} when the run ends, or time runs out, before it reaches what was awaited;
 * `state` is the run's state then.
 * @example
 * const err = await run.waitFor('awaiting-approval').catch((e: WaitError) => e);
 * console.log(err.state.events.at(-1)?.message);
 */
export class WaitError extends Error {
  override readonly name = 'WaitError';
  constructor(
    message: string,
    /** The run's state when waiting stopped. */
    readonly state: RunState,
  ) {
    super(message);
  }
}

const ENDED: ReadonlySet<RunStatus> = new Set(FINAL_STATUSES);

/** A run started by a test kit. */
export class TestRun {
  constructor(
    /**
     * The Temporal handle, typed by the workflow function: `handle.query`, `handle.describe`, `handle.cancel`…
     * Wait with {@link TestRun.result}, not `handle.result()`: that one lets the time-skipping server skip past
     * the run's end.
     */
    readonly handle: WorkflowHandle<typeof planAndExecute>,
    /** The input the run was started with. */
    readonly input: RunInput,
    /** Rejects when the kit's worker stopped, so that nothing waits for a run no worker runs. */
    private readonly workerFailure: Promise<never>,
    /** The kit's clock on a time-skipping server; none elsewhere. */
    private readonly clock?: TestClock,
  ) {}

  /** The run's workflow id. */
  get workflowId(): string {
    return this.handle.workflowId;
  }

  /**
   * The run's stream as it happens (see `followRun`): every event and piece of the answer once, in order, until
   * the run ends.
   * @example for await (const item of run.events({ topics: ['events'] })) console.log(item.offset, item.event.kind);
   */
  events(options: FollowOptions = {}): AsyncGenerator<StreamItem, void, undefined> {
    const { connection, options: settings } = this.handle.client;
    const client = new Client({ connection, namespace: settings.namespace, dataConverter: settings.dataConverter });
    return followRun(client, this.workflowId, options);
  }

  /** The run's live state (the `state` query). */
  state(): Promise<RunState> {
    return this.guarded(this.handle.query(messages.stateQuery));
  }

  /**
   * Waits until the run is in `status` (or `awaited(state)` holds), polling its state, and returns that state.
   * On the time-skipping server, time does not skip while a test waits this way.
   * @throws {WaitError} when the run ends in another status first, or after `timeoutMs` (default 30 s) of real time.
   * @example
   * const waiting = await run.waitFor('awaiting-approval');
   * await run.waitFor((s) => s.steps.some((step) => step.status === 'running'));
   */
  async waitFor(awaited: WaitTarget, options: { timeoutMs?: number } = {}): Promise<RunState> {
    const reached = typeof awaited === 'function' ? awaited : (s: RunState) => s.status === awaited;
    const what = typeof awaited === 'function' ? 'the awaited condition' : `status "${awaited}"`;
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    let last: RunState | undefined;
    for (;;) {
      last = await this.state();
      if (reached(last)) return last;
      if (ENDED.has(last.status)) {
        throw new WaitError(`the run ended ${last.status} before reaching ${what}${failureOf(last)}`, last);
      }
      if (Date.now() > deadline) {
        throw new WaitError(
          `the run did not reach ${what} within ${options.timeoutMs ?? 30_000} ms; it is ${last.status}` +
            ` (last event: ${last.events.at(-1)?.message ?? 'none'})`,
          last,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * Approves the plan awaiting approval (by default the current plan's version).
   * @returns the run's status once the approval took effect (updates); undefined for signals.
   * @throws {DecisionRefusedError} when the run refuses the update (no plan awaits approval, stale version).
   * @example await run.approve();
   */
  async approve(options: { version?: number; via?: Via } = {}): Promise<RunStatus | undefined> {
    const version = options.version ?? (await this.planVersion());
    return this.decide(options.via, messages.approvePlanUpdate, messages.approvePlanSignal, { version });
  }

  /**
   * Rejects the plan awaiting approval; the feedback goes back to the planner, which revises the plan.
   * @throws {DecisionRefusedError} when the run refuses the update.
   * @example await run.reject('Count urgent tickets only.');
   */
  async reject(feedback: string, options: { version?: number; via?: Via } = {}): Promise<RunStatus | undefined> {
    const version = options.version ?? (await this.planVersion());
    return this.decide(options.via, messages.rejectPlanUpdate, messages.rejectPlanSignal, { version, feedback });
  }

  /**
   * Changes the run's goal: finished work is kept and the run replans for the new goal.
   * @throws {DecisionRefusedError} when the run refuses the update (it has ended, or the goal is empty).
   * @example await run.changeGoal('Only enterprise customers', { reason: 'scope changed' });
   */
  changeGoal(goal: string, options: { reason?: string; via?: Via } = {}): Promise<RunStatus | undefined> {
    const reason = options.reason === undefined ? {} : { reason: options.reason };
    return this.decide(options.via, messages.changeGoalUpdate, messages.changeGoalSignal, { goal, ...reason });
  }

  /**
   * Decides about a step that was escalated to a person (`escalation: 'human'`).
   * @throws {DecisionRefusedError} when the run refuses the update (that step is not awaiting a decision).
   * @example await run.resolve('fetch', 'skip', { note: 'the archive is gone' });
   */
  resolve(
    stepId: string,
    decision: messages.ResolveEscalation['decision'],
    options: { note?: string; via?: Via } = {},
  ): Promise<RunStatus | undefined> {
    const note = options.note === undefined ? {} : { note: options.note };
    return this.decide(options.via, messages.resolveEscalationUpdate, messages.resolveEscalationSignal, {
      stepId,
      decision,
      ...note,
    });
  }

  /**
   * Approves a tool call waiting for approval: `callId` (by default the one call that waits), with edited `args`
   * if given (checked against the tool's input schema).
   * @returns the run's status once the call was let through (updates); undefined for signals.
   * @throws {DecisionRefusedError} when the run refuses it (no such call waits, the arguments do not fit).
   * @example
   * const waiting = await run.waitFor('awaiting-approval');
   * await run.approveCall({ args: { ...waiting.pendingCalls?.[0]?.args, to: 'team@example.com' } });
   */
  async approveCall(
    options: { callId?: string; args?: messages.ApproveToolCall['args']; via?: Via } = {},
  ): Promise<RunStatus | undefined> {
    const callId = options.callId ?? (await this.waitingCall());
    const args = options.args === undefined ? {} : { args: options.args };
    return this.decide(options.via, messages.approveToolCallUpdate, messages.approveToolCallSignal, {
      callId,
      ...args,
    });
  }

  /**
   * Rejects a tool call waiting for approval (by default the one call that waits): its step fails with the
   * reason and recovery takes over; an open step's executor is told, and may try another way.
   * @throws {DecisionRefusedError} when the run refuses it (no such call waits).
   * @example await run.rejectCall('Not to customers.');
   */
  async rejectCall(reason: string, options: { callId?: string; via?: Via } = {}): Promise<RunStatus | undefined> {
    const callId = options.callId ?? (await this.waitingCall());
    return this.decide(options.via, messages.rejectToolCallUpdate, messages.rejectToolCallSignal, { callId, reason });
  }

  /**
   * Waits for the run to end and returns its RunResult, whatever status it ended with (a failed or rejected
   * run's result comes from its failure, a cancelled run's from its state). On the time-skipping server,
   * time skips while this waits to the timers the run waits on (a 24 h approval timeout passes at once), and
   * no further: the next run starts at the time this one ended.
   * @throws {WorkflowFailedError} when the run ended otherwise (invalid input, terminated).
   * @example expect((await run.result()).status).toBe('completed');
   */
  result(): Promise<RunResult> {
    const { clock } = this;
    if (!clock) return this.guarded(runResult(this.handle));
    return clock.during(this.workflowId, this.guarded(runResult(clock.handle(this.handle))));
  }

  /** Cancels the run; its result then has status `cancelled` and keeps what was done. */
  cancel(): Promise<void> {
    return this.guarded(this.handle.cancel().then(() => undefined));
  }

  /** The id of the one tool call that waits for approval. */
  private async waitingCall(): Promise<string> {
    const { pendingCalls = [], status } = await this.state();
    const [only, ...others] = pendingCalls;
    if (!only) throw new DecisionRefusedError(`no tool call is waiting for approval (the run is ${status})`);
    if (others.length > 0) {
      const ids = pendingCalls.map((c) => c.callId).join(', ');
      throw new DecisionRefusedError(`${pendingCalls.length} tool calls are waiting (${ids}): say which, with callId`);
    }
    return only.callId;
  }

  private async planVersion(): Promise<number> {
    const { plan, status } = await this.state();
    if (!plan) throw new DecisionRefusedError(`the run has no plan yet (it is ${status}); wait for one first`);
    return plan.version;
  }

  private async decide<A>(
    via: Via = 'update',
    update: UpdateDefinition<RunStatus, [A]>,
    signal: SignalDefinition<[A]>,
    arg: A,
  ): Promise<RunStatus | undefined> {
    if (via === 'signal') {
      await this.guarded(this.handle.signal(signal, arg));
      return undefined;
    }
    try {
      return await this.guarded(this.handle.executeUpdate(update, { args: [arg] }));
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause) {
        throw new DecisionRefusedError(err.cause.message, { cause: err });
      }
      throw err;
    }
  }

  private guarded<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.workerFailure]);
  }
}

function failureOf(state: RunState): string {
  return state.failure ? `: ${state.failure.message}` : '';
}

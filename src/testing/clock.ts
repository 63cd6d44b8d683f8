/**
 * The kit's clock on the time-skipping server. Temporal's test client unlocks time skipping for as long as it
 * waits for a result, and the server keeps the timeout timers of every activity it scheduled after the activity
 * ended (and a failed run's run timeout after the run): start-to-close, heartbeat, schedule-to-start and
 * schedule-to-close, the last two ten years away unless set (they default to the run timeout, which defaults to
 * ten years). Between a run's end and the client locking time again, the server skips through them: ten
 * seconds, five minutes or ten years, wherever it is when the lock comes. The kit keeps time locked instead (it
 * then goes on at the wall clock's pace) and, while a test waits for a run that waits on nothing but a timer,
 * has the server skip to that timer and lock time again there, so that nothing else moves it.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { WorkflowClient, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { waitingOn, waitingOnAll, type Waiting } from './waiting.js';

/** How often a test that waits looks again at a run the server is busy with. */
const POLL_MS = 20;

const BUSY: Waiting = { busy: true };

/** Lets time pass on a time-skipping server only as far as the runs that tests wait for need it to. */
export class TestClock {
  private readonly client: WorkflowClient;

  constructor(private readonly env: TestWorkflowEnvironment) {
    this.client = new WorkflowClient({ connection: env.connection, namespace: env.namespace ?? 'default' });
  }

  /** A handle on the same run whose `result()` leaves time skipping alone (the environment's client unlocks it). */
  handle(of: WorkflowHandle | WorkflowHandleWithFirstExecutionRunId): WorkflowHandle {
    const firstExecutionRunId = 'firstExecutionRunId' in of ? of.firstExecutionRunId : undefined;
    return this.client.getHandle(of.workflowId, undefined, firstExecutionRunId ? { firstExecutionRunId } : {});
  }

  /**
   * Settles as `outcome` does. Meanwhile, whenever run `workflowId` (with the child runs it waits on) waits on
   * nothing but timers and activities' next attempts, time skips to the first of them, and stops there.
   * @example const result = await clock.during(handle.workflowId, clock.handle(handle).result());
   */
  async during<T>(workflowId: string, outcome: Promise<T>): Promise<T> {
    let done = false;
    const settled = outcome.then(
      () => void (done = true),
      () => void (done = true),
    );
    while (!done) {
      // A run that cannot be read now (it is starting, or continuing as new) counts as busy.
      const waiting = await this.waitingOf(workflowId).catch(() => BUSY);
      if (done) break;
      if (!waiting.busy && waiting.until !== undefined) await this.skipTo(waiting.until, settled);
      else await Promise.race([settled, delay(POLL_MS)]);
    }
    return outcome;
  }

  /** What the run (the latest of `workflowId`, or `runId`) and the child runs it waits on wait on. */
  private async waitingOf(workflowId: string, runId?: string): Promise<Waiting> {
    const description = await this.client.getHandle(workflowId, runId).describe();
    const events = (await this.client.getHandle(workflowId, description.runId).fetchHistory()).events ?? [];
    // Read together only if no event came between the description and the history.
    if (events.length !== description.historyLength) return BUSY;
    const { pendingActivities, pendingChildren } = description.raw;
    const own = waitingOn(events, pendingActivities ?? [], await this.env.currentTimeMs());
    if (own.busy) return own;
    const children = await Promise.all(
      (pendingChildren ?? []).map((child) =>
        child.workflowId && child.runId ? this.waitingOf(child.workflowId, child.runId) : BUSY,
      ),
    );
    return waitingOnAll([own, ...children]);
  }

  /**
   * Has the server skip to `until` and lock time again there. If the run ends before (something else woke it),
   * time is locked at once, and the lock the server then takes at `until` is given back when it does.
   */
  private async skipTo(until: number, settled: Promise<void>): Promise<void> {
    const testService = this.env.connection.testService;
    if (!testService) throw new TypeError('the test clock needs a time-skipping server');
    const now = await this.env.currentTimeMs();
    const reached = this.env.sleep(Math.max(1, until - now)); // unlocks time; the server locks it again at `until`
    const first = await Promise.race([reached.then(() => 'reached'), settled.then(() => 'settled')]);
    if (first === 'reached') return;
    await testService.lockTimeSkipping({});
    reached.then(() => testService.unlockTimeSkipping({})).catch(() => {});
  }
}

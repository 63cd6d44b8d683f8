/**
 * What a run waits on, read from its history and from the server's description of it: whether the server is
 * working on it (a workflow task or an activity attempt is open), and if not, the earliest time it wakes up by
 * itself (a timer fires, a failed activity is tried again). A pure function of what the server said, so that the
 * test clock can let time skip to that moment and no further.
 */
import type { WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';

/** A history event, as the client reads it. */
export type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

/** An activity the server has not closed yet, as `describe()` reports it. */
export type PendingActivity = NonNullable<WorkflowExecutionDescription['raw']['pendingActivities']>[number];

/**
 * What a run waits on: the server is busy with it (a task is open, or the run has just ended), or it is idle until
 * `until` (server time, in milliseconds), or idle with nothing of its own to wake it (only a signal or an update
 * can, so `until` is absent).
 */
export type Waiting = { busy: true } | { busy: false; until?: number };

/** A protobuf Timestamp or Duration, whose seconds may be a Long. */
interface ProtoTime {
  seconds?: { toNumber(): number } | number | null;
  nanos?: number | null;
}

const BUSY: Waiting = { busy: true };

/**
 * What a run waits on, from its history and its pending activities, both read when the history had exactly
 * `events.length` events (see the test clock for how it makes sure of that).
 * @example waitingOn(history.events, description.raw.pendingActivities, await env.currentTimeMs())
 */
export function waitingOn(events: readonly HistoryEvent[], pending: readonly PendingActivity[], now: number): Waiting {
  if (events.length === 0 || taskOpen(events) || ended(events)) return BUSY;
  const wakes = openTimers(events);
  for (const activity of pending) {
    const next = nextAttemptAt(activity, events);
    // Running, or about to run: the server holds time still until the attempt ends.
    if (next === undefined || next <= now) return BUSY;
    wakes.push(next);
  }
  return idleUntil(wakes);
}

/** What a run and the child runs it waits on wait on together: busy if any is, else until the first wakes up. */
export function waitingOnAll(waits: readonly Waiting[]): Waiting {
  const wakes: number[] = [];
  for (const waiting of waits) {
    if (waiting.busy) return BUSY;
    if (waiting.until !== undefined) wakes.push(waiting.until);
  }
  return idleUntil(wakes);
}

function idleUntil(wakes: readonly number[]): Waiting {
  return wakes.length === 0 ? { busy: false } : { busy: false, until: Math.min(...wakes) };
}

/** Whether a workflow task was scheduled and has not completed, failed or timed out since. */
function taskOpen(events: readonly HistoryEvent[]): boolean {
  let open = false;
  for (const event of events) {
    if (event.workflowTaskScheduledEventAttributes) open = true;
    if (
      event.workflowTaskCompletedEventAttributes ||
      event.workflowTaskFailedEventAttributes ||
      event.workflowTaskTimedOutEventAttributes
    ) {
      open = false;
    }
  }
  return open;
}

/** Whether the history ends with the run's close. */
function ended(events: readonly HistoryEvent[]): boolean {
  const last = events.at(-1);
  return Boolean(
    last?.workflowExecutionCompletedEventAttributes ||
    last?.workflowExecutionFailedEventAttributes ||
    last?.workflowExecutionTimedOutEventAttributes ||
    last?.workflowExecutionCanceledEventAttributes ||
    last?.workflowExecutionTerminatedEventAttributes ||
    last?.workflowExecutionContinuedAsNewEventAttributes,
  );
}

/** When each timer started and neither fired nor cancelled fires. */
function openTimers(events: readonly HistoryEvent[]): number[] {
  const open = new Map<string, number>();
  for (const event of events) {
    const started = event.timerStartedEventAttributes;
    if (started) open.set(String(event.eventId), millis(event.eventTime) + millis(started.startToFireTimeout));
    const closed = event.timerFiredEventAttributes ?? event.timerCanceledEventAttributes;
    if (closed) open.delete(String(closed.startedEventId));
  }
  return [...open.values()];
}

/**
 * When a pending activity is tried again, if it is waiting out the backoff after a failed attempt; undefined when
 * an attempt is scheduled for the first time or running. The server waits the failure's `nextRetryDelay`, else
 * the retry policy's interval for the attempt that failed.
 */
function nextAttemptAt(activity: PendingActivity, events: readonly HistoryEvent[]): number | undefined {
  if (!activity.lastAttemptCompleteTime) return undefined;
  const failedAt = millis(activity.lastAttemptCompleteTime);
  if (activity.lastStartedTime && millis(activity.lastStartedTime) > failedAt) return undefined;
  const delay = activity.lastFailure?.applicationFailureInfo?.nextRetryDelay;
  if (delay) return failedAt + millis(delay);
  const scheduled = events
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityId === activity.activityId)
    .at(-1)?.activityTaskScheduledEventAttributes;
  if (!scheduled) return undefined;
  const policy = scheduled.retryPolicy ?? {};
  const initial = policy.initialInterval ? millis(policy.initialInterval) : 1000;
  const maximum = policy.maximumInterval ? millis(policy.maximumInterval) : 100 * initial;
  const failedAttempt = Math.max(1, (activity.attempt ?? 2) - 1);
  const interval = initial * (policy.backoffCoefficient || 2) ** (failedAttempt - 1);
  return failedAt + Math.min(interval, maximum);
}

/** Milliseconds of a protobuf Timestamp or Duration; 0 when absent. */
function millis(time: ProtoTime | null | undefined): number {
  if (!time) return 0;
  const seconds = typeof time.seconds === 'number' ? time.seconds : (time.seconds?.toNumber() ?? 0);
  return seconds * 1000 + Math.floor((time.nanos ?? 0) / 1e6);
}

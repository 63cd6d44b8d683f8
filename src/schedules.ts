/**
 * Recurring goals: a Temporal Schedule that starts a planwright run (`planAndExecute`) on a cron or an interval.
 * Each occurrence is an ordinary run whose input was checked when the schedule was made. Schedules turn the plan
 * cache on by default, so the first occurrence plans and later ones reuse its plan until it expires (in workflow
 * time), without a planner call.
 */
import type { Client, ScheduleDescription, ScheduleHandle, ScheduleOverlapPolicy } from '@temporalio/client';
import { msToNumber, type Duration } from '@temporalio/common/lib/time.js';
import { parseRunInput, type ResolvedRunInput, type RunInput } from './contract/run-input.js';
import { DEFAULT_TASK_QUEUE } from './temporal/connection.js';
import type { planAndExecute } from '../workflows/index.js';
import { WORKFLOW_TYPE } from '../workflows/messages.js';

/** What to do when an occurrence is due while the previous run still runs (Temporal's overlap policies). */
export const OVERLAP_POLICIES = [
  'skip',
  'buffer-one',
  'buffer-all',
  'cancel-other',
  'terminate-other',
  'allow-all',
] as const;

/** One of {@link OVERLAP_POLICIES}; `skip` (the default) starts nothing while a run of the schedule runs. */
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

/** When a schedule's runs start: cron expressions, an interval, or both (the union of their times). */
export interface RunScheduleSpec {
  /** Cron expressions, e.g. `0 9 * * MON` (Mondays at 9:00 in `timezone`). */
  cron?: string[];
  /** A run every this long ('1h', '7d' or milliseconds), counted from the Unix epoch plus `offset`. */
  every?: Duration;
  /** Shifts the interval's times, e.g. every '1d' with offset '9h' is 09:00 UTC daily. */
  offset?: Duration;
  /** IANA time zone of the cron expressions (default UTC). */
  timezone?: string;
}

/** How to make a schedule of runs. */
export interface RunScheduleOptions {
  /** Names the schedule; its runs get workflow ids `<scheduleId>-<time>`. */
  scheduleId: string;
  spec: RunScheduleSpec;
  /** The input of every run; `planCache` defaults to `true` here (see the module comment). */
  runInput: RunInput;
  /** Task queue of the runs (default `planwright`). */
  taskQueue?: string;
  /** Default `skip`. */
  overlap?: OverlapPolicy;
  /** Each run starts up to this much later than its time, at random, to spread load ('5m'). */
  jitter?: Duration;
  /** Create the schedule paused, with `note` saying why. */
  paused?: boolean;
  /** A note kept with the schedule's state (why it is paused, say). */
  note?: string;
}

/** A run a schedule started. */
export interface ScheduledRun {
  workflowId: string;
  runId: string;
  /** When it was due (jitter included) and when it started, ISO 8601; absent for runs still running. */
  scheduledAt?: string;
  startedAt?: string;
}

/** A schedule of planwright runs, as plain JSON. */
export interface RunScheduleDescription {
  scheduleId: string;
  goal: string;
  /** The input every run starts with. */
  runInput: ResolvedRunInput;
  taskQueue: string;
  spec: {
    /** Cron expressions as they were written (empty for a schedule made without planwright). */
    cron: string[];
    /** How many calendar specs Temporal holds (one per cron expression, or made otherwise). */
    calendars: number;
    every: Array<{ everyMs: number; offsetMs: number }>;
    timezone?: string;
    jitterMs?: number;
  };
  overlap: OverlapPolicy;
  paused: boolean;
  note?: string;
  /** The next times a run is due, ISO 8601 (none while paused). */
  nextRuns: string[];
  /** The latest runs it started (manual triggers included), oldest first. */
  recentRuns: ScheduledRun[];
  /** Its runs that are running now. */
  runningRuns: ScheduledRun[];
  runsStarted: number;
  /** Occurrences skipped because a run was still running (overlap `skip`). */
  skippedByOverlap: number;
  createdAt: string;
}

/** Thrown when schedule options cannot make a schedule; the message says which and why. */
export class InvalidScheduleError extends Error {
  override readonly name = 'InvalidScheduleError';
}

/** Thrown when a schedule exists but starts something other than planwright runs. */
export class NotARunScheduleError extends Error {
  override readonly name = 'NotARunScheduleError';
  constructor(readonly scheduleId: string) {
    super(`schedule ${scheduleId} does not start planwright runs (its action is not ${WORKFLOW_TYPE}); leave it alone`);
  }
}

/**
 * The input a schedule's runs get: checked like any run's input, with the plan cache on unless it is set.
 * @throws {InvalidRunInputError} naming every field that is wrong.
 */
export function scheduledRunInput(input: RunInput): ResolvedRunInput {
  return parseRunInput({ planCache: true, ...input });
}

/**
 * Creates a Temporal Schedule that starts a planwright run on its spec. The run input is checked first, so
 * every occurrence starts with input its workflow accepts.
 * @throws {InvalidRunInputError} when the run input is not valid.
 * @throws {InvalidScheduleError} when the spec, overlap or jitter cannot be used.
 * @throws {ScheduleAlreadyRunning} when a schedule with this id exists.
 * @example
 * await createRunSchedule(client, {
 *   scheduleId: 'weekly-support-report',
 *   spec: { cron: ['0 8 * * MON'], timezone: 'Europe/Berlin' },
 *   runInput: { goal: 'Write the weekly customer-support report from support-tickets.csv' },
 *   jitter: '5m',
 * });
 */
export async function createRunSchedule(client: Client, options: RunScheduleOptions): Promise<ScheduleHandle> {
  const runInput = scheduledRunInput(options.runInput);
  const { scheduleId, spec, overlap = 'skip' } = options;
  if (!scheduleId.trim()) throw new InvalidScheduleError('a schedule needs an id');
  if (!spec.cron?.length && spec.every === undefined) {
    throw new InvalidScheduleError('a schedule needs a cron expression or an interval (every)');
  }
  if (!OVERLAP_POLICIES.includes(overlap)) {
    throw new InvalidScheduleError(`overlap "${overlap}" is not one of ${OVERLAP_POLICIES.join(', ')}`);
  }
  const every = spec.every === undefined ? undefined : duration('every', spec.every, 1000);
  const offset = spec.offset === undefined ? undefined : duration('offset', spec.offset, 0);
  if (offset !== undefined && every === undefined) throw new InvalidScheduleError('offset goes with every');
  const jitter = options.jitter === undefined ? undefined : duration('jitter', options.jitter, 0);
  try {
    return await client.schedule.create<typeof planAndExecute>({
      scheduleId,
      // Temporal keeps cron expressions only as calendars; the memo keeps them as written, for people.
      ...(spec.cron?.length ? { memo: { [CRON_MEMO]: spec.cron } } : {}),
      spec: {
        ...(spec.cron?.length ? { cronExpressions: spec.cron } : {}),
        ...(every !== undefined ? { intervals: [{ every, ...(offset !== undefined ? { offset } : {}) }] } : {}),
        ...(spec.timezone ? { timezone: spec.timezone } : {}),
        ...(jitter !== undefined ? { jitter } : {}),
      },
      action: {
        type: 'startWorkflow',
        workflowType: WORKFLOW_TYPE,
        workflowId: scheduleId,
        taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
        args: [runInput],
        staticSummary: runInput.goal.slice(0, 190),
        staticDetails: `Started by schedule ${scheduleId}.\n\n${runInput.goal}`,
      },
      policies: { overlap: toTemporal(overlap) },
      state: { paused: options.paused ?? false, ...(options.note ? { note: options.note } : {}) },
    });
  } catch (err) {
    // The client reports a spec the server refused (a cron expression, a time zone) as a TypeError.
    if (err instanceof TypeError)
      throw new InvalidScheduleError(`the schedule was refused: ${err.message}`, { cause: err });
    throw err;
  }
}

/** The memo field that keeps a schedule's cron expressions as they were written. */
const CRON_MEMO = 'planwrightCron';

/** A duration in milliseconds, at least `min`. @throws {InvalidScheduleError} naming the option. */
function duration(name: string, value: Duration, min: number): number {
  let ms: number;
  try {
    ms = msToNumber(value);
  } catch {
    throw new InvalidScheduleError(`${name} "${value}" is not a duration such as '30s', '15m', '1h' or '7d'`);
  }
  if (!(ms >= min)) {
    throw new InvalidScheduleError(`${name} "${value}" must be at least ${min === 0 ? '0' : `${min / 1000}s`}`);
  }
  return ms;
}

/**
 * Describes a schedule of planwright runs.
 * @throws {ScheduleNotFoundError} when there is no such schedule.
 * @throws {NotARunScheduleError} when the schedule starts something else.
 * @example const { nextRuns, recentRuns } = await describeRunSchedule(client, 'weekly-support-report');
 */
export async function describeRunSchedule(client: Client, scheduleId: string): Promise<RunScheduleDescription> {
  return toRunSchedule(await runScheduleDescription(client, scheduleId));
}

/**
 * The schedules of planwright runs in the client's namespace (others are left out), by id.
 * @example for (const s of await listRunSchedules(client)) console.log(s.scheduleId, s.nextRuns[0]);
 */
export async function listRunSchedules(client: Client): Promise<RunScheduleDescription[]> {
  const ids: string[] = [];
  for await (const summary of client.schedule.list()) {
    if (summary.action?.workflowType === WORKFLOW_TYPE) ids.push(summary.scheduleId);
  }
  const described = await Promise.all(
    ids.sort().map((id) => describeRunSchedule(client, id).catch(() => undefined)), // deleted meanwhile
  );
  return described.filter((d): d is RunScheduleDescription => d !== undefined);
}

/**
 * Pauses a schedule: no occurrence starts until it is unpaused (a trigger still starts a run).
 * @throws {ScheduleNotFoundError} or {@link NotARunScheduleError}.
 * @example await pauseRunSchedule(client, 'weekly-support-report', 'holidays until 6 January');
 */
export async function pauseRunSchedule(client: Client, scheduleId: string, note?: string): Promise<void> {
  await runScheduleDescription(client, scheduleId);
  await client.schedule.getHandle(scheduleId).pause(note ?? 'paused by planwright');
}

/**
 * Unpauses a schedule: occurrences start again from the next one due.
 * @throws {ScheduleNotFoundError} or {@link NotARunScheduleError}.
 */
export async function unpauseRunSchedule(client: Client, scheduleId: string, note?: string): Promise<void> {
  await runScheduleDescription(client, scheduleId);
  await client.schedule.getHandle(scheduleId).unpause(note ?? 'unpaused by planwright');
}

/**
 * Starts a run of the schedule now, paused or not, and waits up to `waitMs` for it to start. The schedule's
 * overlap policy applies unless `overlap` is given: under `skip`, nothing starts while one of its runs runs.
 * @returns the run that started, or undefined when none did within `waitMs`.
 * @throws {ScheduleNotFoundError} or {@link NotARunScheduleError}.
 * @example const run = await triggerRunSchedule(client, 'weekly-support-report');
 */
export async function triggerRunSchedule(
  client: Client,
  scheduleId: string,
  options: { overlap?: OverlapPolicy; waitMs?: number } = {},
): Promise<ScheduledRun | undefined> {
  const before = toRunSchedule(await runScheduleDescription(client, scheduleId));
  const overlap = options.overlap ?? before.overlap;
  await client.schedule.getHandle(scheduleId).trigger(toTemporal(overlap));
  // By run: runs triggered within the same second get the same workflow id.
  const seen = new Set(before.recentRuns.map((r) => r.runId));
  const deadline = Date.now() + (options.waitMs ?? 5000);
  for (;;) {
    const started = (await describeRunSchedule(client, scheduleId)).recentRuns.find((r) => !seen.has(r.runId));
    if (started || Date.now() >= deadline) return started;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Deletes a schedule; the runs it started are not touched.
 * @throws {ScheduleNotFoundError} or {@link NotARunScheduleError}.
 */
export async function deleteRunSchedule(client: Client, scheduleId: string): Promise<void> {
  await runScheduleDescription(client, scheduleId);
  await client.schedule.getHandle(scheduleId).delete();
}

/** Temporal's name of an overlap policy. */
function toTemporal(overlap: OverlapPolicy): ScheduleOverlapPolicy {
  return overlap.toUpperCase().replace('-', '_') as ScheduleOverlapPolicy;
}

/** The description of a schedule that starts planwright runs. */
async function runScheduleDescription(client: Client, scheduleId: string): Promise<ScheduleDescription> {
  const description = await client.schedule.getHandle(scheduleId).describe();
  if (description.action.workflowType !== WORKFLOW_TYPE) throw new NotARunScheduleError(scheduleId);
  return description;
}

function toRunSchedule(d: ScheduleDescription): RunScheduleDescription {
  const runInput = d.action.args?.[0] as ResolvedRunInput;
  const cron = d.memo?.[CRON_MEMO];
  const run = (r: { workflowId: string; firstExecutionRunId: string }) => ({
    workflowId: r.workflowId,
    runId: r.firstExecutionRunId,
  });
  return {
    scheduleId: d.scheduleId,
    goal: runInput?.goal ?? '',
    runInput,
    taskQueue: d.action.taskQueue,
    spec: {
      cron: Array.isArray(cron) ? cron.map(String) : [],
      calendars: d.spec.calendars?.length ?? 0,
      every: (d.spec.intervals ?? []).map((i) => ({ everyMs: i.every, offsetMs: i.offset ?? 0 })),
      ...(d.spec.timezone ? { timezone: d.spec.timezone } : {}),
      ...(d.spec.jitter ? { jitterMs: d.spec.jitter } : {}),
    },
    overlap: (d.policies.overlap ?? 'SKIP').toLowerCase().replace('_', '-') as OverlapPolicy,
    paused: d.state.paused,
    ...(d.state.note ? { note: d.state.note } : {}),
    nextRuns: d.info.nextActionTimes.map((t) => t.toISOString()),
    recentRuns: d.info.recentActions.map((a) => ({
      ...run(a.action.workflow),
      scheduledAt: a.scheduledAt.toISOString(),
      startedAt: a.takenAt.toISOString(),
    })),
    runningRuns: d.info.runningActions.map((a) => run(a.workflow)),
    runsStarted: d.info.numActionsTaken,
    skippedByOverlap: d.info.numActionsSkippedOverlap,
    createdAt: d.info.createdAt.toISOString(),
  };
}

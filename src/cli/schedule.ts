/**
 * `planwright schedule`: recurring goals on Temporal Schedules. `create` takes every option of `start` (checked
 * the same way, reported under the same flags) plus when the runs start; the other subcommands look after a
 * schedule by its id.
 */
import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client } from '@temporalio/client';
import {
  createRunSchedule,
  deleteRunSchedule,
  describeRunSchedule,
  listRunSchedules,
  OVERLAP_POLICIES,
  pauseRunSchedule,
  triggerRunSchedule,
  unpauseRunSchedule,
  type OverlapPolicy,
  type RunScheduleDescription,
} from '../schedules.js';
import type { TemporalConfig } from '../temporal/connection.js';
import { usd } from '../run/budget.js';
import { UsageError } from './errors.js';
import { shellWord } from './render.js';
import { runInputFromOptions, START_OPTIONS, type StartValues } from './start-options.js';

/** `parseArgs` option declarations of `planwright schedule` (besides `--note` and `--json`, which others share). */
export const SCHEDULE_OPTIONS = {
  every: { type: 'string' },
  offset: { type: 'string' },
  cron: { type: 'string', multiple: true },
  timezone: { type: 'string' },
  overlap: { type: 'string' },
  jitter: { type: 'string' },
  paused: { type: 'boolean', default: false },
} as const;

/** The values `parseArgs` read for `planwright schedule`. */
export type ScheduleValues = StartValues & {
  every?: string;
  offset?: string;
  cron?: string[];
  timezone?: string;
  overlap?: string;
  jitter?: string;
  paused?: boolean;
  note?: string;
};

/** What a subcommand needs: a client on demand, where runs go, and how to print. */
export interface ScheduleContext {
  connect: () => Promise<{ client: Client; config: TemporalConfig }>;
  /** Prints `human`, or `data` as JSON under `--json`. */
  out: (human: string, data: unknown) => void;
}

/** The subcommands, for the usage line and messages. */
const SUBCOMMANDS = ['create', 'list', 'describe', 'pause', 'unpause', 'trigger', 'delete'] as const;

/**
 * Runs `planwright schedule <subcommand>`; resolves to the exit code.
 * @throws {UsageError} for a command line that cannot be run; the schedules' own errors otherwise.
 * @example await scheduleCommand(['describe', 'weekly-report'], {}, context);
 */
export async function scheduleCommand(
  positionals: readonly string[],
  values: ScheduleValues,
  context: ScheduleContext,
): Promise<number> {
  const [sub, id, ...words] = positionals;
  if (sub === 'list') return list(context);
  if (!sub || !(SUBCOMMANDS as readonly string[]).includes(sub)) {
    throw new UsageError(`schedule needs a subcommand: ${SUBCOMMANDS.join(', ')}${sub ? ` (not "${sub}")` : ''}`);
  }
  if (!id) throw new UsageError(`schedule ${sub} needs a schedule id`);
  const overlap = overlapOf(values.overlap);
  if (sub === 'create') return create(id, words.join(' '), values, overlap, context);
  const { client, config } = await context.connect();
  try {
    return await manage(sub, id, client, values, overlap, context);
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) {
      throw new ScheduleNotFoundError(`no schedule with id ${id} in namespace "${config.namespace}"`, id);
    }
    throw err;
  }
}

/** The other subcommands, on an existing schedule. */
async function manage(
  sub: string,
  id: string,
  client: Client,
  values: ScheduleValues,
  overlap: OverlapPolicy | undefined,
  { out }: ScheduleContext,
): Promise<number> {
  switch (sub) {
    case 'describe': {
      const schedule = await describeRunSchedule(client, id);
      out(renderSchedule(schedule), schedule);
      return 0;
    }
    case 'pause':
    case 'unpause': {
      await (sub === 'pause' ? pauseRunSchedule : unpauseRunSchedule)(client, id, values.note);
      const schedule = await describeRunSchedule(client, id);
      const next = schedule.nextRuns[0];
      const after = sub === 'pause' ? 'no run starts until it is unpaused' : next ? `next run ${next}` : 'no run due';
      out(`${sub}d schedule ${id}${values.note ? ` (${values.note})` : ''}; ${after}`, schedule);
      return 0;
    }
    case 'trigger': {
      const run = await triggerRunSchedule(client, id, overlap ? { overlap } : {});
      out(
        run
          ? `schedule ${id} started ${run.workflowId}; follow it with: planwright watch ${shellWord(run.workflowId)}`
          : `schedule ${id} was triggered but started no run yet (under overlap "skip" none starts while one of its ` +
              `runs is running); see planwright schedule describe ${shellWord(id)}`,
        { scheduleId: id, started: run ?? null },
      );
      return 0;
    }
    default: {
      await deleteRunSchedule(client, id);
      out(`deleted schedule ${id}; the runs it started are kept`, { scheduleId: id, deleted: true });
      return 0;
    }
  }
}

/** `schedule create`: the run input checked like `start`'s, with the plan cache on unless `--plan-cache off`. */
async function create(
  id: string,
  goal: string,
  values: ScheduleValues,
  overlap: OverlapPolicy | undefined,
  { connect, out }: ScheduleContext,
): Promise<number> {
  if (!goal) throw new UsageError('schedule create needs a schedule id and the goal');
  if (!values.every && !values.cron?.length) {
    throw new UsageError('schedule create needs --every DURATION or --cron EXPRESSION (or both)');
  }
  const start = Object.fromEntries(Object.keys(START_OPTIONS).map((flag) => [flag, values[flag as keyof StartValues]]));
  const runInput = runInputFromOptions(goal, { ...start, 'plan-cache': values['plan-cache'] ?? 'on' });
  const { client, config } = await connect();
  try {
    await createRunSchedule(client, {
      scheduleId: id,
      runInput,
      taskQueue: config.taskQueue,
      spec: {
        ...(values.cron?.length ? { cron: values.cron } : {}),
        ...(values.every ? { every: values.every } : {}),
        ...(values.offset ? { offset: values.offset } : {}),
        ...(values.timezone ? { timezone: values.timezone } : {}),
      },
      ...(overlap ? { overlap } : {}),
      ...(values.jitter ? { jitter: values.jitter } : {}),
      ...(values.paused ? { paused: true } : {}),
      ...(values.note ? { note: values.note } : {}),
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    throw new UsageError(
      `a schedule with id ${id} already exists; pick another id or see \`planwright schedule describe ${shellWord(id)}\``,
      { cause: err, help: false },
    );
  }
  const schedule = await describeRunSchedule(client, id);
  out(`created schedule ${id}\n${renderSchedule(schedule)}`, schedule);
  return 0;
}

/** `schedule list`: planwright's schedules in the namespace, one line each. */
async function list({ connect, out }: ScheduleContext): Promise<number> {
  const { client } = await connect();
  const schedules = await listRunSchedules(client);
  const line = (s: RunScheduleDescription) =>
    `${s.scheduleId}  ${s.paused ? 'paused' : 'active'}  ${whenText(s)}  next ${s.nextRuns[0] ?? '—'}  ${clip(s.goal, 60)}`;
  out(schedules.map(line).join('\n') || '(no schedules)', schedules);
  return 0;
}

/** The value of `--overlap`, checked. */
function overlapOf(value: string | undefined): OverlapPolicy | undefined {
  if (value === undefined) return undefined;
  if (!(OVERLAP_POLICIES as readonly string[]).includes(value)) {
    throw new UsageError(`--overlap=${value}: use one of ${OVERLAP_POLICIES.join(', ')}`);
  }
  return value as OverlapPolicy;
}

/**
 * A schedule for people: when its runs start, what they do, and what it has done.
 * @example renderSchedule(await describeRunSchedule(client, 'weekly-report'))
 */
export function renderSchedule(s: RunScheduleDescription): string {
  const input = s.runInput;
  const cache =
    input.planCache === false ? 'off' : input.planCache === true ? 'on (7 days)' : `on (${input.planCache.ttl})`;
  const lines = [
    `Schedule ${s.scheduleId} · ${s.paused ? 'paused' : 'active'}${s.note ? ` · note: ${s.note}` : ''}`,
    `  Goal: ${clip(s.goal, 200)}`,
    `  When: ${whenText(s)} · overlap ${s.overlap}${s.spec.jitterMs ? ` · jitter ${durationText(s.spec.jitterMs)}` : ''}`,
    `  Runs: task queue "${s.taskQueue}" · plan cache ${cache} · approval ${input.approval} · escalation ` +
      `${input.escalation} · max replans ${input.maxReplans}${budgetText(input.budget)}`,
    `  Next: ${s.paused ? '(paused)' : s.nextRuns.slice(0, 3).join(', ') || '(none due)'}`,
    `  Started ${s.runsStarted} run${s.runsStarted === 1 ? '' : 's'}` +
      (s.skippedByOverlap ? ` (${s.skippedByOverlap} skipped while one was running)` : '') +
      (s.runningRuns.length ? ` · running: ${s.runningRuns.map((r) => r.workflowId).join(', ')}` : ''),
  ];
  for (const run of s.recentRuns.slice(-5)) lines.push(`    ${run.startedAt ?? ''}  ${run.workflowId}`);
  return lines.join('\n');
}

/** A run input's budget, as ` · budget …` when it has one. */
function budgetText(budget: RunScheduleDescription['runInput']['budget']): string {
  const parts = [
    ...(budget?.llmCalls !== undefined ? [`${budget.llmCalls} LLM calls`] : []),
    ...(budget?.tokens !== undefined ? [`${budget.tokens} tokens`] : []),
    ...(budget?.cost !== undefined ? [usd(budget.cost)] : []),
  ];
  return parts.length > 0 ? ` · budget ${parts.join(', ')}` : '';
}

/** When a schedule's runs start, in a few words. */
function whenText(s: RunScheduleDescription): string {
  const parts = [
    ...s.spec.cron.map((c) => `cron "${c}"${s.spec.timezone ? ` (${s.spec.timezone})` : ''}`),
    ...s.spec.every.map(
      (i) => `every ${durationText(i.everyMs)}${i.offsetMs ? ` offset ${durationText(i.offsetMs)}` : ''}`,
    ),
  ];
  if (s.spec.cron.length === 0 && s.spec.calendars > 0) parts.push(`${s.spec.calendars} calendar spec(s)`);
  return parts.join(' + ') || '(only when triggered)';
}

/** A duration in milliseconds as `1d2h`, `90m` → `1h30m`, `45s`. */
export function durationText(ms: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  let rest = ms;
  let text = '';
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) text += `${n}${unit}`;
    rest -= n * size;
  }
  return text || `${ms}ms`;
}

/** A text on one line, cut to `max` characters. */
function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

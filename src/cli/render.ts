/**
 * How runs look in a terminal: the plan, the trace as it happens, what a person is asked and how to answer,
 * the model's retries, and the result.
 */
import type { WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';
import type { createActivities } from '../../activities/index.js';
import type { PlanChanges, VersionedPlan } from '../contract/plan.js';
import { describeChanges } from '../plan/diff.js';
import type { RunEvent, RunState } from '../contract/run-state.js';
import { costText } from '../run/budget.js';
import { endedState, NoWorkerError, queryState } from './read-state.js';

/**
 * The plan as numbered lines: id, title, tool (or, for an open step, the tools its executor may use) and
 * dependencies; with what changed since the version before, when the run recorded it.
 */
export function renderPlan(plan: VersionedPlan, changes?: PlanChanges): string {
  const lines = [`Plan v${plan.version} (${plan.steps.length} steps)${plan.rationale ? ` — ${plan.rationale}` : ''}`];
  if (changes) lines.push(`  changes since v${plan.version - 1}: ${describeChanges(changes)}`);
  plan.steps.forEach((s, i) => {
    const deps = s.dependsOn.length > 0 ? `  after ${s.dependsOn.join(', ')}` : '';
    const kind =
      s.tool ??
      (s.subgoal !== undefined ? 'sub-goal' : `executor: ${s.tools?.length ? s.tools.join(', ') : 'no tools'}`);
    lines.push(`  ${i + 1}. ${s.id} — ${s.title} [${kind}]${deps}`);
  });
  return lines.join('\n');
}

const ICON: Partial<Record<RunEvent['type'], string>> = {
  'step-started': '▶',
  'step-succeeded': '✔',
  'step-failed': '✖',
  'plan-invalid': '!',
  'plan-rejected': '✖',
  'plan-approved': '✔',
  'signal-ignored': '·',
};

/** What changed in the current plan since the version before, when the run recorded it. */
export function currentChanges(state: RunState): PlanChanges | undefined {
  const latest = state.planHistory.at(-1);
  return latest && latest.version === state.plan?.version ? latest.changes : undefined;
}

/** One trace event as a line. */
export function renderEvent(event: RunEvent): string {
  const time = event.at.slice(11, 19);
  return `[${time}] ${ICON[event.type] ?? '•'} ${event.message}`;
}

/** A short summary of a finished (or running) run. */
export function renderSummary(state: RunState): string {
  const u = state.usage;
  const lines = [
    `Status: ${state.status} · ${state.steps.filter((s) => s.status === 'succeeded').length}/${state.steps.length} steps succeeded · ` +
      `${u.llmCalls} LLM calls (${u.inputTokens} in / ${u.outputTokens} out tokens) · ${costText(u)} · ${u.toolCalls} tool calls`,
  ];
  if (state.failure)
    lines.push(`Failure: ${state.failure.stepId ? `step ${state.failure.stepId}: ` : ''}${state.failure.message}`);
  for (const { id, status, child } of state.steps) {
    if (child)
      lines.push(
        `Sub-goal ${id} (${status}) runs as ${child.workflowId}: planwright status ${shellWord(child.workflowId)}`,
      );
  }
  return lines.join('\n');
}

/** Quotes a word for a POSIX shell when it needs quoting. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * What a run waiting for a person asks, with the exact commands that answer it; undefined when it waits for no one.
 * @example renderWaiting('run-1', state) // "⏸ Plan v1 waits for your approval. Answer with:\n    planwright approve run-1 …"
 */
export function renderWaiting(workflowId: string, state: RunState): string | undefined {
  const id = shellWord(workflowId);
  if (state.pendingCalls?.length) {
    return state.pendingCalls
      .flatMap(({ callId, stepId, tool, args, reason }) => [
        `⏸ Tool call ${callId} waits for your approval: step ${stepId} calls ${tool} (${oneLine(reason)})`,
        `    arguments: ${oneLine(JSON.stringify(args))}`,
        `    planwright approve ${id} --call ${shellWord(callId)} [--args '{…}']`,
        `    planwright reject ${id} --call ${shellWord(callId)} --reason "…"`,
      ])
      .join('\n');
  }
  if (state.status === 'awaiting-approval' && state.plan) {
    return [
      `⏸ Plan v${state.plan.version} waits for your approval. Answer with:`,
      `    planwright approve ${id}`,
      `    planwright reject ${id} --feedback "…"`,
    ].join('\n');
  }
  if (state.status === 'awaiting-decision' && state.escalation) {
    const { stepId, message } = state.escalation;
    return [
      `⏸ Step ${stepId} failed and waits for your decision: ${oneLine(message)}`,
      `    planwright resolve ${id} ${shellWord(stepId)} retry|skip|replan|abort`,
      '  (retry runs it again · skip goes on without it · replan asks for a new plan · abort ends the run)',
    ].join('\n');
  }
  return undefined;
}

/** An activity Temporal is running or retrying for a run, as `describe()` lists it. */
export interface PendingActivity {
  activityId?: string;
  activityType: string;
  /** The attempt under way or scheduled (1 for the first). */
  attempt: number;
  /** Why the previous attempt failed. */
  lastFailure?: string;
}

/** Activities that call the model (a type-checked list of activity names). */
const MODEL_ACTIVITIES: ReadonlySet<string> = new Set<keyof ReturnType<typeof createActivities>>([
  'createPlan',
  'revisePlan',
  'replan',
  'executeStep',
  'synthesize',
]);

/** One line saying that an activity is being retried, and why. */
export function renderRetry(activity: PendingActivity): string {
  const what = MODEL_ACTIVITIES.has(activity.activityType)
    ? 'the model'
    : activity.activityType === 'runTool'
      ? 'a tool call'
      : `activity ${activity.activityType}`;
  const why = activity.lastFailure ? `: ${oneLine(activity.lastFailure)}` : '';
  return `retrying ${what} (attempt ${activity.attempt})${why}`;
}

/** The activities a run has pending, from its description. */
export function pendingActivities(description: WorkflowExecutionDescription): PendingActivity[] {
  return (description.raw.pendingActivities ?? []).map((a) => ({
    activityId: a.activityId ?? undefined,
    activityType: a.activityType?.name ?? 'unknown',
    attempt: a.attempt ?? 1,
    ...(a.lastFailure?.message ? { lastFailure: a.lastFailure.message } : {}),
  }));
}

/** A text on one line, cut at 300 characters. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 299)}…` : flat;
}

/** What a terminal has shown of one run, so that each thing is printed once, when it changes. */
export interface RunView {
  /** Prints new events, a newly adopted plan, and what the run asks of a person when it starts waiting. */
  show(state: RunState): void;
  /** Prints each retry of an activity once per attempt. */
  activities(pending: readonly PendingActivity[]): void;
  /** Says, once, that no worker polls the run's task queue. */
  noWorker(taskQueue: string): void;
}

/**
 * Creates the view of one run that prints through `print`; `onWaiting` hears of each thing the run asks of a
 * person, once it has been printed.
 */
export function createRunView(
  workflowId: string,
  print: (line: string) => void,
  onWaiting?: (state: RunState) => void,
): RunView {
  const seen = new Set<string>();
  const retries = new Set<string>();
  let shownPlan = 0;
  let waiting: string | undefined;
  let toldNoWorker = false;
  return {
    show(state) {
      for (const event of state.events) {
        const key = `${event.at}|${event.type}|${event.stepId ?? ''}|${event.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        print(renderEvent(event));
        if (event.type === 'plan-adopted' && state.plan && state.plan.version > shownPlan) {
          shownPlan = state.plan.version;
          print(renderPlan(state.plan, currentChanges(state)));
        }
      }
      const hint = renderWaiting(workflowId, state);
      const asked = hint !== waiting && hint !== undefined;
      waiting = hint;
      if (asked) {
        print(hint);
        onWaiting?.(state);
      }
    },
    activities(pending) {
      for (const activity of pending) {
        if (activity.attempt < 2) continue;
        const key = `${activity.activityId ?? ''}|${activity.activityType}|${activity.attempt}`;
        if (retries.has(key)) continue;
        retries.add(key);
        print(`[${new Date().toISOString().slice(11, 19)}] ↻ ${renderRetry(activity)}`);
      }
    },
    noWorker(taskQueue) {
      if (toldNoWorker) return;
      toldNoWorker = true;
      print(
        `… no worker is polling task queue "${taskQueue}"; the run waits until one does. ` +
          'Start one with `planwright worker` (or `planwright dev`).',
      );
    },
  };
}

/** How often {@link followRun} looks. */
export interface FollowOptions {
  /** Between two state queries; default 250 ms. */
  intervalMs?: number;
  /** Between two looks at the run's pending activities (its retries); default 1 s. */
  describeEveryMs?: number;
  /** Longest wait for one state query; default 5 s. */
  queryTimeoutMs?: number;
  /** Called with the state each time the run starts waiting for a person, after what it asks was printed. */
  onWaiting?: (state: RunState) => void;
}

/**
 * Follows a run until it ends: prints its events, each plan it adopts, what it asks of a person and the command
 * that answers, and each retry of the model; says when no worker serves it. Returns the run's result.
 * @throws {RunEndedError} when the run ended without a result (terminated, timed out).
 * @example const state = await followRun(client.workflow.getHandle(workflowId), console.log);
 */
export async function followRun(
  handle: WorkflowHandle,
  print: (line: string) => void,
  options: FollowOptions = {},
): Promise<RunState> {
  const { intervalMs = 250, describeEveryMs = 1000, queryTimeoutMs = 5000 } = options;
  const view = createRunView(handle.workflowId, print, options.onWaiting);
  let finished = false;
  const result = endedState(handle).finally(() => (finished = true));
  const ended = result.then(
    () => undefined,
    () => undefined,
  );
  let taskQueue: string | undefined;
  let nextDescribe = 0;
  while (!finished) {
    if (Date.now() >= nextDescribe) {
      nextDescribe = Date.now() + describeEveryMs;
      const description = await handle.describe().catch(() => undefined);
      if (description) {
        taskQueue = description.taskQueue;
        view.activities(pendingActivities(description));
      }
    }
    if (taskQueue && !finished) {
      const queue = taskQueue;
      try {
        view.show(await handle.client.withDeadline(Date.now() + queryTimeoutMs, () => queryState(handle, queue)));
      } catch (err) {
        // The run may not have had its first workflow task yet, may have just closed, or may wait for a worker.
        if (err instanceof NoWorkerError && err.reason === 'not-polling' && !finished) view.noWorker(queue);
      }
    }
    await Promise.race([ended, new Promise((r) => setTimeout(r, intervalMs))]);
  }
  const state = await result;
  view.show(state);
  return state;
}

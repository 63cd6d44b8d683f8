/**
 * What the console shows of one run, folded from the items of its stream: the plan as steps with their states,
 * the plan's versions with what each changed, what waits for a person, the answer as it is written, and the event
 * log. Pure and plain JSON (the console keeps it in sessionStorage to resume after a reload), shared by the
 * browser and the tests.
 */
import type { RunState } from '../../contract/run-state.js';
import type { RunStreamEvent } from '../../stream/events.js';
import { preview } from '../../stream/derive.js';

/** How a step of the plan stands. */
export type StepMark = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

/** A step of the plan as the console draws it. */
export interface StepView {
  id: string;
  title: string;
  dependsOn: string[];
  tool?: string;
  subgoal?: boolean;
  mark: StepMark;
  /** What the step's success criterion check said, last. */
  checked?: string;
  preview?: string;
  error?: string;
  /** Whether the current plan version added or changed this step. */
  change?: 'added' | 'changed';
}

/** A version of the plan and what it changed from the one before. */
export interface PlanVersionView {
  version: number;
  message: string;
  added: string[];
  removed: string[];
  changed: { id: string; fields: string[] }[];
}

/** Something the run waits for a person to answer. */
export interface WaitView {
  /** Names it among the waits (`plan:<version>`, `call:<callId>`, `step:<stepId>`). */
  key: string;
  asked: 'plan-approval' | 'step-decision' | 'tool-call-approval';
  message: string;
  version?: number;
  stepId?: string;
  callId?: string;
  tool?: string;
  args?: Record<string, unknown>;
}

/** One line of the event log. */
export interface LogLine {
  offset: number;
  at: string;
  kind: string;
  message: string;
}

/** A run as the console shows it. */
export interface RunView {
  workflowId: string;
  /** The offset of the last stream item folded in; -1 before the first. */
  lastOffset: number;
  goal: string;
  status: string;
  steps: StepView[];
  plans: PlanVersionView[];
  waits: WaitView[];
  /** The answer: as it is written (topic `answer`), then the one the run finished with. */
  answer: string;
  finished: boolean;
  /** What the run finished with, in a line (its `run-finished` message). */
  outcome?: string;
  usage?: { llmCalls: number; inputTokens: number; outputTokens: number; toolCalls: number; cost?: number };
  log: LogLine[];
}

/** Lines of the event log kept (the oldest go first). */
export const LOG_LINES = 500;

/** A run before any of its stream was read. */
export function emptyRunView(workflowId: string): RunView {
  return {
    workflowId,
    lastOffset: -1,
    goal: '',
    status: 'unknown',
    steps: [],
    plans: [],
    waits: [],
    answer: '',
    finished: false,
    log: [],
  };
}

/** An item of the stream as the console reads it from the API's Server-Sent Events. */
export type ConsoleItem =
  | { offset: number; topic: 'events'; event: RunStreamEvent }
  | { offset: number; topic: 'answer'; text: string; stepId?: string; restart?: boolean };

/** The view with one more stream item folded in; an item at or before `lastOffset` (read twice) changes nothing. */
export function foldItem(view: RunView, item: ConsoleItem): RunView {
  if (item.offset <= view.lastOffset) return view;
  const next = { ...view, lastOffset: item.offset };
  if (item.topic === 'answer') {
    // The run's answer is the synthesizer's text (no stepId); a restart replaces what it had written so far.
    if (item.stepId !== undefined) return next;
    return { ...next, answer: (item.restart ? '' : next.answer) + item.text };
  }
  const event = item.event;
  const kind = event.kind === 'note' ? event.type : event.kind;
  const log = [...view.log, { offset: item.offset, at: event.at, kind, message: event.message }].slice(-LOG_LINES);
  return foldEvent({ ...next, log }, event);
}

/** An event about a plan version (its kind is one of the plan kinds). */
type PlanEvent = Extract<
  RunStreamEvent,
  { kind: 'plan-proposed' | 'plan-invalid' | 'plan-approved' | 'plan-rejected' }
>;

/** The view after an event of the run. */
function foldEvent(view: RunView, event: RunStreamEvent): RunView {
  switch (event.kind) {
    case 'run-started':
      return { ...view, goal: event.goal, status: 'running' };
    case 'goal-changed':
      return { ...view, goal: event.goal };
    case 'plan-proposed':
      return event.steps ? adoptPlan(view, event) : view;
    case 'plan-approved':
    case 'plan-rejected':
      return { ...view, waits: view.waits.filter((w) => w.asked !== 'plan-approval') };
    case 'step-started':
    case 'subgoal-started':
      return markStep(view, event.stepId, { mark: 'running' });
    case 'step-succeeded':
      return markStep(view, event.stepId, {
        mark: 'succeeded',
        ...(event.preview !== undefined ? { preview: event.preview } : {}),
      });
    case 'step-failed':
      return markStep(view, event.stepId, {
        mark: 'failed',
        ...(event.error !== undefined ? { error: event.error } : {}),
      });
    case 'step-skipped':
      return markStep(view, event.stepId, { mark: 'skipped' });
    case 'step-checked':
      return markStep(view, event.stepId, { checked: event.message });
    case 'waiting':
      // A run whose tool call waits is `awaiting-approval` too, and its stream then also asks for the plan's
      // approval, which is not what it waits for: only the tool call is shown.
      if (event.asked === 'plan-approval' && view.waits.some((w) => w.asked === 'tool-call-approval')) return view;
      return addWait(view, event);
    case 'status':
      return {
        ...view,
        status: event.status,
        waits: event.status.startsWith('awaiting') ? view.waits : [],
      };
    case 'usage':
      return { ...view, usage: event.usage };
    case 'run-finished':
      return {
        ...view,
        status: event.status,
        finished: true,
        outcome: event.message,
        waits: [],
        answer: event.answer ?? view.answer,
      };
    case 'note':
      // A tool call answered (by anyone): its step no longer waits for it.
      if ((event.type === 'tool-call-approved' || event.type === 'tool-call-rejected') && event.stepId) {
        return settle(view, view.waits.find((w) => w.asked === 'tool-call-approval' && w.stepId === event.stepId)?.key);
      }
      return view;
    case 'step-recovered':
      return event.how === 'escalation' && event.stepId ? settle(view, `step:${event.stepId}`) : view;
    default:
      return view;
  }
}

/** The view without the wait named `key` (answered from this page, or by someone else). */
export function settle(view: RunView, key: string | undefined): RunView {
  return key === undefined ? view : { ...view, waits: view.waits.filter((w) => w.key !== key) };
}

/** A new plan version: its steps (keeping how the steps it kept stand) and what it changed. */
function adoptPlan(view: RunView, event: PlanEvent): RunView {
  const changes = event.changes ?? { added: [], removed: [], changed: [] };
  const changed = new Set(changes.changed.map((c) => c.id));
  const added = new Set(changes.added);
  const steps = (event.steps ?? []).map((step): StepView => {
    const before = view.steps.find((s) => s.id === step.id);
    const change = added.has(step.id) ? 'added' : changed.has(step.id) ? 'changed' : undefined;
    const kept = before && !changed.has(step.id) ? before : undefined;
    return {
      ...(kept ?? { mark: 'pending' as const }),
      id: step.id,
      title: step.title,
      dependsOn: step.dependsOn,
      ...(step.tool !== undefined ? { tool: step.tool } : {}),
      ...(step.subgoal ? { subgoal: true } : {}),
      ...(change && event.changes ? { change } : { change: undefined }),
    };
  });
  const version = event.version ?? view.plans.length + 1;
  const plans = [...view.plans.filter((p) => p.version !== version), { version, message: event.message, ...changes }];
  return { ...view, steps, plans };
}

function markStep(view: RunView, stepId: string, change: Partial<StepView>): RunView {
  return { ...view, steps: view.steps.map((s) => (s.id === stepId ? { ...s, ...change } : s)) };
}

function addWait(view: RunView, event: Extract<RunStreamEvent, { kind: 'waiting' }>): RunView {
  const key =
    event.asked === 'plan-approval'
      ? `plan:${event.version ?? ''}`
      : event.asked === 'tool-call-approval'
        ? `call:${event.callId ?? ''}`
        : `step:${event.stepId ?? ''}`;
  const wait: WaitView = {
    key,
    asked: event.asked,
    message: event.message,
    ...(event.version !== undefined ? { version: event.version } : {}),
    ...(event.stepId !== undefined ? { stepId: event.stepId } : {}),
    ...(event.callId !== undefined ? { callId: event.callId } : {}),
    ...(event.tool !== undefined ? { tool: event.tool } : {}),
    ...(event.args !== undefined ? { args: event.args } : {}),
  };
  return { ...view, waits: [...view.waits.filter((w) => w.key !== key), wait] };
}

/**
 * Whether the view needs the run's state to show its current plan: after a replan (a `step-recovered` event of
 * `how: 'replan'`), whose revision the stream names but does not list.
 */
export function needsPlanFromState(item: ConsoleItem): boolean {
  return item.topic === 'events' && item.event.kind === 'step-recovered' && item.event.how === 'replan';
}

/**
 * The view with the run's current plan taken from its state (`GET /runs/:id`) when that plan is a version the view
 * does not have yet: its steps (how each stands, from the state) and what it changed.
 */
export function adoptRunState(view: RunView, state: Pick<RunState, 'plan' | 'planHistory' | 'steps'>): RunView {
  const plan = state.plan;
  if (!plan || view.plans.some((p) => p.version === plan.version)) return view;
  const entry = state.planHistory.find((h) => h.version === plan.version);
  const adopted = adoptPlan(view, {
    v: 1,
    kind: 'plan-proposed',
    at: '',
    version: plan.version,
    message: `plan v${plan.version}${entry?.reason ? `: ${entry.reason}` : ''}`,
    steps: plan.steps.map((s) => ({ id: s.id, title: s.title, dependsOn: [...(s.dependsOn ?? [])] })),
    ...(entry?.changes ? { changes: entry.changes } : {}),
  });
  const marks: Record<string, StepMark> = {
    pending: 'pending',
    running: 'running',
    succeeded: 'succeeded',
    failed: 'failed',
    skipped: 'skipped',
    cancelled: 'skipped',
  };
  return {
    ...adopted,
    steps: adopted.steps.map((step) => {
      const known = state.steps.find((s) => s.id === step.id);
      if (!known) return step;
      return {
        ...step,
        mark: marks[known.status] ?? step.mark,
        ...(known.error !== undefined && known.status === 'failed' ? { error: known.error } : {}),
        ...(known.output !== undefined && known.status === 'succeeded' ? { preview: preview(known.output) } : {}),
      };
    }),
  };
}

/**
 * Reads a view kept in sessionStorage: the view when it is one of this run, none when it is missing or not
 * readable (then the console reads the stream from its start).
 */
export function restoreRunView(workflowId: string, kept: string | null): RunView | undefined {
  if (!kept) return undefined;
  try {
    const view = JSON.parse(kept) as RunView;
    const fits =
      view.workflowId === workflowId &&
      typeof view.lastOffset === 'number' &&
      Array.isArray(view.steps) &&
      Array.isArray(view.waits) &&
      Array.isArray(view.log);
    return fits ? view : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A run as the Temporal Web UI's "Current Details" (the run's "User Metadata" tab): markdown that leads with
 * what matters (status, goal, why the plan changed, what a waiting run needs and the commands to answer it,
 * the failure), then a checklist short enough for the panel, then usage. Pure: workflow code calls it on
 * every change.
 *
 * What the UI (2.42) does with it, and why the markdown is written so: it renders the markdown on the server,
 * without styles, in a frame it sizes once from the body's height, which leaves out the body's margins, so
 * the last ~30 px are cut off (the text ends with a blank paragraph that may be lost instead); a list must
 * follow a blank line; `\` at the end of a line breaks it; and the page font has no emoji, so the markers
 * are symbols that plain fonts have (✔ ✘ ▶ ○ ↷ ■ ⚑ ⚠ ⊘).
 */
import type { Json, Step } from '../contract/plan.js';
import { isOutputRef } from '../contract/output.js';
import type { RunState, RunStatus, StepState, StepStatus } from '../contract/run-state.js';
import { costText } from './budget.js';
import { describeChanges } from '../plan/diff.js';

/** How a run's status is shown: one marker and a few words. */
const STATUS: Record<RunStatus, string> = {
  running: '▶ Running',
  'awaiting-approval': '⚑ Waiting for approval',
  'awaiting-decision': '⚑ Waiting for a decision',
  completed: '✔ Completed',
  partial: '⚠ Partial',
  failed: '✘ Failed',
  rejected: '⊘ Rejected',
  cancelled: '■ Cancelled',
};

/** How a step's status is shown in the checklist. */
const ICON: Record<StepStatus, string> = {
  succeeded: '✔',
  failed: '✘',
  running: '▶',
  pending: '○',
  skipped: '↷',
  cancelled: '■',
};

/** Order of the status counts above the checklist and in its "… and N more" lines. */
const COUNT_ORDER: readonly StepStatus[] = ['succeeded', 'failed', 'running', 'pending', 'skipped', 'cancelled'];

/** Most steps listed one per line; the others are summed up in "… and N more" lines. */
export const MAX_LISTED = 12;

/** The longest texts shown, in characters (before markdown escapes). */
const MAX = {
  command: 400,
  goal: 300,
  reason: 300,
  failure: 300,
  answer: 240,
  title: 80,
  error: 120,
  args: 100,
  output: 48,
};

/** Ends a line inside a paragraph (a hard line break), so related lines stay together without a gap. */
const BREAK = '\\\n';

/** A paragraph of one no-break space: the UI cuts the bottom of the text off, and this is what it loses. */
const SPARE = '\u00a0';

/**
 * Renders a run's state as markdown for `setCurrentDetails`: at most a few kB whatever the number of steps.
 * @example setCurrentDetails(renderDetails(state, { workflowId: workflowInfo().workflowId }))
 */
export function renderDetails(state: RunState, run: { workflowId: string; namespace?: string }): string {
  const blocks = [
    [headline(state), goal(state), ...planChange(state)].join(BREAK),
    ...waiting(state, run.workflowId),
    ...failure(state),
    ...answer(state),
    ...checklist(state, run.namespace ?? 'default'),
    usage(state),
    SPARE,
  ];
  return blocks.join('\n\n');
}

/** Status, plan version and replans. */
function headline(state: RunState): string {
  const parts = [`**${STATUS[state.status]}**`, state.plan ? `plan v${state.plan.version}` : 'no plan yet'];
  if (state.replans > 0) parts.push(`${state.replans} replan${state.replans === 1 ? '' : 's'}`);
  return parts.join(' · ');
}

/** The current goal; marked when it changed, since the run's static summary keeps the first one. */
function goal(state: RunState): string {
  const changed = state.events.some((e) => e.type === 'goal-changed');
  return `**Goal${changed ? ' (changed)' : ''}:** ${text(state.goal, MAX.goal)}`;
}

/** Why the current plan replaced the first one, and the replanner's latest word when it said something else. */
function planChange(state: RunState): string[] {
  const out: string[] = [];
  const version = state.plan?.version ?? 0;
  const adopted = state.planHistory.at(-1);
  if (version > 1 && adopted?.version === version) {
    out.push(`**Why plan v${version}:** ${text(adopted.reason, MAX.reason)}`);
    if (adopted.changes)
      out.push(`**Changes since v${version - 1}:** ${text(describeChanges(adopted.changes), MAX.reason)}`);
  }
  const said = state.events.filter((e) => e.type === 'replanned').at(-1);
  if (said && !said.message.startsWith(`plan v${version}:`))
    out.push(`**Replanner:** ${text(said.message, MAX.reason)}`);
  return out;
}

/** What a waiting run waits for, and the exact commands that answer it. */
function waiting(state: RunState, workflowId: string): string[] {
  const id = shellArg(workflowId);
  const update = (name: string, input: Json) =>
    code(
      `temporal workflow update execute -w ${id} --name ${name} --input ${shellArg(JSON.stringify(input))}`,
      MAX.command,
    );
  if (state.pendingCalls?.length) return pendingCalls(state.pendingCalls, id, update);
  if (state.status === 'awaiting-approval' && state.plan) {
    const { version } = state.plan;
    return [
      [
        `**Plan v${version} waits for your approval** (its steps are below).`,
        `Approve: ${code(`planwright approve ${id}`, MAX.command)}`,
        `Reject: ${code(`planwright reject ${id} --feedback "what to change"`, MAX.command)}`,
        `Temporal CLI: ${update('approvePlan', { version })}`,
      ].join(BREAK),
    ];
  }
  if (state.status === 'awaiting-decision' && state.escalation) {
    const { stepId, message } = state.escalation;
    return [
      [
        `**Step ${code(stepId)} failed and waits for your decision:** ${text(message, MAX.failure)}`,
        `Decide: ${code(`planwright resolve ${id} ${shellArg(stepId)} retry|skip|replan|abort`, MAX.command)}`,
        'retry runs it again · skip goes on without it · replan asks for a new plan · abort ends the run',
        `Temporal CLI: ${update('resolveEscalation', { stepId, decision: 'skip' })}`,
      ].join(BREAK),
    ];
  }
  return [];
}

/** Most tool calls waiting for approval shown one by one; the others are counted. */
const MAX_CALLS_SHOWN = 3;

/** The tool calls waiting for approval, each with its arguments and the commands that answer it. */
function pendingCalls(
  calls: NonNullable<RunState['pendingCalls']>,
  id: string,
  update: (name: string, input: Json) => string,
): string[] {
  const shown = calls
    .slice(0, MAX_CALLS_SHOWN)
    .map(({ callId, stepId, tool, args, reason }) =>
      [
        `**Tool call ${code(callId)} waits for your approval:** step ${code(stepId)} calls ${code(tool)} (${text(reason, MAX.reason)})`,
        `Arguments: ${code(JSON.stringify(args), MAX.command)}`,
        `Approve: ${code(`planwright approve ${id} --call ${shellArg(callId)}`, MAX.command)} (add ${code("--args '{…}'")} to change them)`,
        `Reject: ${code(`planwright reject ${id} --call ${shellArg(callId)} --reason "why"`, MAX.command)}`,
        `Temporal CLI: ${update('approveToolCall', { callId })}`,
      ].join(BREAK),
    );
  const more = calls.length - shown.length;
  return more > 0
    ? [...shown, `… and ${more} more tool call${more > 1 ? 's' : ''} waiting (see the state query)`]
    : shown;
}

/** The failure that ended (or is ending) the run. */
function failure(state: RunState): string[] {
  if (!state.failure) return [];
  const message = text(state.failure.message, MAX.failure);
  const { stepId } = state.failure;
  return [stepId ? `**Failure** at ${code(stepId)}: ${message}` : `**Failure:** ${message}`];
}

/** The beginning of the final answer, its markdown flattened to one line. */
function answer(state: RunState): string[] {
  if (!state.answer) return [];
  const lines = state.answer
    .split('\n')
    .map((line) =>
      line
        .replace(/^\s*(#+|[-*+]|\d+\.)\s+/, '')
        .replace(/\*\*|__|`/g, '')
        .trim(),
    )
    .filter((line) => line !== '');
  return [`**Answer:** ${text(lines.join(' · '), MAX.answer)}`];
}

/** The steps counted by status, then listed in plan order: at most {@link MAX_LISTED} lines, the rest summed up. */
function checklist(state: RunState, namespace: string): string[] {
  if (state.steps.length === 0) return [];
  const counts = COUNT_ORDER.map((status) => [status, state.steps.filter((s) => s.status === status).length] as const)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${ICON[status]} ${status}`);
  const approving = state.status === 'awaiting-approval' && !state.pendingCalls?.length;
  const view: View = {
    approving,
    planSteps: new Map((state.plan?.steps ?? []).map((s) => [s.id, s])),
    errorAbove: [state.failure?.stepId, state.escalation?.stepId].filter((id) => id !== undefined),
    namespace,
  };
  const shown = listed(state, approving);
  const lines: string[] = [];
  let hidden: StepState[] = [];
  const flush = () => {
    if (hidden.length === 1) lines.push(stepLine(hidden[0] as StepState, view));
    else if (hidden.length > 1) lines.push(gapLine(hidden));
    hidden = [];
  };
  for (const [i, step] of state.steps.entries()) {
    if (!shown.has(i)) {
      hidden.push(step);
      continue;
    }
    flush();
    lines.push(stepLine(step, view));
  }
  flush();
  return [`**Steps (${state.steps.length}):** ${counts.join(' · ')}`, lines.join('\n')];
}

/** Which steps (by index) get a line: all of them when few, else the ones people look for. */
function listed(state: RunState, approving: boolean): Set<number> {
  const { steps } = state;
  if (steps.length <= MAX_LISTED) return new Set(steps.keys());
  const indices = (status: StepStatus) => [...steps.keys()].filter((i) => steps[i]?.status === status);
  const escalated = steps.findIndex((s) => s.id === state.escalation?.stepId);
  const picks = approving
    ? [indices('pending')]
    : [
        escalated >= 0 ? [escalated] : [],
        indices('failed').slice(0, 4),
        indices('running').slice(0, 4),
        indices('pending').slice(0, 3),
        indices('cancelled').slice(0, 2),
        indices('succeeded').slice(-2),
        indices('skipped').slice(0, 1),
      ];
  const shown = new Set<number>();
  for (const i of picks.flat()) {
    if (shown.size >= MAX_LISTED) break;
    shown.add(i);
  }
  return shown;
}

/** What a step's line shows besides the step itself. */
interface View {
  /** A plan awaits approval: show each step's call. */
  approving: boolean;
  planSteps: Map<string, Step>;
  /** Steps whose error is already shown above the list (the failure, the escalation). */
  errorAbove: string[];
  /** The run's namespace, for links to sub-goal runs. */
  namespace: string;
}

/** The tools an open step's executor may call, for the person approving the plan. */
function mayUse(tools: readonly string[] | undefined): string {
  return tools && tools.length > 0 ? `may use ${tools.map((t) => code(t)).join(', ')}` : 'no tools';
}

/** One step: its icon, id and title; with its call while approving, else its error or output. */
function stepLine(step: StepState, view: View): string {
  const planned = view.planSteps.get(step.id);
  let line = `- ${ICON[step.status]} ${code(step.id)} ${text(step.title, MAX.title)}`;
  if (view.approving && planned) {
    line += planned.tool
      ? ` · ${code(planned.tool)}${planned.args === undefined ? '' : ` ${code(JSON.stringify(planned.args), MAX.args)}`}`
      : planned.subgoal !== undefined
        ? ` · sub-goal: ${text(planned.subgoal, MAX.title)}`
        : ` · open task${planned.description ? `: ${text(planned.description, MAX.title)}` : ''} · ${mayUse(planned.tools)}`;
    if (planned.dependsOn.length > 0) line += ` · after ${planned.dependsOn.map((d) => code(d)).join(', ')}`;
    return line;
  }
  if (step.child) line += ` · ${childLink(step.child, view.namespace)}`;
  if (step.attempts > 1 && step.status !== 'succeeded') line += ` (attempt ${step.attempts})`;
  if (step.error && step.status !== 'succeeded' && !view.errorAbove.includes(step.id))
    line += ` — ${text(step.error, MAX.error)}`;
  if (step.status === 'succeeded' && step.output !== undefined) line += ` → ${outputText(step.output)}`;
  return line;
}

/** A link to a sub-goal's run, on the Web UI's own paths. */
function childLink(child: { workflowId: string; runId: string }, namespace: string): string {
  const path = [namespace, 'workflows', child.workflowId, child.runId, 'history'].map(encodeURIComponent).join('/');
  return `sub-goal run [${code(child.workflowId, MAX.title)}](/namespaces/${path})`;
}

/** Hidden steps summed up: "… and 37 more succeeded", or counted by status when they differ. */
function gapLine(hidden: StepState[]): string {
  const counts = COUNT_ORDER.map(
    (status) => [status, hidden.filter((s) => s.status === status).length] as const,
  ).filter(([, n]) => n > 0);
  const [only] = counts;
  if (counts.length === 1 && only) return `- … and ${hidden.length} more ${only[0]}`;
  return `- … and ${hidden.length} more: ${counts.map(([status, n]) => `${n} ${status}`).join(', ')}`;
}

/** A step output, short: a stored one by its size and preview, an object by its plainest fields first. */
function outputText(output: Json): string {
  if (isOutputRef(output)) return `${size(output.bytes)} stored: ${code(output.preview, MAX.output)}`;
  return code(brief(output), MAX.output);
}

/**
 * A JSON value in a few characters: an object's numbers and booleans first (the results people look for),
 * then its lists and objects by size, then its strings; nested values only by their size.
 */
function brief(value: Json, nested = false): string {
  if (Array.isArray(value)) return nested ? `[${value.length}]` : `[${value.length} items]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (nested) return '{…}';
  const rank = (v: Json) => (v === null || typeof v !== 'object' ? (typeof v === 'string' ? 2 : 0) : 1);
  return Object.entries(value)
    .map(([key, v], i) => ({ key, v, i }))
    .sort((a, b) => rank(a.v) - rank(b.v) || a.i - b.i)
    .map(({ key, v }) => `${key}: ${brief(v, true)}`)
    .join(', ');
}

/** Model calls, tokens, their estimated cost and tool calls so far. */
function usage(state: RunState): string {
  const { llmCalls, inputTokens, outputTokens, toolCalls } = state.usage;
  const tokens = `${thousands(inputTokens + outputTokens)} tokens (${thousands(inputTokens)} in, ${thousands(outputTokens)} out)`;
  const cost = text(costText(state.usage), 120);
  return `${llmCalls} LLM call${llmCalls === 1 ? '' : 's'} · ${tokens} · ${cost} · ${toolCalls} tool call${toolCalls === 1 ? '' : 's'}`;
}

/** Cuts a text to `max` characters on one line, with an ellipsis when cut. */
function clipped(value: string, max: number): string {
  const line = value.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** A text as inline markdown: on one line, cut to `max`, with markdown's special characters escaped. */
function text(value: string, max: number): string {
  return clipped(value, max).replace(/[\\`*_[\]<>|#~]/g, '\\$&');
}

/** A code span, cut to `max`, fenced with more backticks than it contains. */
function code(value: string, max = MAX.args): string {
  const inner = clipped(value, max);
  const longest = Math.max(0, ...(inner.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return longest > 0 && /^`|`$/.test(inner) ? `${fence} ${inner} ${fence}` : `${fence}${inner}${fence}`;
}

/** A word for a POSIX shell: as is when safe, else single-quoted. */
function shellArg(value: string): string {
  return /^[\w.:@/+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A byte count for people. */
function size(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} kB`;
}

/** An integer with thousands separators (no locale: workflow code must not depend on one). */
function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

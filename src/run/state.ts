/**
 * Pure updates of a run's state. The workflow owns one RunState and changes it only through these.
 */
import type { Json, VersionedPlan } from '../contract/plan.js';
import {
  MAX_EVENTS,
  NO_USAGE,
  type RunEvent,
  type RunState,
  type StepState,
  type StepStatus,
} from '../contract/run-state.js';

/** The state of a run that has just started. */
export function initialState(goal: string): RunState {
  return { status: 'running', goal, planHistory: [], steps: [], replans: 0, usage: { ...NO_USAGE }, events: [] };
}

/** Appends an event, dropping the oldest beyond {@link MAX_EVENTS}. */
export function recordEvent(state: RunState, event: RunEvent): void {
  state.events.push(event);
  if (state.events.length > MAX_EVENTS) state.events.splice(0, state.events.length - MAX_EVENTS);
}

/** Makes `plan` the current plan: its steps start pending. */
export function adoptPlan(state: RunState, plan: VersionedPlan): void {
  state.plan = plan;
  state.steps = plan.steps.map((s) => ({ id: s.id, title: s.title, status: 'pending', attempts: 0 }));
}

/** The status of every step, by id. */
export function statusById(state: RunState): Record<string, StepStatus> {
  return Object.fromEntries(state.steps.map((s) => [s.id, s.status]));
}

/** Outputs of the steps that succeeded, by id. */
export function outputsById(state: RunState): Record<string, Json> {
  return Object.fromEntries(
    state.steps.filter((s) => s.status === 'succeeded').map((s) => [s.id, s.output ?? null] as const),
  );
}

/** The step with this id. @throws {Error} when there is none (a bug: ids come from the plan). */
export function stepState(state: RunState, id: string): StepState {
  const step = state.steps.find((s) => s.id === id);
  if (!step) throw new Error(`no step "${id}" in the current plan`);
  return step;
}

const MARK: Record<StepStatus, string> = {
  pending: '[ ]',
  running: '[~]',
  succeeded: '[x]',
  failed: '[!]',
  skipped: '[-]',
  cancelled: '[-]',
};

/** The run as a markdown checklist, for the Temporal Web UI's current details. */
export function renderChecklist(state: RunState): string {
  const version = state.plan ? ` · plan v${state.plan.version}` : '';
  const lines = [
    `**${state.status}**${version} · ${state.usage.llmCalls} LLM calls · ${state.usage.toolCalls} tool calls`,
    '',
  ];
  for (const step of state.steps) {
    const note = step.status === 'failed' && step.error ? ` — ${step.error.slice(0, 120)}` : '';
    lines.push(`- ${MARK[step.status]} **${step.id}** ${step.title} _(${step.status})_${note}`);
  }
  if (state.failure) lines.push('', `Failure: ${state.failure.message.slice(0, 500)}`);
  return lines.join('\n');
}

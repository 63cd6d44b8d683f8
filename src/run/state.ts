/**
 * Pure updates of a run's state. The workflow owns one RunState and changes it only through these.
 */
import type { Json, Plan, PlanIssue, VersionedPlan } from '../contract/plan.js';
import type { ToolSummary } from '../contract/tools.js';
import { planChanges } from '../plan/diff.js';
import {
  MAX_EVENTS,
  MAX_PLAN_HISTORY,
  MAX_TEXT,
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

/** Cuts a text to at most `max` characters, saying how much was left out. */
export function clip(text: string, max = MAX_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [${text.length - max} more characters]`;
}

/** Appends an event (its message clipped), dropping the oldest beyond {@link MAX_EVENTS}. */
export function recordEvent(state: RunState, event: RunEvent): void {
  state.events.push({ ...event, message: clip(event.message) });
  if (state.events.length > MAX_EVENTS) state.events.splice(0, state.events.length - MAX_EVENTS);
}

/** Statuses of finished steps: a new plan keeps them exactly as they are. */
export const FINISHED: readonly StepStatus[] = ['succeeded', 'skipped'];

/** Makes `plan` the current plan, keeping the record of every finished step it carries over; the rest start pending. */
export function adoptPlan(state: RunState, plan: VersionedPlan, reason: string): void {
  const finished = new Map(state.steps.filter((s) => FINISHED.includes(s.status)).map((s) => [s.id, s]));
  const changes = state.plan ? planChanges(state.plan, plan) : undefined;
  state.plan = plan;
  state.steps = plan.steps.map(
    (s) => finished.get(s.id) ?? { id: s.id, title: s.title, status: 'pending' as const, attempts: 0 },
  );
  state.planHistory.push({
    version: plan.version,
    reason: clip(reason),
    steps: plan.steps,
    ...(changes ? { changes } : {}),
  });
  if (state.planHistory.length > MAX_PLAN_HISTORY)
    state.planHistory.splice(0, state.planHistory.length - MAX_PLAN_HISTORY);
}

/**
 * A revision's plan: the finished steps of the current plan, unchanged, then the new remaining steps.
 * New steps may not reuse a finished step's id (finished steps are never rewritten).
 */
export function revisedPlan(state: RunState, steps: Plan['steps']): { plan: Plan; issues: PlanIssue[] } {
  const status = statusById(state);
  const kept = (state.plan?.steps ?? []).filter((s) => FINISHED.includes(status[s.id] ?? 'pending'));
  const keptIds = new Set(kept.map((s) => s.id));
  const skipped = new Set(kept.filter((s) => status[s.id] === 'skipped').map((s) => s.id));
  const issues = [
    ...steps
      .filter((s) => keptIds.has(s.id))
      .map((s) => ({ stepId: s.id, message: `"${s.id}" is a finished step; give the new step another id` })),
    ...steps
      .filter((s) => s.critical !== false && s.dependsOn.some((dep) => skipped.has(dep)))
      .map((s) => ({
        stepId: s.id,
        message: `depends on skipped step(s) ${s.dependsOn.filter((d) => skipped.has(d)).join(', ')}, so it could never run`,
      })),
  ];
  return {
    plan: { ...(state.plan?.rationale ? { rationale: state.plan.rationale } : {}), steps: [...kept, ...steps] },
    issues,
  };
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

/** Everything a run carries across `continueAsNew`: its state and the bookkeeping behind its decisions. */
export interface RunMemory {
  state: RunState;
  /** What the worker offered at the start (tools, registered search attributes). */
  worker?: { tools: ToolSummary[]; searchAttributes: string[] };
  /** Step failures since the last success. */
  failuresInARow: number;
  /** Steps a person has already decided about. */
  escalated: string[];
  /** A goal change not acted on yet. */
  goalChange?: { goal: string; reason?: string };
  /** With `review: 'every-step'`: the step after which the replanner is due. */
  reviewAfter?: string;
  /** With a `horizon`: the plan version after whose steps the replanner chose to add none. */
  horizonReached?: number;
  /**
   * Open steps may use only the tools their step names, and every executor call is admitted first: set when the
   * run starts (runs started before 0.9.0, whose plans name no tools, keep offering every tool to the end).
   */
  toolPermissions?: boolean;
  /** Tool calls that have waited for approval so far: numbers each call's id (absent while none has). */
  toolCallsAsked?: number;
}

/** The memory of a run that has just started. */
export function newMemory(goal: string): RunMemory {
  return { state: initialState(goal), failuresInARow: 0, escalated: [] };
}

/** Marks every step that has not finished (pending or running) as cancelled, saying why. */
export function cancelUnfinished(state: RunState, why: string): void {
  for (const step of state.steps) {
    if (step.status === 'pending' || step.status === 'running') {
      Object.assign(step, { status: 'cancelled', error: step.error ?? why });
    }
  }
}

/** A versioned plan as the planner sees it: without its version number. */
export function withoutVersion({ version: _version, ...plan }: VersionedPlan): Plan {
  return plan;
}

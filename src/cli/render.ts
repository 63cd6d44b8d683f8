/**
 * How runs look in a terminal: the plan, the trace as it happens, and the result.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { VersionedPlan } from '../contract/plan.js';
import type { RunEvent, RunState } from '../contract/run-state.js';
import { stateQuery } from '../../workflows/messages.js';

/** The plan as numbered lines: id, title, tool and dependencies. */
export function renderPlan(plan: VersionedPlan): string {
  const lines = [`Plan v${plan.version} (${plan.steps.length} steps)${plan.rationale ? ` — ${plan.rationale}` : ''}`];
  plan.steps.forEach((s, i) => {
    const deps = s.dependsOn.length > 0 ? `  after ${s.dependsOn.join(', ')}` : '';
    lines.push(`  ${i + 1}. ${s.id} — ${s.title} [${s.tool ?? 'executor'}]${deps}`);
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
      `${u.llmCalls} LLM calls (${u.inputTokens} in / ${u.outputTokens} out tokens) · ${u.toolCalls} tool calls`,
  ];
  if (state.failure)
    lines.push(`Failure: ${state.failure.stepId ? `step ${state.failure.stepId}: ` : ''}${state.failure.message}`);
  return lines.join('\n');
}

/**
 * Follows a run by querying its state, printing the plan when it changes and every new event,
 * until the run's result is available. Returns the result.
 */
export async function followRun(
  handle: WorkflowHandle,
  print: (line: string) => void,
  options: { intervalMs?: number } = {},
): Promise<RunState> {
  const seen = new Set<string>();
  let shownPlan = 0;
  let finished = false;
  const result = handle.result().finally(() => (finished = true)) as Promise<RunState>;
  const show = (state: RunState) => {
    for (const event of state.events) {
      const key = `${event.at}|${event.type}|${event.stepId ?? ''}|${event.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      print(renderEvent(event));
      if (event.type === 'plan-adopted' && state.plan && state.plan.version > shownPlan) {
        shownPlan = state.plan.version;
        print(renderPlan(state.plan));
      }
    }
  };
  while (!finished) {
    try {
      show(await handle.query(stateQuery));
    } catch {
      // The run may not have had its first workflow task yet, or has just closed.
    }
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, options.intervalMs ?? 250))]);
  }
  const state = await result;
  show(state);
  return state;
}

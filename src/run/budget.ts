/**
 * Budgets: when a run may no longer call a model, and the answer it gives without one.
 */
import type { ResolvedRunInput } from '../contract/run-input.js';
import type { RunState, Usage } from '../contract/run-state.js';

/** Says why the budget is spent, or undefined while model calls are still allowed. */
export function budgetSpent(usage: Usage, budget: ResolvedRunInput['budget']): string | undefined {
  if (budget?.llmCalls !== undefined && usage.llmCalls >= budget.llmCalls) {
    return `the budget of ${budget.llmCalls} LLM calls is spent`;
  }
  const tokens = usage.inputTokens + usage.outputTokens;
  if (budget?.tokens !== undefined && tokens >= budget.tokens) {
    return `the budget of ${budget.tokens} tokens is spent (${tokens} used)`;
  }
  return undefined;
}

/** An answer written without a model: what finished, with outputs, and what did not. */
export function answerWithoutModel(state: RunState, why: string): string {
  const lines = [`No final answer was written: ${why}. What the run did:`];
  for (const step of state.steps) {
    const detail =
      step.status === 'succeeded'
        ? `: ${JSON.stringify(step.output ?? null).slice(0, 500)}`
        : step.error
          ? ` (${step.error})`
          : '';
    lines.push(`- ${step.id} — ${step.title}: ${step.status}${detail}`);
  }
  return lines.join('\n');
}

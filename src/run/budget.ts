/**
 * Budgets: when a run may no longer call a model, and the answer it gives without one; and how the estimated
 * cost of a run's model calls reads.
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
  if (budget?.cost !== undefined) return costBudgetSpent(usage, budget.cost);
  return undefined;
}

/** Says why the tool-call budget is spent, or undefined while tool calls are still allowed. */
export function toolBudgetSpent(usage: Usage, budget: ResolvedRunInput['budget']): string | undefined {
  const limit = budget?.toolCalls;
  return limit !== undefined && usage.toolCalls >= limit ? `the budget of ${limit} tool calls is spent` : undefined;
}

/**
 * Says why a cost budget is spent: the estimate reached it, or some calls went to a model without a price, so
 * that the budget cannot be kept (the run stops calling the model rather than spend an unknown amount).
 */
function costBudgetSpent(usage: Usage, budget: number): string | undefined {
  const unpriced = usage.unpricedCalls ?? 0;
  if (unpriced > 0) {
    return (
      `the cost budget of ${usd(budget)} cannot be kept: ${unpriced} LLM call${unpriced === 1 ? '' : 's'} went to a ` +
      'model without a price (add it to PLANWRIGHT_PRICES)'
    );
  }
  const cost = usage.cost ?? 0;
  return cost >= budget ? `the budget of ${usd(budget)} is spent (${usd(cost)} estimated)` : undefined;
}

/**
 * The estimated cost of a run's model calls in a few words: `≈ $0.0042`, with the calls it leaves out when some
 * went to a model without a price, `$0 (free model)` for tokens of a model priced at nothing (the scripted model of
 * the demos and tests, or one `PLANWRIGHT_PRICES` prices at 0), or `cost not estimated` (never a made-up figure).
 * @example costText({ llmCalls: 2, inputTokens: 1200, outputTokens: 300, toolCalls: 0, cost: 0.00036 }) // '≈ $0.00036'
 */
export function costText(usage: Usage): string {
  const unpriced = usage.unpricedCalls ?? 0;
  if (usage.cost === undefined) {
    if (usage.llmCalls === 0) return '$0 (no LLM calls)';
    return unpriced > 0 ? 'cost not estimated (no price for the model; see PLANWRIGHT_PRICES)' : 'cost not estimated';
  }
  // Tokens priced at nothing; a priced model's tokens cost something, however few.
  const tokens = usage.inputTokens + usage.outputTokens;
  if (usage.cost === 0 && unpriced === 0 && tokens > 0) return '$0 (free model)';
  const calls = `${unpriced} LLM call${unpriced === 1 ? '' : 's'}`;
  return unpriced > 0 ? `≈ ${usd(usage.cost)} + ${calls} without a price` : `≈ ${usd(usage.cost)}`;
}

/** US dollars for people: cents from a dollar up, two significant digits below (`$0.00036`, `$0.50`). */
export function usd(amount: number): string {
  if (amount === 0) return '$0';
  if (amount >= 1) return `$${amount.toFixed(2)}`;
  const digits = Math.min(10, Math.max(2, 1 - Math.floor(Math.log10(amount))));
  return `$${amount.toFixed(digits).replace(/(\.\d\d\d*?)0+$/, '$1')}`;
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

/**
 * What model calls cost: token usage, added up, priced, and carried in the details of a failure so that calls
 * which reached the server count however an answer ends.
 */
import { ApplicationFailure } from '@temporalio/common';
import { addCost, type CostFields } from '../contract/run-state.js';
import { costOf, priceOf, DEFAULT_PRICES, type PriceTable } from './prices.js';

/** What model calls cost: how many were made, their tokens and estimated cost. Adds into a run's `usage`. */
export interface TokenUsage extends CostFields {
  llmCalls: number;
  inputTokens: number;
  outputTokens: number;
}

/** Told the usage of an answer so far after each call to the server, so that an attempt cut short still counts. */
export type UsageListener = (usageSoFar: TokenUsage) => void;

/** Usage of no call at all. */
export const NO_CALLS: TokenUsage = Object.freeze({ llmCalls: 0, inputTokens: 0, outputTokens: 0 });

/** Adds two usage records. */
export function addTokenUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    llmCalls: a.llmCalls + b.llmCalls,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    ...addCost(a, b),
  };
}

/** Usage of `model`'s calls with their estimated cost, or counted as unpriced when the table has no price for it. */
export function pricedUsage(usage: TokenUsage, model: string, prices: PriceTable = DEFAULT_PRICES): TokenUsage {
  if (usage.llmCalls === 0) return usage;
  const price = priceOf(model, prices);
  return price ? { ...usage, cost: costOf(usage, price) } : { ...usage, unpricedCalls: usage.llmCalls };
}

/** The usage a model failure reports in its details (calls that reached the server count, failed or not). */
export function usageOfFailure(err: unknown): TokenUsage {
  const details =
    err instanceof ApplicationFailure ? (err.details?.[0] as { usage?: TokenUsage } | undefined) : undefined;
  return details?.usage ?? NO_CALLS;
}

/** The same failure, reporting `usage` in its details so that the run can count it. */
export function withUsage(err: unknown, usage: TokenUsage): unknown {
  if (!(err instanceof ApplicationFailure)) return err;
  const { type, message, nonRetryable, nextRetryDelay, cause } = err;
  return ApplicationFailure.create({
    ...(type ? { type } : {}),
    message,
    nonRetryable: nonRetryable ?? false,
    ...(nextRetryDelay != null ? { nextRetryDelay } : {}),
    ...(cause ? { cause } : {}),
    details: [{ usage }],
  });
}

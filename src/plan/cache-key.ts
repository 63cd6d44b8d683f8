/**
 * What makes two planning requests the same, for the plan cache. Pure.
 */
import type { Json } from '../contract/plan.js';
import type { ToolInfo } from '../contract/tools.js';

/** The parts of a planning request a cached plan must match. */
export interface PlanCacheQuery {
  goal: string;
  context?: string | { [key: string]: Json };
  tools: readonly Pick<ToolInfo, 'name' | 'inputSchema'>[];
  maxSteps: number;
  /**
   * Set by runs that ask for approval: they keep a plan only once a person approved it, so a plan found under
   * such a query was approved before, and the run need not ask again. A store must keep these apart.
   */
  approved?: boolean;
}

/** Serializes a value with object keys sorted, so equal values give equal text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * The canonical text of a query: the same goal, context, tools (with schemas), step limit and approval give the
 * same text (queries without approval keep the text they had before it was part of the key).
 */
export function planCacheText(query: PlanCacheQuery): string {
  return canonical({
    goal: query.goal.trim(),
    context: query.context ?? null,
    tools: query.tools.map((t) => ({ name: t.name, inputSchema: t.inputSchema })),
    maxSteps: query.maxSteps,
    ...(query.approved ? { approved: true } : {}),
  });
}

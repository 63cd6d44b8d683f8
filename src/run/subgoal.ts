/**
 * Sub-goals: what a child run is started with, what it is called, and what its end means for the parent's step.
 * Pure; `workflows/subgoal.ts` starts the child and records the outcome.
 */
import type { Json, Step } from '../contract/plan.js';
import type { ResolvedRunInput, RunInput } from '../contract/run-input.js';
import type { RunResult, RunState, Usage } from '../contract/run-state.js';

/** A step that is a sub-goal. */
export type SubgoalStep = Step & { subgoal: string };

/**
 * The child run's workflow id: the parent's, then the step's id, so the Web UI lists them side by side. A step
 * run again (after a failure) gets a numbered id, so each of its runs keeps its own page.
 * @example subgoalWorkflowId('trip-42', 'book_hotel', 0) // 'trip-42--book_hotel'
 */
export function subgoalWorkflowId(parentWorkflowId: string, stepId: string, runsBefore: number): string {
  return `${parentWorkflowId}--${stepId}${runsBefore > 0 ? `-${runsBefore + 1}` : ''}`;
}

/**
 * The input of a sub-goal's run. Its goal is the step's sub-goal; its context says what it is part of and carries
 * the outputs of the steps it depends on. It inherits the parent's options, with the approval policy
 * `subgoals.approval` sets, one level of sub-goals less, and what is left of the parent's budget.
 */
export function subgoalInput(parent: ResolvedRunInput, state: RunState, step: SubgoalStep): RunInput {
  // Every other option (timeouts, limits, review, checks, the plan cache...) is the parent's as it is.
  const { goal, context: parentContext, approval, approveTools, budget, subgoals, ...inherited } = parent;
  const inputs = state.steps.filter((s) => step.dependsOn.includes(s.id) && s.output !== undefined);
  const context: Record<string, Json> = {
    partOf: state.goal,
    step: step.title,
    ...(step.description !== undefined ? { description: step.description } : {}),
    ...(step.successCriterion !== undefined ? { successCriterion: step.successCriterion } : {}),
    ...(parentContext !== undefined ? { parentContext } : {}),
    ...(inputs.length > 0 ? { inputs: Object.fromEntries(inputs.map((s) => [s.id, s.output as Json])) } : {}),
  };
  return {
    ...inherited,
    goal: step.subgoal,
    context,
    approval: subgoals.approval === 'inherit' ? approval : subgoals.approval,
    ...(approveTools.length > 0 ? { approveTools } : {}),
    ...(budget ? { budget: budgetLeft(budget, state.usage) } : {}),
    subgoals: { ...subgoals, maxDepth: subgoals.maxDepth - 1 },
  };
}

/**
 * What is left of a budget after `used`. The parent starts a sub-goal only while its budget allows a model call,
 * so each limit left is at least one call, one token, or a fraction of a cent.
 */
function budgetLeft(budget: NonNullable<ResolvedRunInput['budget']>, used: Usage): RunInput['budget'] {
  return {
    ...(budget.llmCalls !== undefined ? { llmCalls: Math.max(1, budget.llmCalls - used.llmCalls) } : {}),
    ...(budget.tokens !== undefined
      ? { tokens: Math.max(1, budget.tokens - used.inputTokens - used.outputTokens) }
      : {}),
    ...(budget.cost !== undefined ? { cost: Math.max(1e-6, budget.cost - (used.cost ?? 0)) } : {}),
    // A sub-goal's tool calls count toward its parent's budget: the child may make what is left (at least one).
    ...(budget.toolCalls !== undefined ? { toolCalls: Math.max(1, budget.toolCalls - used.toolCalls) } : {}),
  };
}

/** What a sub-goal's run came to, for its step: the answer as the output, or why it did not finish. */
export type SubgoalOutcome = { usage: Partial<Usage> } & ({ ok: true; output: Json } | { ok: false; error: string });

/** The outcome of a sub-goal's run that returned a result: completed is its answer; any other end is a failure. */
export function subgoalOutcome(workflowId: string, result: RunResult): SubgoalOutcome {
  if (result.status === 'completed') return { ok: true, output: result.answer ?? '', usage: result.usage };
  const why = result.failure?.message ?? 'no reason recorded';
  return { ok: false, error: `the sub-goal run ${workflowId} ended ${result.status}: ${why}`, usage: result.usage };
}

/**
 * The replanner's decision: carry on, replace the remaining steps, or finish with an answer.
 */
import { z } from 'zod';
import { planFromWire, wirePlanSchema, type PlanIssue, type Step } from './plan.js';

/** What the replanner decided. Finished steps are never part of `steps`: they are kept as they are. */
export type ReplanDecision =
  | { action: 'continue'; reason: string }
  | { action: 'revise'; steps: Step[]; reason: string }
  | { action: 'finish'; answer: string; reason: string };

/** The decision as a model writes it (strict structured output: every key present, nulls for unused ones). */
export const WireReplanDecisionSchema = z.object({
  action: z.enum(['continue', 'revise', 'finish']),
  reason: z.string(),
  answer: z.string().nullable().describe('the final answer, when action is finish'),
  steps: wirePlanSchema().shape.steps.nullable().describe('the new remaining steps, when action is revise'),
});

/** A decision as a model writes it. */
export type WireReplanDecision = z.infer<typeof WireReplanDecisionSchema>;

/** Turns the model's decision into a {@link ReplanDecision}, or lists what is wrong with it. */
export function replanFromWire(wire: WireReplanDecision): { decision?: ReplanDecision; issues: PlanIssue[] } {
  if (wire.action === 'continue') return { decision: { action: 'continue', reason: wire.reason }, issues: [] };
  if (wire.action === 'finish') {
    if (!wire.answer?.trim()) return { issues: [{ message: 'action "finish" needs an answer' }] };
    return { decision: { action: 'finish', answer: wire.answer, reason: wire.reason }, issues: [] };
  }
  if (!wire.steps || wire.steps.length === 0) {
    return { issues: [{ message: 'action "revise" needs the new remaining steps' }] };
  }
  const { plan, issues } = planFromWire({ rationale: null, steps: wire.steps });
  if (!plan) return { issues };
  return { decision: { action: 'revise', steps: plan.steps, reason: wire.reason }, issues };
}

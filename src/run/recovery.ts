/**
 * What to do when a step has failed for good (its retries are spent). Pure decisions; the workflow acts.
 *
 * The order: the step's fallback tool; skip it if it is not critical; ask a person when the run escalates
 * to people; replan while replans are left; otherwise end the run with what was done. Two failures in a
 * row go past skipping, even for non-critical steps, because the plan itself is likely wrong.
 */
import type { Step } from '../contract/plan.js';
import type { StepStatus } from '../contract/run-state.js';

/** The next move after a step failed for good. */
export type Recovery =
  { action: 'fallback' } | { action: 'skip' } | { action: 'escalate' } | { action: 'replan' } | { action: 'give-up' };

/** What the decision is based on. */
export interface FailureFacts {
  step: Pick<Step, 'critical' | 'fallback'>;
  /** The fallback tool has already been tried (and failed) for this step. */
  fallbackTried: boolean;
  escalation: 'replan' | 'human';
  /** A person has already decided about this step once. */
  escalated: boolean;
  replansLeft: number;
  /** Step failures since the last success, this one included. */
  failuresInARow: number;
}

/** Failures in a row after which even a non-critical step's failure leads to a replan. */
export const FAILURES_BEFORE_REPLAN = 2;

/** Chooses how to recover from a step that failed for good. */
export function decideRecovery(facts: FailureFacts): Recovery {
  if (facts.step.fallback && !facts.fallbackTried) return { action: 'fallback' };
  const critical = facts.step.critical !== false;
  const streak = facts.failuresInARow >= FAILURES_BEFORE_REPLAN;
  if (!critical && (!streak || facts.replansLeft === 0)) return { action: 'skip' };
  if (facts.escalation === 'human' && !facts.escalated) return { action: 'escalate' };
  if (facts.replansLeft > 0) return { action: 'replan' };
  return critical ? { action: 'give-up' } : { action: 'skip' };
}

/**
 * What skipping a step does to the steps after it: dependents that are not critical are skipped too
 * (and theirs, in turn); a critical dependent cannot run, so it blocks the plan.
 */
export function effectsOfSkip(
  steps: ReadonlyArray<Pick<Step, 'id' | 'dependsOn' | 'critical'>>,
  skippedId: string,
  status: Readonly<Record<string, StepStatus>>,
): { skip: string[]; blocked: string[] } {
  const skip: string[] = [];
  const blocked: string[] = [];
  const gone = new Set([skippedId]);
  let changed = true;
  while (changed) {
    changed = false;
    for (const step of steps) {
      if (status[step.id] !== 'pending' || gone.has(step.id) || blocked.includes(step.id)) continue;
      if (!step.dependsOn.some((dep) => gone.has(dep))) continue;
      if (step.critical === false) {
        skip.push(step.id);
        gone.add(step.id);
        changed = true;
      } else blocked.push(step.id);
    }
  }
  return { skip, blocked };
}

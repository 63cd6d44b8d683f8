/**
 * Recovery from a step that failed for good (its retries, and its fallback tool, are spent): the choice —
 * skip it if it is not critical, ask a person when the run escalates to people, replan while replans are
 * left, or end the run with what was done — is the pure `decideRecovery`; the run loop routes on it. Skipping
 * and retrying a step are here too.
 */
import { decideRecovery } from '../src/run/recovery.js';
import type { Move, Outcome } from '../src/run/route.js';
import type { Run } from './run.js';

/** Chooses how to recover from the next failed step. */
export async function recover(run: Run): Promise<Outcome> {
  const id = run.takeFailed();
  const record = run.state.steps.find((s) => s.id === id);
  const failure = { stepId: id, message: record?.error ?? 'step failed' };
  // A replan since has dropped or reset the step: nothing to recover.
  if (record?.status !== 'failed') return { of: 'recover', stepId: id, failure, choice: 'nothing-to-do' };
  const choice = decideRecovery({
    step: run.planStep(id),
    fallbackTried: true, // the fallback is tried as soon as the step fails (see runStep)
    escalation: run.input.escalation,
    escalated: run.escalated(id),
    replansLeft: run.replansLeft(),
    failuresInARow: run.failuresInARow,
  });
  return { of: 'recover', stepId: id, failure, choice: choice.action };
}

/** Skips a step and the non-critical steps that depend on it; reports the critical ones that cannot run now. */
export async function skip(run: Run, { stepId, why }: Extract<Move, { to: 'skip' }>): Promise<Outcome> {
  return { of: 'skip', stepId, blocked: run.skip(stepId, why) };
}

/** Sets a failed step back to pending, so the scheduler runs it again. */
export async function retry(run: Run, { stepId }: Extract<Move, { to: 'retry' }>): Promise<Outcome> {
  run.retry(stepId);
  return { of: 'retried' };
}

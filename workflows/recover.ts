/**
 * Recovery from a step that failed for good (its retries, and its fallback tool, are spent): skip it if
 * it is not critical, ask a person when the run escalates to people, replan while replans are left, or
 * end the run with what was done. The choice is the pure `decideRecovery`; this file acts on it.
 */
import type { RunStatus } from '../src/contract/run-state.js';
import { decideRecovery, effectsOfSkip } from '../src/run/recovery.js';
import { statusById, stepState } from '../src/run/state.js';
import { escalate } from './people.js';
import { afterReplanner, consultReplanner, type Failure } from './replan.js';
import { giveUp } from './report.js';
import type { Run } from './run.js';

/**
 * Recovers from the failure of step `id`.
 * @returns the status the run ends with, or undefined when it goes on.
 */
export async function recover(run: Run, id: string): Promise<RunStatus | undefined> {
  const record = run.state.steps.find((s) => s.id === id);
  if (record?.status !== 'failed') return undefined; // a replan since has dropped or reset it
  const failure = { stepId: id, message: record.error ?? 'step failed' };
  const choice = decideRecovery({
    step: run.planStep(id),
    fallbackTried: true, // the fallback is tried as soon as the step fails (see runStep)
    escalation: run.input.escalation,
    escalated: run.memory.escalated.includes(id),
    replansLeft: run.replansLeft(),
    failuresInARow: run.memory.failuresInARow,
  });
  switch (choice.action) {
    case 'skip':
      return skipStep(run, id, `it is not critical (${failure.message})`);
    case 'replan':
      return replanOrGiveUp(run, `step "${id}" failed: ${failure.message}`, failure);
    case 'give-up': // a critical step, and no replans left
    case 'fallback': // tried when the step ran
      return giveUp(run, { ...failure, message: `${failure.message}; no replans left` });
    case 'escalate':
      return askAPerson(run, failure);
  }
}

/** Escalates a failed step to a person and acts on the decision. */
async function askAPerson(run: Run, failure: Required<Failure>): Promise<RunStatus | undefined> {
  const id = failure.stepId;
  const decision = await escalate(run, id, failure.message);
  if (decision === 'retry' || decision === 'goal-changed') return (retryStep(run, id), undefined);
  if (decision === 'skip') return skipStep(run, id, 'a person chose to skip it');
  if (decision === 'abort')
    return giveUp(run, { stepId: id, message: `aborted by a person after: ${failure.message}` });
  return replanOrGiveUp(run, `step "${id}" failed: ${failure.message}`, failure);
}

/** Skips a step and the non-critical steps that depend on it; a critical dependent means replanning. */
async function skipStep(run: Run, id: string, why: string): Promise<RunStatus | undefined> {
  const { state } = run;
  stepState(state, id).status = 'skipped';
  run.note('step-skipped', `${id} skipped: ${why}`, id);
  const { skip, blocked } = effectsOfSkip(run.plan.steps, id, statusById(state));
  for (const other of skip) {
    Object.assign(stepState(state, other), { status: 'skipped', error: `depends on skipped step "${id}"` });
    run.note('step-skipped', `${other} skipped: it depends on "${id}"`, other);
  }
  if (blocked.length === 0) return undefined;
  const failure = { stepId: id, message: `critical steps ${blocked.join(', ')} depend on skipped step "${id}"` };
  return replanOrGiveUp(run, failure.message, failure);
}

/** Replans while replans are left (a "continue" tries the failed step again); otherwise ends the run. */
async function replanOrGiveUp(run: Run, reason: string, failure: Failure): Promise<RunStatus | undefined> {
  if (run.replansLeft() <= 0) return giveUp(run, { ...failure, message: `${failure.message}; no replans left` });
  const outcome = await consultReplanner(run, reason, { failure, counts: 'always' });
  if (outcome === 'continue' && failure.stepId && stepState(run.state, failure.stepId).status === 'failed') {
    retryStep(run, failure.stepId);
  }
  return afterReplanner(run, outcome, failure);
}

/** Sets a failed step back to pending, so the scheduler runs it again. */
function retryStep(run: Run, id: string): void {
  const record = stepState(run.state, id);
  record.status = 'pending';
  delete record.error;
}

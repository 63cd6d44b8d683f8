/**
 * Reporting: how a run ends. The synthesizer writes the answer from what was done; a run that cannot
 * finish ends partial (or failed, when nothing succeeded) with an honest account, with or without a model.
 */
import { ApplicationFailure, allHandlersFinished, condition, isCancellation } from '@temporalio/workflow';
import { ErrorType } from '../src/contract/errors.js';
import { HONEST_TEMPORAL_STATUS, follows } from './patches.js';
import type { RunResult, RunStatus } from '../src/contract/run-state.js';
import { answerWithoutModel } from '../src/run/budget.js';
import { cancelUnfinished } from '../src/run/state.js';
import { llmCall } from './activity-profiles.js';
import { llm, summarized } from './activity-proxies.js';
import type { Run } from './run.js';
import { describeFailure } from './steps.js';

/**
 * Writes the final answer from every step's outcome.
 * @returns completed when every critical step succeeded and nothing failed; partial or failed otherwise.
 */
export async function closeWithAnswer(run: Run): Promise<RunStatus> {
  const { state } = run;
  run.closing = true;
  // Complete: nothing failed, and every critical step succeeded (a person may skip one; then it is partial).
  const complete =
    !state.failure &&
    state.steps.every(
      (s) => s.status === 'succeeded' || (s.status === 'skipped' && run.planStep(s.id).critical === false),
    );
  if (!state.steps.some((s) => s.status === 'succeeded')) return 'failed';
  const refused = run.modelRefused();
  if (refused) return endForBudget(run, refused);
  try {
    const synthesis = await llm.synthesize.executeWithOptions(summarized(llmCall, 'synthesize'), [
      {
        goal: state.goal,
        steps: state.steps.map(({ id, title, status, output, error }) => ({
          id,
          title,
          status,
          ...(output !== undefined ? { output } : {}),
          ...(error !== undefined ? { error } : {}),
        })),
        ...(state.failure ? { failure: state.failure.message } : {}),
      },
    ]);
    run.spend(synthesis.usage);
    state.answer = synthesis.answer;
  } catch (err) {
    if (isCancellation(err)) throw err;
    state.failure ??= { message: `the answer could not be written: ${describeFailure(err)}` };
    state.answer = answerWithoutModel(state, 'the model could not write it');
    return 'partial';
  }
  return complete ? 'completed' : 'partial';
}

/** Ends the run early with what was done: steps not run are cancelled and the answer says why. */
export async function giveUp(run: Run, failure: { stepId?: string; message: string }): Promise<RunStatus> {
  run.state.failure = failure;
  cancelUnfinished(run.state, 'not run: the run ended early');
  return closeWithAnswer(run);
}

/** The status of a run the replanner finished: partial when a step it gave up on had failed. */
export function finishedStatus(run: Run): RunStatus {
  const { state } = run;
  const failed = state.steps.find((s) => s.status === 'failed');
  if (!failed) return 'completed';
  state.failure ??= { stepId: failed.id, message: failed.error ?? 'step failed' };
  return 'partial';
}

/** Ends the run partial because the budget is spent, with an answer written without the model. */
export async function endForBudget(run: Run, why: string): Promise<'partial'> {
  const { state } = run;
  run.note('budget-spent', why);
  state.failure ??= { message: why };
  cancelUnfinished(state, `not run: ${why}`);
  state.answer = answerWithoutModel(state, why);
  return 'partial';
}

/** Ends a run that has nothing left it can run: the budget is spent, or the remaining steps are blocked. */
export async function stalled(run: Run): Promise<RunStatus> {
  const why = run.modelRefused();
  if (why) return endForBudget(run, why);
  return giveUp(run, { message: 'no step can run: the remaining steps wait on steps that did not finish' });
}

/**
 * Records the final status and returns the result once every message handler has finished. A failed or
 * rejected run fails, in Temporal's own status too, with the result as the failure's first detail, so that no
 * list shows it as completed (runs started before this rule keep completing).
 * @throws {ApplicationFailure} `RunFailed` or `RunRejected` (not retryable), carrying the RunResult.
 */
export async function finish(run: Run, status: RunStatus): Promise<RunResult> {
  const { state } = run;
  cancelUnfinished(state, `not run: the run ended ${status}`);
  state.status = status;
  run.note('run-finished', `run ${status}${state.failure ? `: ${state.failure.message}` : ''}`);
  await condition(allHandlersFinished);
  if ((status === 'failed' || status === 'rejected') && follows(HONEST_TEMPORAL_STATUS)) {
    throw ApplicationFailure.create({
      type: status === 'failed' ? ErrorType.RunFailed : ErrorType.RunRejected,
      nonRetryable: true,
      message: `run ${status}: ${state.failure?.message ?? 'no reason recorded'}`,
      details: [state],
    });
  }
  return state;
}

/**
 * Reporting: how a run ends. The synthesizer writes the answer from what was done; a run that cannot
 * finish ends partial (or failed, when nothing succeeded) with an honest account, with or without a model.
 */
import { ApplicationFailure, allHandlersFinished, condition, isCancellation } from '@temporalio/workflow';
import { ErrorType } from '../src/contract/errors.js';
import { HONEST_TEMPORAL_STATUS, follows } from './patches.js';
import type { RunResult, RunStatus } from '../src/contract/run-state.js';
import { answerWithoutModel } from '../src/run/budget.js';
import type { Failure } from '../src/run/ledger.js';
import type { Move, Outcome } from '../src/run/route.js';
import { llmCall } from './activity-profiles.js';
import { llm, summarized } from './activity-proxies.js';
import type { Run } from './run.js';
import { describeFailure } from './steps.js';

/** Writes the final answer once every step has finished. */
export async function report(run: Run): Promise<Outcome> {
  return { of: 'ended', status: await closeWithAnswer(run) };
}

/** Ends the run early with what was done: steps not run are cancelled and the answer says why. */
export async function giveUp(run: Run, { failure }: Extract<Move, { to: 'give-up' }>): Promise<Outcome> {
  return { of: 'ended', status: await endEarly(run, failure) };
}

/** Ends a run that has nothing left it can run: the budget is spent, or the remaining steps are blocked. */
export async function stalled(run: Run): Promise<Outcome> {
  const why = run.modelRefused() ?? run.toolsRefused();
  if (why) return { of: 'ended', status: endForBudget(run, why) };
  const failure = { message: 'no step can run: the remaining steps wait on steps that did not finish' };
  return { of: 'ended', status: await endEarly(run, failure) };
}

/** Ends the run partial because the budget is spent, with an answer written without the model. */
export async function budget(run: Run, { why }: Extract<Move, { to: 'budget' }>): Promise<Outcome> {
  return { of: 'ended', status: endForBudget(run, why) };
}

/** Ends a run the replanner finished: partial when a step it gave up on had failed, or a step was skipped. */
export async function finishedByReplanner(run: Run): Promise<Outcome> {
  const failed = run.state.steps.find((s) => s.status === 'failed');
  if (!failed)
    return { of: 'ended', status: run.state.steps.some((s) => s.status === 'skipped') ? 'partial' : 'completed' };
  run.failUnlessFailed({ stepId: failed.id, message: failed.error ?? 'step failed' });
  return { of: 'ended', status: 'partial' };
}

/**
 * Writes the final answer from every step's outcome.
 * @returns completed when every critical step succeeded and nothing failed; partial or failed otherwise.
 */
async function closeWithAnswer(run: Run): Promise<RunStatus> {
  const { state } = run;
  run.startClosing();
  // Complete: nothing failed and every step succeeded; a step skipped, critical or not, makes the answer partial.
  const complete = !state.failure && state.steps.every((s) => s.status === 'succeeded');
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
    run.answer(synthesis.answer);
  } catch (err) {
    if (isCancellation(err)) throw err;
    run.failUnlessFailed({ message: `the answer could not be written: ${describeFailure(err)}` });
    run.answer(answerWithoutModel(state, 'the model could not write it'));
    return 'partial';
  }
  return complete ? 'completed' : 'partial';
}

/** Ends the run early with what was done: steps not run are cancelled and the answer says why. */
function endEarly(run: Run, failure: Failure): Promise<RunStatus> {
  run.fail(failure);
  run.cancelUnfinished('not run: the run ended early');
  return closeWithAnswer(run);
}

/** Ends the run partial because the budget is spent, with an answer written without the model. */
function endForBudget(run: Run, why: string): 'partial' {
  run.note('budget-spent', why);
  run.failUnlessFailed({ message: why });
  run.cancelUnfinished(`not run: ${why}`);
  run.answer(answerWithoutModel(run.state, why));
  return 'partial';
}

/**
 * Records the final status and returns the result once every message handler has finished. A failed or
 * rejected run fails, in Temporal's own status too, with the result as the failure's first detail, so that no
 * list shows it as completed (runs started before this rule keep completing).
 * @throws {ApplicationFailure} `RunFailed` or `RunRejected` (not retryable), carrying the RunResult.
 */
export async function finish(run: Run, status: RunStatus): Promise<RunResult> {
  const { state } = run;
  run.end(status);
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

/**
 * Output checks: after a step's tool (or the executor) returns, its output is checked against the step's success
 * criterion — a checkable criterion (`$.path op value`) right here when the output is in the history, otherwise
 * by the `checkOutput` activity (which loads stored outputs and asks the model about criteria in words). A failed
 * check is a failed step, and goes through the same recovery as any other failure.
 */
import { isCancellation } from '@temporalio/workflow';
import { isOutputRef } from '../src/contract/output.js';
import type { Step } from '../src/contract/plan.js';
import { criterionProblem, parseCriterion } from '../src/plan/criterion.js';
import { llmCall } from './activity-profiles.js';
import { llm, summarized } from './activity-proxies.js';
import { OUTPUT_CHECKS, follows } from './patches.js';
import type { Run } from './run.js';
import type { StepOutcome } from '../src/run/ledger.js';
import { describeFailure, usageOf } from './steps.js';

/** Whether an outcome has anything to be checked: a successful output of a step with a criterion, checks on. */
export function checkApplies(run: Run, step: Step, outcome: StepOutcome): boolean {
  return outcome.ok && Boolean(step.successCriterion) && run.input.checks;
}

/**
 * Checks a successful outcome against the step's success criterion; a failed check turns it into a failure that
 * says why. Outcomes that failed, steps without a criterion, and runs with `checks: false` pass unchanged.
 */
export async function checked(run: Run, step: Step, outcome: StepOutcome, position: string): Promise<StepOutcome> {
  const criterion = step.successCriterion;
  if (!outcome.ok || !criterion || !checkApplies(run, step, outcome) || !follows(OUTPUT_CHECKS)) return outcome;
  const failed = (why: string): StepOutcome => ({
    ok: false,
    error: `its output failed the check "${criterion}": ${why}`,
    attempts: outcome.attempts,
    usage: outcome.usage,
  });
  const check = parseCriterion(criterion);
  if (check && !isOutputRef(outcome.output)) {
    const problem = criterionProblem(outcome.output, check);
    if (problem) return failed(problem);
    run.note('step-checked', `${step.id} passed its check: ${criterion}`, step.id);
    return outcome;
  }
  const refused = check ? undefined : run.modelRefused();
  if (refused) {
    run.note('step-checked', `${step.id} was not checked (${refused}); its output is kept as it is`, step.id);
    return outcome;
  }
  try {
    const verdict = await llm.checkOutput.executeWithOptions(summarized(llmCall, `${position} · check`), [
      {
        goal: run.state.goal,
        step: { id: step.id, title: step.title, ...(step.description ? { description: step.description } : {}) },
        criterion,
        output: outcome.output,
      },
    ]);
    run.spend(verdict.usage);
    if (!verdict.passed) return failed(verdict.reason);
    run.note('step-checked', `${step.id} passed its check: ${verdict.reason}`, step.id);
    return outcome;
  } catch (err) {
    if (isCancellation(err)) throw err;
    run.spend(usageOf(err));
    return failed(`the check could not be made: ${describeFailure(err)}`);
  }
}

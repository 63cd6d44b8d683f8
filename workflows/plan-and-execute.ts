/**
 * `planAndExecute`: the run, in the order it happens. Each phase lives in its own file and works on one
 * `Run` (run.ts), which owns the run's mutable state; decisions are pure functions in `src/run/`.
 *
 *     RunInput ─ check ─▶ plan (plan.ts: cache | planner, validate, revise; learns the worker's tools)
 *                                              │
 *                         approve (people.ts: approval, rejection → revise, goal change → plan again)
 *                                              │
 *           ┌────────────▶ execute (execute.ts: ready steps in parallel; steps.ts: tool, fallback, executor)
 *           │                                  │ quiet
 *           │              next move (src/run/next-move.ts)
 *           ├── goal change / review ── replan (replan.ts: continue | revise | finish)
 *           ├── horizon reached ─────── extend (replan.ts: the next steps, or finish)
 *           ├── failed step ─────────── recover (recover.ts: skip | ask a person | replan | give up)
 *           └── history too long ────── continue as new, carrying `memory` (src/run/state.ts)
 *                                              │ all finished, or nothing can run
 *                                     report (report.ts: synthesize | partial | budget) ─▶ RunResult
 *
 * Messages (people.ts) change the run only through `Run`; the `state` query returns `run.state`.
 */
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  workflowInfo,
} from '@temporalio/workflow';
import { ErrorType } from '../src/contract/errors.js';
import { InvalidRunInputError, parseRunInput, type RunInput } from '../src/contract/run-input.js';
import type { RunResult, RunStatus } from '../src/contract/run-state.js';
import { nextMove, type NextMove } from '../src/run/next-move.js';
import { InvalidResumeError, parseRunMemory } from '../src/run/resume.js';
import { cancelUnfinished, newMemory, type RunMemory } from '../src/run/state.js';
import { executeUntilQuiet } from './execute.js';
import { approveInitialPlan, wireMessages } from './people.js';
import { describeWorker, describedWhilePlanning, planFromCache, planUntilValid, rememberPlan } from './plan.js';
import { recover } from './recover.js';
import { extendPlan, replanForNewGoal, reviewAfterStep } from './replan.js';
import { HONEST_TEMPORAL_STATUS, follows } from './patches.js';
import { closeWithAnswer, finish, stalled } from './report.js';
import { Run } from './run.js';

/**
 * Plans and executes a goal; see the contract in DESIGN.md. `resume` is internal: what a run carries
 * across continue-as-new.
 * @throws {ApplicationFailure} `InvalidRunInput` (non-retryable) when the input is not valid.
 */
export async function planAndExecute(rawInput: RunInput, resume?: RunMemory): Promise<RunResult> {
  const input = checked(() => parseRunInput(rawInput), InvalidRunInputError, ErrorType.InvalidRunInput);
  const memory =
    resume === undefined
      ? newMemory(input.goal)
      : checked(() => parseRunMemory(resume), InvalidResumeError, ErrorType.InvalidResume);
  const run = new Run(input, rawInput, memory);
  wireMessages(run);
  try {
    run.publish();
    if (!resume) {
      run.note('run-started', `goal: ${input.goal}`);
      const ended = await planAndApprove(run);
      if (ended) return await finish(run, ended);
    }
    for (;;) {
      await executeUntilQuiet(run);
      const move = nextMove({
        goalChanged: run.memory.goalChange !== undefined,
        needsAttention: run.needsAttention.length > 0,
        reviewDue: run.memory.reviewAfter !== undefined,
        mayExtend: run.mayExtend(),
        continueAsNewDue: run.continueAsNewDue(),
        steps: run.state.steps.map((s) => s.status),
      });
      if (move === 'continue-as-new') return await continueAsNewRun(run);
      const ended = await act(run, move);
      if (ended) return await finish(run, ended);
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    cancelUnfinished(run.state, 'the run was cancelled');
    run.state.failure = { message: 'the run was cancelled' };
    // The run's scope is cancelled; finishing (waiting for handlers) must not be.
    const result = await CancellationScope.nonCancellable(() => finish(run, 'cancelled'));
    // The run ends Canceled in Temporal's status; its state query keeps what was done.
    if (follows(HONEST_TEMPORAL_STATUS)) throw err;
    return result;
  }
}

/**
 * The start of a run: plan (or reuse a cached plan), learning the worker's tools with the first planning call,
 * wait for approval when asked, and remember the accepted plan in the plan cache.
 * @returns the status the run ends with, or undefined when its steps may run.
 */
async function planAndApprove(run: Run): Promise<RunStatus | undefined> {
  if (!describedWhilePlanning() && !(await describeWorker(run))) return 'failed';
  const cached = await planFromCache(run);
  if (!cached && !(await planUntilValid(run, 'initial plan'))) return 'failed';
  // A cached plan that a person approved for an earlier run is not put to them again.
  const ended = cached === 'approved' ? undefined : await approveInitialPlan(run);
  if (!ended) await rememberPlan(run, cached !== false);
  return ended;
}

/** Carries out a move of the run loop. @returns the status the run ends with, or undefined when it goes on. */
async function act(run: Run, move: Exclude<NextMove, 'continue-as-new'>): Promise<RunStatus | undefined> {
  switch (move) {
    case 'replan-for-goal':
      return replanForNewGoal(run);
    case 'recover':
      return recover(run, run.needsAttention.shift() as string);
    case 'review':
      return reviewAfterStep(run);
    case 'extend':
      return extendPlan(run);
    case 'report':
      return closeWithAnswer(run);
    case 'stalled':
      return stalled(run);
  }
}

/** Continues as a new run, carrying the run's memory, once every message handler has finished. */
async function continueAsNewRun(run: Run): Promise<never> {
  run.note('continued-as-new', `continuing as a new run after ${workflowInfo().historyLength} history events`);
  await condition(allHandlersFinished);
  return continueAsNew<typeof planAndExecute>(run.rawInput, run.memory);
}

/**
 * Runs a check of what the run was started with; the error it throws for bad data becomes a non-retryable
 * failure of the run (a thrown error would fail every workflow task instead, for ever).
 */
function checked<T>(check: () => T, invalid: new (...args: never[]) => Error, type: ErrorType): T {
  try {
    return check();
  } catch (err) {
    if (!(err instanceof invalid)) throw err;
    throw ApplicationFailure.create({ type, nonRetryable: true, message: err.message });
  }
}

/**
 * `planAndExecute`: the run, as a loop over moves. Each phase lives in its own file, works on one `Run` (run.ts,
 * whose state changes only through the transitions of `RunLedger`, src/run/ledger.ts) and returns what happened;
 * the pure routing table `route` (src/run/route.ts) chooses the next move, and `PHASES` below says which phase
 * carries it out. No phase calls another.
 *
 *     RunInput ─ check ─▶ start (plan.ts: run started; cache lookup) ─▶ plan (plan.ts: planner, validate, revise)
 *                                              │
 *                         approve (people.ts: approval, rejection → plan, goal change → plan) ─▶ remember
 *                                              │
 *           ┌────────────▶ execute (execute.ts: ready steps in parallel; steps.ts: tool, fallback, executor)
 *           │                                  │ quiet
 *           │              next move (src/run/next-move.ts, asked by route)
 *           ├── goal change / review ── replan (replan.ts: continue | revise | finish) ─▶ approve, under 'replans'
 *           ├── horizon reached ─────── replan to extend, or horizon-reached
 *           ├── failed step ─────────── recover (recover.ts) ─▶ skip | escalate (people.ts) | replan | give-up
 *           └── history too long ────── continue as new, carrying the ledger's memory (src/run/state.ts)
 *                                              │ all finished, or nothing can run
 *                            report (report.ts: synthesize | give up | stalled | budget) ─▶ end ─▶ RunResult
 *
 * Messages (people.ts) change the run only through the ledger's transitions; the `state` query returns `run.state`.
 */
import {
  ApplicationFailure,
  CancellationScope,
  continueAsNew,
  isCancellation,
  workflowInfo,
} from '@temporalio/workflow';
import { ErrorType } from '../src/contract/errors.js';
import { InvalidRunInputError, parseRunInput, type RunInput } from '../src/contract/run-input.js';
import type { RunResult } from '../src/contract/run-state.js';
import { InvalidResumeError, resumedMemory } from '../src/run/resume.js';
import { route, type Move, type Outcome, type RouteFacts } from '../src/run/route.js';
import { newMemory, type RunMemory } from '../src/run/state.js';
import { execute } from './execute.js';
import { approve, escalate, wireMessages } from './people.js';
import { plan, remember, start } from './plan.js';
import { recover, retry, skip } from './recover.js';
import { reachHorizon, replan, review } from './replan.js';
import { HONEST_TEMPORAL_STATUS, LAST_STEP_REVIEWED, follows } from './patches.js';
import { budget, finish, finishedByReplanner, giveUp, report, stalled } from './report.js';
import { Run } from './run.js';
import { RunStream, type StreamState } from './stream.js';

/**
 * Plans and executes a goal (docs/architecture.md says how). `resume` is internal: what a run carries across
 * continue-as-new.
 * @throws {ApplicationFailure} `InvalidRunInput` (non-retryable) when the input is not valid.
 */
export async function planAndExecute(rawInput: RunInput, resume?: RunMemory, stream?: StreamState): Promise<RunResult> {
  const input = checked(() => parseRunInput(rawInput), InvalidRunInputError, ErrorType.InvalidRunInput);
  const memory =
    resume === undefined
      ? newMemory(input.goal)
      : checked(
          () => resumedMemory(resume, workflowInfo().continuedFromExecutionRunId),
          InvalidResumeError,
          ErrorType.InvalidResume,
        );
  const run = new Run(input, rawInput, memory);
  const live = new RunStream(run, stream);
  wireMessages(run);
  try {
    run.publish();
    let move: Move = resume ? { to: 'execute' } : { to: 'start' };
    for (;;) {
      if (move.to === 'end') return await finish(run, move.status);
      if (move.to === 'continue-as-new') return await continueAsNewRun(run, live);
      move = route(await perform(run, move), facts(run));
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    run.cancelUnfinished('the run was cancelled');
    run.fail({ message: 'the run was cancelled' });
    // The run's scope is cancelled; finishing (waiting for handlers) must not be.
    const result = await CancellationScope.nonCancellable(() => finish(run, 'cancelled'));
    // The run ends Canceled in Temporal's status; its state query keeps what was done.
    if (follows(HONEST_TEMPORAL_STATUS)) throw err;
    return result;
  }
}

/** A move that a phase carries out (the loop itself ends the run or continues it as new). */
type PhaseMove = Exclude<Move, { to: 'end' | 'continue-as-new' }>;

/** Which phase carries out each move. */
const PHASES: { [To in PhaseMove['to']]: (run: Run, move: Extract<PhaseMove, { to: To }>) => Promise<Outcome> } = {
  start,
  plan,
  approve,
  remember,
  execute,
  recover,
  escalate,
  skip,
  retry,
  review,
  replan,
  'horizon-reached': reachHorizon,
  report,
  'finished-by-replanner': finishedByReplanner,
  'give-up': giveUp,
  stalled,
  budget,
};

/** Carries out a move by calling its phase. */
function perform(run: Run, move: PhaseMove): Promise<Outcome> {
  return (PHASES[move.to] as (run: Run, move: PhaseMove) => Promise<Outcome>)(run, move);
}

/** What routing needs to know about the run now. */
function facts(run: Run): RouteFacts {
  return {
    approval: run.input.approval,
    replansLeft: run.replansLeft(),
    hasPending: run.hasPending(),
    modelRefused: run.modelRefused(),
    failure: run.state.failure,
    horizon: run.input.horizon,
    statusOf: (id) => run.statusOf(id),
    reviewsLastStep: () => follows(LAST_STEP_REVIEWED),
  };
}

/** Continues as a new run, carrying the run's memory and its stream, once every message handler has finished. */
async function continueAsNewRun(run: Run, live: RunStream): Promise<never> {
  run.note('continued-as-new', `continuing as a new run after ${workflowInfo().historyLength} history events`);
  await live.drained();
  return continueAsNew<typeof planAndExecute>(run.rawInput, run.carried(), live.carried());
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

/**
 * Execution: the scheduler that starts every ready step (all its dependencies finished) up to
 * `maxParallel` at once, and the record of one step — its tool (then its fallback tool), the executor
 * for an open step, or a child run for a sub-goal (subgoal.ts), each output checked against the step's
 * success criterion (check.ts) — as it runs, succeeds or fails. How a step runs as activities is in `steps.ts`.
 */
import { isCancellation } from '@temporalio/workflow';
import { STEPS_STARTED_AS_STEPS_FINISH, follows } from './patches.js';
import { admitCalls } from '../src/run/tool-calls.js';
import { legacySchedule } from './legacy-schedulers.js';
import type { Outcome } from '../src/run/route.js';
import type { StepOutcome } from '../src/run/ledger.js';
import type { Json, Step } from '../src/contract/plan.js';
import { readySteps } from '../src/plan/graph.js';
import { findReferences, resolveReferences, UnresolvedReferenceError, type Reference } from '../src/plan/references.js';
import { isOutputRef } from '../src/contract/output.js';
import { outputsById, statusById } from '../src/run/state.js';
import type { Run } from './run.js';
import { runOpenStep, type OpenStep } from './steps.js';
import { callApproved } from './tool-approval.js';
import { checkApplies, checked } from './check.js';
import { runSubgoal } from './subgoal.js';

/** Runs steps until nothing runs, and reports what the run loop needs to choose its next move. */
export async function execute(run: Run): Promise<Outcome> {
  await executeUntilQuiet(run);
  return {
    of: 'executed',
    quiet: {
      goalChanged: run.goalChange !== undefined,
      needsAttention: run.needsAttention,
      reviewDue: run.reviewAfter !== undefined,
      mayExtend: run.mayExtend(),
      continueAsNewDue: run.continueAsNewDue(),
      steps: run.state.steps.map((s) => s.status),
    },
  };
}

/**
 * Starts ready steps (up to the limit) until nothing runs. Stops starting new ones when something needs the
 * run's attention: a failed step, a goal change, a review, or a history long enough to continue as new.
 * Each finished step starts the steps it made ready (runs started before that rule replay with the schedulers of
 * legacy-schedulers.ts).
 */
function executeUntilQuiet(run: Run): Promise<void> {
  if (follows(STEPS_STARTED_AS_STEPS_FINISH)) return startedAsStepsFinish(run);
  return legacySchedule({
    limit: parallelLimit(run),
    paused: () => paused(run),
    ready: (room) => readyToStart(run, room),
    runStep: (step, woken) => runStep(run, step, woken),
  });
}

/**
 * The scheduler of runs started since `STEPS_STARTED_AS_STEPS_FINISH`: the steps that are ready start at once,
 * and each step that finishes starts, in the callback that hears of it, the steps that are ready then. Settles
 * once nothing runs; with the error of a step that threw (after every running step has stopped, when the run
 * was cancelled).
 */
function startedAsStepsFinish(run: Run): Promise<void> {
  const limit = parallelLimit(run);
  const running = new Set<string>();
  let failure: { error: unknown } | undefined;
  return new Promise<void>((resolve, reject) => {
    const startReady = () => {
      if (failure === undefined && !paused(run)) {
        for (const step of readyToStart(run, limit - running.size)) {
          running.add(step.id);
          void runStep(run, step, true, (thrown) => finished(step.id, thrown));
        }
      }
      if (failure !== undefined && (running.size === 0 || !isCancellation(failure.error))) reject(failure.error);
      else if (running.size === 0) resolve();
    };
    const finished = (id: string, error?: { error: unknown }) => {
      running.delete(id);
      failure ??= error;
      try {
        startReady();
      } catch (err) {
        reject(err);
      }
    };
    startReady();
  });
}

/** How many steps may run at once. */
const parallelLimit = (run: Run) => (run.input.review === 'every-step' ? 1 : run.input.maxParallel);

/**
 * Whether something needs the run's attention before more steps start: a failed step, a goal change, a review,
 * or a history long enough to continue as new.
 */
function paused(run: Run): boolean {
  return run.needsAttention || run.goalChange !== undefined || run.reviewAfter !== undefined || run.continueAsNewDue();
}

/** The ready steps that may start now, at most `room` of them; open steps and sub-goals need the model. */
function readyToStart(run: Run, room: number): Step[] {
  return readySteps(run.plan.steps, statusById(run.state))
    .map((id) => run.planStep(id))
    .filter((s) => (s.tool !== undefined ? !run.toolsRefused() : !run.modelRefused()))
    .slice(0, Math.max(0, room));
}

/** How a step tells the scheduler of newer runs that it has ended: with what it threw, if it threw. */
type StepEnded = (failure?: { error: unknown }) => void;

/**
 * Runs one step and records its outcome; a failure is queued for recovery. With `ended`, the step reports its end
 * (and what it threw) there, and its promise always resolves.
 */
async function runStep(run: Run, step: Step, woken: boolean, ended?: StepEnded): Promise<void> {
  try {
    const position = run.position(step.id);
    run.stepStarted(step, position);
    // What the step calls runs inside its span, so its activities and child run hang below the step in a trace
    // (`inStep` hands back the call's own promise: the step awaits exactly what it awaited before).
    const inStep = <T>(call: () => T): T => run.inStep(step.id, call);
    const check = (ran: StepOutcome) => inStep(() => checked(run, step, ran, position));
    let outcome: StepOutcome;
    if (step.subgoal !== undefined) {
      const subgoal = { ...step, subgoal: step.subgoal };
      outcome = await check(await inStep(() => runSubgoal(run, subgoal, position)));
    } else if (step.tool === undefined) {
      outcome = await check(await inStep(() => runOpenStep(openStep(run, step, position))));
    } else {
      const tool = step.tool;
      const called = await inStep(() => callResolved(run, step.id, tool, step.args, `${position} · ${tool}`));
      // Only an output with something to check goes through the check (runs started before: every outcome did).
      outcome = woken && !checkApplies(run, step, called) ? called : await check(called);
      // The fallback is always the first recovery (see decideRecovery), so it is tried right away.
      if (!outcome.ok && step.fallback) {
        const { tool, args } = step.fallback;
        run.fallbackTried(step.id, outcome, tool);
        outcome = await check(
          await inStep(() => callResolved(run, step.id, tool, args, `${position} · fallback ${tool}`)),
        );
      }
    }
    run.stepEnded(step, position, outcome);
  } catch (error) {
    if (!ended) throw error;
    return ended({ error });
  }
  ended?.();
}

/** An open step as the executor is given it: the step, the outputs of the steps it depends on, and the tools. */
function openStep(run: Run, step: Step, position: string): OpenStep {
  const { state } = run;
  const permitted = run.toolPermissions;
  const allowed = step.tools ?? [];
  return {
    goal: state.goal,
    step: {
      id: step.id,
      title: step.title,
      ...(step.description !== undefined ? { description: step.description } : {}),
      ...(step.successCriterion !== undefined ? { successCriterion: step.successCriterion } : {}),
    },
    inputs: state.steps
      .filter((s) => step.dependsOn.includes(s.id))
      .map(({ id, title, status, output }) => ({ id, title, status, ...(output !== undefined ? { output } : {}) })),
    tools: permitted ? run.tools.filter((t) => allowed.includes(t.name)) : run.tools,
    stepTimeout: run.input.stepTimeout,
    position,
    modelRefused: () => run.modelRefused(),
    spend: (usage) => run.spend(usage),
    // Runs started before 0.9.0 offer every tool and run every call, to their end.
    admit: (calls, madeByStep) =>
      permitted
        ? admitCalls(calls, { allowed, madeByStep, budgetLeft: run.toolCallsLeft() })
        : { admitted: [...calls], refused: [] },
    refuse: (call, reason) => run.toolCallRefused(step.id, call, reason),
    call: (call) => callApproved(run, call),
  };
}

/**
 * Calls a tool with the step's references resolved; an unresolvable reference is a failure without a call.
 * References into outputs kept in the output store are resolved by the activity, which loads them.
 */
function callResolved(
  run: Run,
  stepId: string,
  tool: string,
  args: Step['args'],
  summary: string,
): Promise<StepOutcome> {
  const own = run.tools.find((t) => t.name === tool)?.callOptions;
  const call = { stepId, tool, stepTimeout: run.input.stepTimeout, summary, ...(own ? { own } : {}) };
  const given: Json = args ?? {};
  const references = findReferences(given);
  if (references.length === 0) return callApproved(run, { ...call, args: given });
  const outputs = outputsById(run.state);
  const stored = storedReferences(references, outputs);
  if (stored) return callApproved(run, { ...call, args: given, outputs: stored });
  let resolved;
  try {
    resolved = resolveReferences(given, outputs);
  } catch (err) {
    if (!(err instanceof UnresolvedReferenceError)) throw err;
    return Promise.resolve({ ok: false, error: err.message, attempts: 0, usage: {} });
  }
  return callApproved(run, { ...call, args: resolved });
}

/** The outputs the references name, when at least one of them is kept in the output store; otherwise undefined. */
function storedReferences(references: Reference[], outputs: Record<string, Json>): Record<string, Json> | undefined {
  const ids = [...new Set(references.map((r) => r.stepId))].filter((id) => Object.hasOwn(outputs, id));
  if (!ids.some((id) => isOutputRef(outputs[id]))) return undefined;
  return Object.fromEntries(ids.map((id) => [id, outputs[id] as Json]));
}

/**
 * `planAndExecute`: plan a goal, validate the plan, wait for approval when asked, run every ready step
 * (in parallel up to `maxParallel`) as activities, and synthesize an answer from the results.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  allHandlersFinished,
  condition,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
} from '@temporalio/workflow';
import type { Activities, CreatePlanInput, ToolFailureDetails } from '../activities/index.js';
import { ErrorType } from '../src/contract/errors.js';
import type { Plan, PlanIssue, Step, VersionedPlan } from '../src/contract/plan.js';
import { addUsage, type RunEventType, type RunResult, type RunStatus } from '../src/contract/run-state.js';
import {
  InvalidRunInputError,
  parseRunInput,
  type ResolvedRunInput,
  type RunInput,
} from '../src/contract/run-input.js';
import { readySteps } from '../src/plan/graph.js';
import { resolveReferences, UnresolvedReferenceError } from '../src/plan/references.js';
import { formatIssues, validatePlan } from '../src/plan/validate.js';
import {
  adoptPlan,
  initialState,
  outputsById,
  recordEvent,
  renderChecklist,
  statusById,
  stepState,
} from '../src/run/state.js';
import { TOOL_MAX_ATTEMPTS, llmCall, localCall, toolCall } from './activity-profiles.js';
import { approvePlanSignal, rejectPlanSignal, stateQuery } from './messages.js';

const llm = proxyActivities<Activities>(llmCall);
const local = proxyActivities<Activities>(localCall);
const tools = proxyActivities<Activities>(toolCall('5m'));

/** Times the planner may revise a plan that fails validation before the run fails. */
export const MAX_PLAN_REVISIONS = 2;

/**
 * Plans and executes a goal; see the contract in DESIGN.md.
 * @throws {ApplicationFailure} `InvalidRunInput` (non-retryable) when the input is not valid.
 */
export async function planAndExecute(rawInput: RunInput): Promise<RunResult> {
  const input = checkedInput(rawInput);
  const state = initialState(input.goal);
  let decision: { version: number; approved: boolean; feedback?: string } | undefined;

  const note = (type: RunEventType, message: string, stepId?: string) => {
    recordEvent(state, { type, message, at: new Date().toISOString(), ...(stepId ? { stepId } : {}) });
    setCurrentDetails(renderChecklist(state));
  };
  const setStatus = (status: RunStatus) => {
    state.status = status;
    setCurrentDetails(renderChecklist(state));
  };

  setHandler(stateQuery, () => state, { description: 'The live state of the run (same shape as its result).' });
  const onDecision = (version: number, approved: boolean, feedback?: string) => {
    const current = state.plan?.version;
    if (state.status !== 'awaiting-approval' || version !== current) {
      note(
        'signal-ignored',
        `${approved ? 'approval' : 'rejection'} of plan v${version} ignored: ` +
          (state.status !== 'awaiting-approval' ? 'no plan is awaiting approval' : `the current plan is v${current}`),
      );
      return;
    }
    decision = { version, approved, ...(feedback !== undefined ? { feedback } : {}) };
  };
  setHandler(approvePlanSignal, ({ version }) => onDecision(version, true), {
    description: 'Approve the plan with this version so its steps may run.',
  });
  setHandler(rejectPlanSignal, ({ version, feedback }) => onDecision(version, false, feedback), {
    description: 'Reject the plan with this version; the feedback goes back to the planner.',
  });

  note('run-started', `goal: ${input.goal}`);
  try {
    const { tools: catalog } = await local.listTools();
    const toolNames = catalog.map((t) => t.name);

    /** Asks the planner until its plan validates (bounded); adopts it, or ends the run failed. */
    const planUntilValid = async (reason: string, feedback?: string, previous?: Plan): Promise<boolean> => {
      let revise: CreatePlanInput['revise'] =
        feedback !== undefined ? { ...(previous ? { plan: previous } : {}), issues: [], feedback } : undefined;
      let issues: PlanIssue[] = [];
      for (let attempt = 0; attempt <= MAX_PLAN_REVISIONS; attempt++) {
        const out = await llm.createPlan({
          goal: input.goal,
          ...(input.context !== undefined ? { context: input.context } : {}),
          tools: catalog,
          maxSteps: input.maxSteps,
          ...(revise ? { revise } : {}),
        });
        state.usage = addUsage(state.usage, out.usage);
        issues = out.plan ? validatePlan(out.plan, { tools: toolNames, maxSteps: input.maxSteps }) : out.issues;
        if (out.plan && issues.length === 0) {
          const plan: VersionedPlan = { ...out.plan, version: (state.plan?.version ?? 0) + 1 };
          adoptPlan(state, plan);
          state.planHistory.push({ version: plan.version, reason, steps: plan.steps });
          note('plan-adopted', `plan v${plan.version} (${plan.steps.length} steps): ${reason}`);
          return true;
        }
        note('plan-invalid', `the planner's plan is invalid:\n${formatIssues(issues)}`);
        revise = { ...(out.plan ? { plan: out.plan } : {}), issues };
      }
      state.failure = {
        message: `the planner produced no valid plan in ${MAX_PLAN_REVISIONS + 1} attempts:\n${formatIssues(issues)}`,
      };
      return false;
    };

    if (!(await planUntilValid('initial plan'))) return await finish('failed');

    while (input.approval !== 'none') {
      const plan = state.plan as VersionedPlan;
      decision = undefined;
      setStatus('awaiting-approval');
      if (!(await condition(() => decision !== undefined, input.approvalTimeout))) {
        state.failure = { message: `plan v${plan.version} was not approved within ${String(input.approvalTimeout)}` };
        return await finish('rejected');
      }
      const { approved, feedback = '' } = decision as unknown as NonNullable<typeof decision>;
      if (approved) {
        note('plan-approved', `plan v${plan.version} approved`);
        break;
      }
      note('plan-rejected', `plan v${plan.version} rejected: ${feedback}`);
      setStatus('running');
      const { version: _version, ...previous } = plan; // the planner revises a plan, not a version
      if (!(await planUntilValid(`revised after rejection: ${feedback}`, feedback, previous))) {
        return await finish('failed');
      }
    }
    setStatus('running');

    await executePlan(state.plan as VersionedPlan);

    const failed = state.steps.find((s) => s.status === 'failed');
    if (failed) state.failure = { stepId: failed.id, message: failed.error ?? 'step failed' };
    const succeeded = state.steps.some((s) => s.status === 'succeeded');
    if (!succeeded) return await finish('failed');

    const synthesis = await llm.synthesize({
      goal: input.goal,
      steps: state.steps.map(({ id, title, status, output, error }) => ({
        id,
        title,
        status,
        ...(output !== undefined ? { output } : {}),
        ...(error !== undefined ? { error } : {}),
      })),
      ...(state.failure ? { failure: state.failure.message } : {}),
    });
    state.usage = addUsage(state.usage, synthesis.usage);
    state.answer = synthesis.answer;
    return await finish(failed ? 'partial' : 'completed');
  } catch (err) {
    if (!isCancellation(err)) throw err;
    for (const step of state.steps)
      if (step.status === 'running' || step.status === 'pending') step.status = 'cancelled';
    state.failure = { message: 'the run was cancelled' };
    // The run's scope is cancelled; finishing (waiting for handlers) must not be.
    return await CancellationScope.nonCancellable(() => finish('cancelled'));
  }

  /** Runs every ready step, up to `maxParallel` at once, until none is left or one fails. */
  async function executePlan(plan: VersionedPlan): Promise<void> {
    const running = new Map<string, Promise<void>>();
    let halted = false;
    for (;;) {
      if (!halted) {
        const free = input.maxParallel - running.size;
        for (const id of readySteps(plan.steps, statusById(state)).slice(0, Math.max(0, free))) {
          const step = plan.steps.find((s) => s.id === id) as Step;
          const work = runStep(plan, step).then((ok) => {
            halted ||= !ok;
          });
          running.set(
            id,
            work.finally(() => running.delete(id)),
          );
        }
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
    for (const step of state.steps) {
      if (step.status === 'pending') {
        step.status = 'cancelled';
        step.error = 'not run: an earlier step failed';
      }
    }
  }

  /** Runs one step; records its output or its failure. Returns whether it succeeded. */
  async function runStep(plan: VersionedPlan, step: Step): Promise<boolean> {
    const record = stepState(state, step.id);
    const position = `step ${plan.steps.indexOf(step) + 1}/${plan.steps.length}`;
    record.status = 'running';
    note('step-started', `${position} ${step.title}`, step.id);
    try {
      if (step.tool !== undefined) {
        const args = resolveReferences(step.args ?? {}, outputsById(state));
        const out = await tools.runTool.executeWithOptions(
          { ...toolCall(input.stepTimeout), summary: `${position} · ${step.tool}` },
          [{ stepId: step.id, tool: step.tool, args }],
        );
        record.attempts = out.attempt;
        record.output = out.output;
        state.usage = addUsage(state.usage, { toolCalls: out.attempt });
      } else {
        const inputs = state.steps
          .filter((s) => step.dependsOn.includes(s.id))
          .map(({ id, title, status, output }) => ({ id, title, status, ...(output !== undefined ? { output } : {}) }));
        const out = await llm.executeStep.executeWithOptions({ ...llmCall, summary: `${position} · executor` }, [
          {
            goal: input.goal,
            step: {
              id: step.id,
              title: step.title,
              ...(step.description !== undefined ? { description: step.description } : {}),
              ...(step.successCriterion !== undefined ? { successCriterion: step.successCriterion } : {}),
            },
            inputs,
          },
        ]);
        record.attempts = out.attempt;
        record.output = out.output;
        state.usage = addUsage(state.usage, out.usage);
      }
      record.status = 'succeeded';
      note('step-succeeded', `${position} ${step.title} succeeded`, step.id);
      return true;
    } catch (err) {
      if (isCancellation(err)) throw err;
      const attempts = attemptsOf(err);
      record.attempts = attempts;
      record.status = 'failed';
      record.error = describeFailure(err);
      if (step.tool !== undefined && !(err instanceof UnresolvedReferenceError)) {
        state.usage = addUsage(state.usage, { toolCalls: attempts });
      }
      note('step-failed', `${position} ${step.title} failed: ${record.error}`, step.id);
      return false;
    }
  }

  /** Ends the run with this status once every message handler has finished. */
  async function finish(status: RunStatus): Promise<RunResult> {
    state.status = status;
    note('run-finished', `run ${status}${state.failure ? `: ${state.failure.message}` : ''}`);
    await condition(allHandlersFinished);
    return state;
  }
}

/** Validates the input inside the workflow, turning problems into a non-retryable failure. */
function checkedInput(raw: RunInput): ResolvedRunInput {
  try {
    return parseRunInput(raw);
  } catch (err) {
    if (!(err instanceof InvalidRunInputError)) throw err;
    throw ApplicationFailure.create({ type: ErrorType.InvalidRunInput, nonRetryable: true, message: err.message });
  }
}

/** How many attempts a failed step used, from the failure's details or its retry state. */
function attemptsOf(err: unknown): number {
  if (!(err instanceof ActivityFailure)) return err instanceof UnresolvedReferenceError ? 0 : 1;
  const details = err.cause instanceof ApplicationFailure ? (err.cause.details?.[0] as ToolFailureDetails) : undefined;
  if (typeof details?.attempt === 'number') return details.attempt;
  return err.retryState === 'MAXIMUM_ATTEMPTS_REACHED' ? TOOL_MAX_ATTEMPTS : 1;
}

/** One line saying why a step failed, taken from the innermost useful cause. */
function describeFailure(err: unknown): string {
  if (err instanceof ActivityFailure) {
    if (err.cause instanceof TimeoutFailure) return `timed out (${err.cause.timeoutType ?? 'timeout'})`;
    if (err.cause) return err.cause.message;
  }
  return (err as Error)?.message ?? String(err);
}

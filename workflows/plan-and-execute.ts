/**
 * `planAndExecute`: plan a goal, validate the plan, wait for approval when asked, run every ready step
 * (in parallel up to `maxParallel`) as activities, recover from failures (fallback, skip, a person,
 * replanning), and synthesize an answer. Finished steps are kept through every replan and never re-run.
 * Decisions are pure functions in `src/run/`; this file wires handlers and runs the loop.
 */
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { CreatePlanInput } from '../activities/index.js';
import { msToNumber } from '@temporalio/common/lib/time.js';
import { ErrorType } from '../src/contract/errors.js';
import type { PlanIssue, Step, VersionedPlan } from '../src/contract/plan.js';
import {
  InvalidRunInputError,
  parseRunInput,
  type ResolvedRunInput,
  type RunInput,
} from '../src/contract/run-input.js';
import { addUsage, type RunEventType, type RunResult, type RunStatus, type Usage } from '../src/contract/run-state.js';
import { readySteps } from '../src/plan/graph.js';
import { resolveReferences, UnresolvedReferenceError } from '../src/plan/references.js';
import { formatIssues, validatePlan } from '../src/plan/validate.js';
import { decisionProblem, escalationProblem, goalChangeProblem } from '../src/run/admission.js';
import { answerWithoutModel, budgetSpent } from '../src/run/budget.js';
import { decideRecovery, effectsOfSkip } from '../src/run/recovery.js';
import {
  FINISHED,
  adoptPlan,
  cancelUnfinished,
  newMemory,
  outputsById,
  recordEvent,
  renderChecklist,
  revisedPlan,
  statusById,
  stepState,
  withoutVersion,
  type RunMemory,
} from '../src/run/state.js';
import { llmCall, localCall } from './activity-profiles.js';
import { llm, local, summarized } from './activity-proxies.js';
import {
  approvePlanSignal,
  approvePlanUpdate,
  changeGoalSignal,
  changeGoalUpdate,
  rejectPlanSignal,
  rejectPlanUpdate,
  resolveEscalationSignal,
  resolveEscalationUpdate,
  stateQuery,
  type ResolveEscalation,
} from './messages.js';
import { REPLANS_ATTRIBUTE, STATUS_ATTRIBUTE } from './search-attributes.js';
import { callTool, describeFailure, runOpenStep, usageOf, type StepOutcome } from './steps.js';

/** How long a plan stays in the plan cache when `planCache` is `true`. */
export const PLAN_CACHE_TTL_MS = 7 * 24 * 3600 * 1000;

/** Times the planner (or replanner) may answer again after an invalid plan before giving up. */
export const MAX_PLAN_REVISIONS = 2;

/** How a consultation of the replanner ended. */
type Replanned = 'continue' | 'revised' | 'finished' | 'unusable' | Extract<RunStatus, 'rejected' | 'partial'>;

/**
 * Plans and executes a goal; see the contract in DESIGN.md. `resume` is internal: what a run carries
 * across continue-as-new.
 * @throws {ApplicationFailure} `InvalidRunInput` (non-retryable) when the input is not valid.
 */
export async function planAndExecute(rawInput: RunInput, resume?: RunMemory): Promise<RunResult> {
  const input = checkedInput(rawInput);
  const memory = resume ?? newMemory(input.goal);
  const { state } = memory;
  let approval: { approved: boolean; feedback: string } | undefined;
  let resolution: ResolveEscalation | undefined;
  const needsAttention: string[] = []; // steps that failed for good, in the order they failed
  let closing = false; // writing the final answer: goal changes are refused from here on

  // --- What people see: the state query, current details in the Web UI, search attributes.
  let shown = { status: '', replans: -1 };
  const publish = () => {
    setCurrentDetails(renderChecklist(state));
    const registered = memory.worker?.searchAttributes ?? [];
    if (shown.status === state.status && shown.replans === state.replans) return;
    shown = { status: state.status, replans: state.replans };
    const updates = [
      ...(registered.includes(STATUS_ATTRIBUTE.name) ? [{ key: STATUS_ATTRIBUTE, value: state.status }] : []),
      ...(registered.includes(REPLANS_ATTRIBUTE.name) ? [{ key: REPLANS_ATTRIBUTE, value: state.replans }] : []),
    ];
    if (updates.length > 0) upsertSearchAttributes(updates);
  };
  const note = (type: RunEventType, message: string, stepId?: string) => {
    recordEvent(state, { type, message, at: new Date().toISOString(), ...(stepId ? { stepId } : {}) });
    publish();
  };
  const setStatus = (status: RunStatus) => {
    state.status = status;
    publish();
  };
  const spend = (usage: Partial<Usage>) => {
    state.usage = addUsage(state.usage, usage);
  };

  // --- Messages: each decision as a signal (refusals recorded) and as an update (refusals returned).
  setHandler(stateQuery, () => state, { description: 'The live state of the run (same shape as its result).' });
  const handlers = [
    {
      signal: approvePlanSignal,
      update: approvePlanUpdate,
      description: 'Approve the plan with this version so its steps may run.',
      problem: ({ version }: { version: number }) => decisionProblem(state, version),
      accept: () => (approval = { approved: true, feedback: '' }),
    },
    {
      signal: rejectPlanSignal,
      update: rejectPlanUpdate,
      description: 'Reject the plan with this version; the feedback goes back to the planner.',
      problem: ({ version }: { version: number }) => decisionProblem(state, version),
      accept: ({ feedback }: { feedback: string }) => (approval = { approved: false, feedback }),
    },
    {
      signal: changeGoalSignal,
      update: changeGoalUpdate,
      description: 'Change the goal; finished work is kept and the run replans for the new goal.',
      problem: ({ goal }: { goal: string }) => goalChangeProblem(state, goal),
      accept: ({ goal, reason }: { goal: string; reason?: string }) =>
        (memory.goalChange = { goal: goal.trim(), ...(reason ? { reason } : {}) }),
    },
    {
      signal: resolveEscalationSignal,
      update: resolveEscalationUpdate,
      description: 'Decide about the escalated step: retry, skip, replan or abort.',
      problem: ({ stepId, decision }: ResolveEscalation) => escalationProblem(state, stepId, decision),
      accept: (decision: ResolveEscalation) => (resolution = decision),
    },
  ] as const;
  for (const h of handlers) {
    // A malformed argument is a refusal: a handler that throws would fail every replay of the run.
    const problem = (arg: unknown): string | undefined => {
      if (arg === null || typeof arg !== 'object') return 'the message has no argument object';
      if (closing && h.signal === changeGoalSignal) return 'the run is writing its final answer';
      try {
        return (h.problem as (a: unknown) => string | undefined)(arg);
      } catch (err) {
        return `the message is malformed: ${(err as Error).message}`;
      }
    };
    const accept = h.accept as (arg: unknown) => void;
    setHandler(
      h.signal,
      (arg: unknown) => {
        const refused = problem(arg);
        if (refused) note('signal-ignored', `${h.signal.name} ${JSON.stringify(arg)} ignored: ${refused}`);
        else accept(arg);
      },
      { description: h.description },
    );
    setHandler(
      h.update,
      (arg: unknown) => {
        accept(arg);
        return state.status;
      },
      {
        description: h.description,
        validator: (arg: unknown) => {
          const refused = problem(arg);
          if (refused) throw new Error(refused);
        },
      },
    );
  }

  const replansLeft = () => input.maxReplans - state.replans;
  const continueAsNewDue = () => {
    const info = workflowInfo();
    return (
      info.continueAsNewSuggested || (input.historyLimit !== undefined && info.historyLength >= input.historyLimit)
    );
  };
  const modelRefused = () => budgetSpent(state.usage, input.budget);
  const planStep = (id: string) => (state.plan as VersionedPlan).steps.find((s) => s.id === id) as Step;

  // --- Planning: ask until the plan validates (bounded), then adopt it.
  const planUntilValid = async (reason: string, revise?: CreatePlanInput['revise']): Promise<boolean> => {
    let issues: PlanIssue[] = [];
    for (let attempt = 0; attempt <= MAX_PLAN_REVISIONS; attempt++) {
      const refused = modelRefused();
      if (refused) {
        state.failure = { message: `cannot plan: ${refused}` };
        return false;
      }
      const request = { ...planningRequest(), ...(revise ? { revise } : {}) };
      let out;
      try {
        out = revise
          ? await llm.revisePlan.executeWithOptions(summarized(llmCall, 'revise plan'), [request])
          : await llm.createPlan.executeWithOptions(summarized(llmCall, 'plan'), [request]);
      } catch (err) {
        if (isCancellation(err)) throw err;
        spend(usageOf(err));
        state.failure = { message: `the planner could not answer: ${describeFailure(err)}` };
        return false;
      }
      spend(out.usage);
      issues = out.plan ? [...out.issues, ...validatePlan(out.plan, limits())] : out.issues;
      if (out.plan && issues.length === 0) {
        const version = (state.plan?.version ?? 0) + 1;
        adoptPlan(state, { ...out.plan, version }, reason);
        note('plan-adopted', `plan v${version} (${out.plan.steps.length} steps): ${reason}`);
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
  const limits = () => ({ tools: memory.worker?.tools ?? [], maxSteps: input.maxSteps });
  /** What a plan is asked for with; the plan cache keys on the same. */
  const planningRequest = () => ({
    goal: state.goal,
    ...(input.context !== undefined ? { context: input.context } : {}),
    tools: memory.worker?.tools ?? [],
    maxSteps: input.maxSteps,
  });

  /** Waits for a person to approve or reject the current plan (or change the goal), up to `approvalTimeout`. */
  const awaitApproval = async (): Promise<'approved' | 'timeout' | 'goal-changed' | { feedback: string }> => {
    approval = undefined;
    setStatus('awaiting-approval');
    const decided = await condition(
      () => approval !== undefined || memory.goalChange !== undefined,
      input.approvalTimeout,
    );
    setStatus('running');
    const version = state.plan?.version;
    if (!decided) {
      state.failure = { message: `plan v${version} was not approved within ${String(input.approvalTimeout)}` };
      return 'timeout';
    }
    const decision = approval as { approved: boolean; feedback: string } | undefined; // set by a handler while waiting
    if (!decision) return 'goal-changed';
    if (decision.approved) {
      note('plan-approved', `plan v${version} approved`);
      return 'approved';
    }
    note('plan-rejected', `plan v${version} rejected: ${decision.feedback}`);
    return { feedback: decision.feedback };
  };

  // --- The plan cache: a plan accepted before for the same goal, context and tools is reused.
  const cacheTtlMs =
    input.planCache === false ? 0 : input.planCache === true ? PLAN_CACHE_TTL_MS : msToNumber(input.planCache.ttl);
  const planFromCache = async (): Promise<boolean> => {
    if (cacheTtlMs === 0) return false;
    let found;
    try {
      found = await local.lookupPlan.executeWithOptions(summarized(localCall, 'plan cache lookup'), [
        planningRequest(),
      ]);
    } catch (err) {
      if (isCancellation(err)) throw err;
      return false; // a cache that cannot answer is a miss
    }
    if (!found.plan) return false;
    const issues = validatePlan(found.plan, limits());
    if (issues.length > 0) {
      note('plan-invalid', `the cached plan no longer fits:\n${formatIssues(issues)}`);
      return false;
    }
    adoptPlan(state, { ...found.plan, version: 1 }, 'initial plan, from the plan cache');
    note('plan-adopted', `plan v1 (${found.plan.steps.length} steps) from the plan cache`);
    return true;
  };
  const rememberPlan = async () => {
    const plan = withoutVersion(state.plan as VersionedPlan);
    try {
      await local.storePlan.executeWithOptions(summarized(localCall, 'plan cache store'), [
        { query: planningRequest(), plan, ttlMs: cacheTtlMs },
      ]);
    } catch (err) {
      if (isCancellation(err)) throw err; // otherwise the run goes on without caching
    }
  };

  /** Plans (or finds a cached plan), waits until a version is approved when asked, and caches what was accepted. */
  const planAndApprove = async (): Promise<RunStatus | undefined> => {
    const cached = await planFromCache();
    if (!cached && !(await planUntilValid('initial plan'))) return 'failed';
    const ended = await approveInitialPlan();
    if (!ended && cacheTtlMs > 0 && !(cached && state.plan?.version === 1)) await rememberPlan();
    return ended;
  };

  /** When asked, waits until a version of the initial plan is approved (a rejection or goal change replans). */
  const approveInitialPlan = async (): Promise<RunStatus | undefined> => {
    while (input.approval !== 'none') {
      const gate = await awaitApproval();
      if (gate === 'approved') return undefined;
      if (gate === 'timeout') return 'rejected';
      let planned: boolean;
      if (gate === 'goal-changed') {
        const reason = applyGoalChange();
        planned = await planUntilValid(reason);
      } else {
        planned = await planUntilValid(`revised after rejection: ${gate.feedback}`, {
          plan: withoutVersion(state.plan as VersionedPlan),
          issues: [],
          feedback: gate.feedback,
        });
      }
      if (!planned) return 'failed';
    }
    return undefined;
  };

  const applyGoalChange = (): string => {
    const change = memory.goalChange as NonNullable<RunMemory['goalChange']>;
    memory.goalChange = undefined;
    const reason = `the goal changed to "${change.goal}"${change.reason ? ` (${change.reason})` : ''}`;
    state.goal = change.goal;
    note('goal-changed', reason);
    return reason;
  };

  // --- Replanning: the replanner sees finished work, the failure and the remaining steps.
  const consultReplanner = async (
    why: string,
    options: { failure?: { stepId?: string; message: string }; counts: 'always' | 'revisions' },
  ): Promise<Replanned> => {
    let reason = why;
    let revise: { issues: PlanIssue[]; feedback?: string } | undefined;
    let counted = options.counts === 'always';
    if (counted) state.replans++;
    for (let attempt = 0; attempt <= MAX_PLAN_REVISIONS; attempt++) {
      const refused = modelRefused();
      if (refused) return (await endForBudget(refused)) as 'partial';
      const status = statusById(state);
      let out;
      try {
        out = await llm.replan.executeWithOptions(summarized(llmCall, `replan: ${reason}`), [
          {
            goal: state.goal,
            reason,
            done: state.steps
              .filter((s) => FINISHED.includes(s.status))
              .map(({ id, title, status: st, output }) => ({
                id,
                title,
                status: st,
                ...(output !== undefined ? { output } : {}),
              })),
            ...(options.failure ? { failure: options.failure } : {}),
            remaining: (state.plan?.steps ?? []).filter((s) => !FINISHED.includes(status[s.id] ?? 'pending')),
            tools: memory.worker?.tools ?? [],
            maxSteps: input.maxSteps,
            ...(revise ? { revise } : {}),
          },
        ]);
      } catch (err) {
        if (isCancellation(err)) throw err;
        spend(usageOf(err));
        state.failure = { ...options.failure, message: `the replanner could not answer: ${describeFailure(err)}` };
        return 'unusable';
      }
      spend(out.usage);
      const decision = out.decision;
      if (!decision) {
        revise = { issues: out.issues };
        note('plan-invalid', `the replanner's answer is unusable:\n${formatIssues(out.issues)}`);
        continue;
      }
      if (decision.action === 'continue') {
        note('replanned', `continue as planned: ${decision.reason}`);
        return 'continue';
      }
      if (decision.action === 'finish') {
        state.answer = decision.answer;
        note('replanned', `finish: ${decision.reason}`);
        return 'finished';
      }
      const revision = revisedPlan(state, decision.steps);
      const issues = [...revision.issues, ...out.issues, ...validatePlan(revision.plan, limits())];
      if (issues.length > 0) {
        revise = { issues };
        note('plan-invalid', `the replanner's revision is invalid:\n${formatIssues(issues)}`);
        continue;
      }
      if (!counted) {
        counted = true;
        state.replans++;
      }
      const version = (state.plan?.version ?? 0) + 1;
      adoptPlan(state, { ...revision.plan, version }, `${reason}: ${decision.reason}`);
      note('replanned', `plan v${version}: ${decision.reason}`);
      if (input.approval !== 'replans') return 'revised';
      const gate = await awaitApproval();
      if (gate === 'approved') return 'revised';
      if (gate === 'timeout') return 'rejected';
      if (gate === 'goal-changed') {
        // The unapproved revision is for the old goal: ask again for the new one (and approve that).
        reason = applyGoalChange();
        revise = undefined;
        continue;
      }
      revise = { issues: [], feedback: gate.feedback };
    }
    state.failure = {
      ...options.failure,
      message: `the replanner gave no usable answer in ${MAX_PLAN_REVISIONS + 1} attempts`,
    };
    return 'unusable';
  };

  // --- Recovery after a step failed for good.
  const skipStep = async (id: string, why: string): Promise<RunStatus | undefined> => {
    const record = stepState(state, id);
    record.status = 'skipped';
    note('step-skipped', `${id} skipped: ${why}`, id);
    const { skip, blocked } = effectsOfSkip((state.plan as VersionedPlan).steps, id, statusById(state));
    for (const other of skip) {
      Object.assign(stepState(state, other), { status: 'skipped', error: `depends on skipped step "${id}"` });
      note('step-skipped', `${other} skipped: it depends on "${id}"`, other);
    }
    if (blocked.length === 0) return undefined;
    const failure = { stepId: id, message: `critical steps ${blocked.join(', ')} depend on skipped step "${id}"` };
    return replanOrGiveUp(failure.message, failure);
  };

  /** How the run goes on after the replanner: on (undefined), or the status it ends with. */
  const afterReplanner = async (
    outcome: Replanned,
    failure: { stepId?: string; message: string },
  ): Promise<RunStatus | undefined> => {
    if (outcome === 'continue' || outcome === 'revised') return undefined;
    if (outcome === 'finished') return finishedStatus();
    if (outcome === 'unusable') return giveUp(state.failure ?? failure);
    return outcome;
  };

  const replanOrGiveUp = async (
    reason: string,
    failure: { stepId?: string; message: string },
  ): Promise<RunStatus | undefined> => {
    if (replansLeft() <= 0) return giveUp({ ...failure, message: `${failure.message}; no replans left` });
    const outcome = await consultReplanner(reason, { failure, counts: 'always' });
    if (outcome === 'continue' && failure.stepId && stepState(state, failure.stepId).status === 'failed') {
      retryStep(failure.stepId); // "continue" after a failure: the failed step is tried again
    }
    return afterReplanner(outcome, failure);
  };

  const retryStep = (id: string) => {
    const record = stepState(state, id);
    record.status = 'pending';
    delete record.error;
  };

  const giveUp = async (failure: { stepId?: string; message: string }): Promise<RunStatus> => {
    state.failure = failure;
    cancelUnfinished(state, 'not run: the run ended early');
    return closeWithAnswer();
  };

  const escalate = async (
    id: string,
    message: string,
  ): Promise<ResolveEscalation['decision'] | 'timeout' | 'goal-changed'> => {
    resolution = undefined;
    state.escalation = { stepId: id, message };
    setStatus('awaiting-decision');
    note('escalated', `step ${id} needs a decision: ${message}`, id);
    const decided = await condition(
      () => resolution !== undefined || memory.goalChange !== undefined,
      input.approvalTimeout,
    );
    delete state.escalation;
    memory.escalated.push(id);
    setStatus('running');
    if (decided && !resolution) {
      note('escalation-resolved', `the goal changed while ${id} awaited a decision; replanning for the new goal`, id);
      return 'goal-changed';
    }
    if (!decided || !resolution) {
      note('escalation-resolved', `no decision about ${id} within ${String(input.approvalTimeout)}; replanning`, id);
      return 'timeout';
    }
    const { decision, note: why } = resolution;
    note('escalation-resolved', `${decision} ${id}${why ? `: ${why}` : ''}`, id);
    return decision;
  };

  const recover = async (id: string): Promise<RunStatus | undefined> => {
    const record = state.steps.find((s) => s.id === id);
    if (record?.status !== 'failed') return undefined; // a replan since has dropped or reset it
    const failure = { stepId: id, message: record.error ?? 'step failed' };
    const choice = decideRecovery({
      step: planStep(id),
      fallbackTried: true,
      escalation: input.escalation,
      escalated: memory.escalated.includes(id),
      replansLeft: replansLeft(),
      failuresInARow: memory.failuresInARow,
    });
    switch (choice.action) {
      case 'skip':
        return skipStep(id, `it is not critical (${failure.message})`);
      case 'replan':
        return replanOrGiveUp(`step "${id}" failed: ${failure.message}`, failure);
      case 'give-up': // a critical step, and no replans left
      case 'fallback': // tried when the step ran
        return giveUp({ ...failure, message: `${failure.message}; no replans left` });
      case 'escalate': {
        const decision = await escalate(id, failure.message);
        if (decision === 'retry' || decision === 'goal-changed') return (retryStep(id), undefined);
        if (decision === 'skip') return skipStep(id, 'a person chose to skip it');
        if (decision === 'abort')
          return giveUp({ stepId: id, message: `aborted by a person after: ${failure.message}` });
        return replanOrGiveUp(`step "${id}" failed: ${failure.message}`, failure);
      }
    }
  };

  // --- Running steps.
  const runStep = async (plan: VersionedPlan, step: Step): Promise<void> => {
    const record = stepState(state, step.id);
    const position = `step ${plan.steps.indexOf(step) + 1}/${plan.steps.length}`;
    record.status = 'running';
    note('step-started', `${position} ${step.title}`, step.id);
    let outcome: StepOutcome;
    if (step.tool === undefined) {
      outcome = await runOpenStep({
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
        tools: memory.worker?.tools ?? [],
        stepTimeout: input.stepTimeout,
        position,
        modelRefused,
        spend,
      });
    } else {
      outcome = await callResolved(step.id, step.tool, step.args, `${position} · ${step.tool}`);
      // The fallback is always the first recovery (see decideRecovery), so it is tried right away.
      if (!outcome.ok && step.fallback) {
        spend(outcome.usage);
        record.attempts += outcome.attempts;
        note('fallback', `${step.id} failed (${outcome.error}); trying fallback tool ${step.fallback.tool}`, step.id);
        outcome = await callResolved(
          step.id,
          step.fallback.tool,
          step.fallback.args,
          `${position} · fallback ${step.fallback.tool}`,
        );
      }
    }
    spend(outcome.usage);
    record.attempts += outcome.attempts;
    if (outcome.ok) {
      record.status = 'succeeded';
      record.output = outcome.output;
      memory.failuresInARow = 0;
      if (input.review === 'every-step') memory.reviewAfter = step.id;
      note('step-succeeded', `${position} ${step.title} succeeded`, step.id);
    } else {
      record.status = 'failed';
      record.error = outcome.error;
      memory.failuresInARow++;
      needsAttention.push(step.id);
      note('step-failed', `${position} ${step.title} failed: ${outcome.error}`, step.id);
    }
  };

  const callResolved = async (
    stepId: string,
    tool: string,
    args: Step['args'],
    summary: string,
  ): Promise<StepOutcome> => {
    let resolved;
    try {
      resolved = resolveReferences(args ?? {}, outputsById(state));
    } catch (err) {
      if (!(err instanceof UnresolvedReferenceError)) throw err;
      return { ok: false, error: err.message, attempts: 0, usage: {} };
    }
    const own = memory.worker?.tools.find((t) => t.name === tool)?.callOptions;
    return callTool({ stepId, tool, args: resolved, stepTimeout: input.stepTimeout, summary, ...(own ? { own } : {}) });
  };

  /** Starts ready steps (up to the limit) until nothing runs; stops starting new ones when something needs attention. */
  const executeUntilQuiet = async (): Promise<void> => {
    const running = new Map<string, Promise<void>>();
    const limit = input.review === 'every-step' ? 1 : input.maxParallel;
    for (;;) {
      const paused =
        needsAttention.length > 0 ||
        memory.goalChange !== undefined ||
        memory.reviewAfter !== undefined ||
        continueAsNewDue();
      if (!paused) {
        const plan = state.plan as VersionedPlan;
        const ready = readySteps(plan.steps, statusById(state))
          .map(planStep)
          .filter((s) => s.tool !== undefined || !modelRefused()); // open steps need the model; tool steps do not
        for (const step of ready.slice(0, Math.max(0, limit - running.size))) {
          running.set(
            step.id,
            runStep(plan, step).finally(() => running.delete(step.id)),
          );
        }
      }
      if (running.size === 0) return;
      await Promise.race(running.values());
    }
  };

  // --- Endings.
  const closeWithAnswer = async (): Promise<RunStatus> => {
    closing = true;
    // Complete: nothing failed, and every critical step succeeded (a person may skip one; then it is partial).
    const complete =
      !state.failure &&
      state.steps.every(
        (s) => s.status === 'succeeded' || (s.status === 'skipped' && planStep(s.id).critical === false),
      );
    if (!state.steps.some((s) => s.status === 'succeeded')) return 'failed';
    const refused = modelRefused();
    if (refused) return endForBudget(refused);
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
      spend(synthesis.usage);
      state.answer = synthesis.answer;
    } catch (err) {
      if (isCancellation(err)) throw err;
      state.failure ??= { message: `the answer could not be written: ${describeFailure(err)}` };
      state.answer = answerWithoutModel(state, 'the model could not write it');
      return 'partial';
    }
    return complete ? 'completed' : 'partial';
  };

  /** The status of a run the replanner finished: partial when a step it gave up on had failed. */
  const finishedStatus = (): RunStatus => {
    const failed = state.steps.find((s) => s.status === 'failed');
    if (!failed) return 'completed';
    state.failure ??= { stepId: failed.id, message: failed.error ?? 'step failed' };
    return 'partial';
  };

  const endForBudget = async (why: string): Promise<RunStatus> => {
    note('budget-spent', why);
    state.failure ??= { message: why };
    cancelUnfinished(state, `not run: ${why}`);
    state.answer = answerWithoutModel(state, why);
    return 'partial';
  };

  const finish = async (status: RunStatus): Promise<RunResult> => {
    cancelUnfinished(state, `not run: the run ended ${status}`);
    state.status = status;
    note('run-finished', `run ${status}${state.failure ? `: ${state.failure.message}` : ''}`);
    await condition(allHandlersFinished);
    return state;
  };

  // --- The run.
  try {
    publish();
    if (!resume) {
      note('run-started', `goal: ${input.goal}`);
      try {
        memory.worker = await local.describeWorker.executeWithOptions(summarized(localCall, 'describe worker'), []);
      } catch (err) {
        if (isCancellation(err)) throw err;
        state.failure = { message: `the worker could not describe its tools: ${describeFailure(err)}` };
        return await finish('failed');
      }
      const ended = await planAndApprove();
      if (ended) return await finish(ended);
    }
    for (;;) {
      await executeUntilQuiet();
      let ended: RunStatus | undefined;
      if (memory.goalChange) {
        const reason = applyGoalChange();
        ended = await afterReplanner(await consultReplanner(reason, { counts: 'revisions' }), { message: reason });
      } else if (needsAttention.length > 0) {
        ended = await recover(needsAttention.shift() as string);
      } else if (memory.reviewAfter !== undefined) {
        const after = memory.reviewAfter;
        memory.reviewAfter = undefined;
        const left = state.steps.some((s) => s.status === 'pending');
        if (left && replansLeft() > 0 && !modelRefused()) {
          const reason = `review after step "${after}"`;
          ended = await afterReplanner(await consultReplanner(reason, { counts: 'revisions' }), { message: reason });
        }
      } else if (continueAsNewDue() && state.steps.some((s) => s.status === 'pending')) {
        note('continued-as-new', `continuing as a new run after ${workflowInfo().historyLength} history events`);
        await condition(allHandlersFinished);
        return await continueAsNew<typeof planAndExecute>(rawInput, memory);
      } else if (state.steps.every((s) => FINISHED.includes(s.status))) {
        ended = await closeWithAnswer();
      } else {
        const why = modelRefused();
        ended = why
          ? await endForBudget(why)
          : await giveUp({ message: 'no step can run: the remaining steps wait on steps that did not finish' });
      }
      if (ended) return await finish(ended);
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    cancelUnfinished(state, 'the run was cancelled');
    state.failure = { message: 'the run was cancelled' };
    // The run's scope is cancelled; finishing (waiting for handlers) must not be.
    return await CancellationScope.nonCancellable(() => finish('cancelled'));
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

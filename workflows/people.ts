/**
 * People in the loop: the messages they send (each decision as a signal and as an update), and the two waits
 * for a person — approval of a plan, and a decision about an escalated step. Messages change the run only
 * through the ledger's transitions; the waits return what the person said, and the run loop routes on it.
 */
import { ApplicationFailure, condition, setDefaultSignalHandler, setHandler } from '@temporalio/workflow';
import { ErrorType } from '../src/contract/errors.js';
import type { RunStatus } from '../src/contract/run-state.js';
import type { ZodType } from 'zod';
import { UPDATES_ANSWER_AFTER_DECISION, follows } from './patches.js';
import {
  MAX_FEEDBACK,
  messageShapes,
  decisionProblem,
  escalationProblem,
  goalChangeProblem,
  messageProblem,
  preview,
  shapeProblem,
  textProblem,
} from '../src/run/admission.js';
import type { ApprovalGate, EscalationAnswer, Move, Outcome } from '../src/run/route.js';
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
import type { Run } from './run.js';
import { wireToolCallDecisions } from './tool-approval.js';

/** A decision message: when the run refuses it, and what accepting it does. */
interface Decision {
  signal: { name: string };
  /** What the argument must look like. */
  shape: ZodType;
  update: { name: string };
  /** The decision takes effect when the status leaves this one; the update answers then. */
  settlesFrom?: RunStatus;
  description: string;
  problem: (arg: never) => string | undefined;
  accept: (arg: never) => void;
}

/** The decisions people can send, each as a signal and as an update of the same name. */
function decisions(run: Run): Decision[] {
  const { state } = run;
  return [
    {
      signal: approvePlanSignal,
      shape: messageShapes().approvePlan,
      update: approvePlanUpdate,
      description: 'Approve the plan with this version so its steps may run.',
      settlesFrom: 'awaiting-approval',
      problem: ({ version }: { version: number }) => decisionProblem(state, version),
      accept: () => run.approvalReceived({ approved: true, feedback: '' }),
    },
    {
      signal: rejectPlanSignal,
      shape: messageShapes().rejectPlan,
      update: rejectPlanUpdate,
      description: 'Reject the plan with this version; the feedback goes back to the planner.',
      settlesFrom: 'awaiting-approval',
      problem: ({ version, feedback }: { version: number; feedback: string }) =>
        decisionProblem(state, version) ?? textProblem('feedback', feedback, MAX_FEEDBACK),
      accept: ({ feedback }: { feedback: string }) => run.approvalReceived({ approved: false, feedback }),
    },
    {
      signal: changeGoalSignal,
      shape: messageShapes().changeGoal,
      update: changeGoalUpdate,
      description: 'Change the goal; finished work is kept and the run replans for the new goal.',
      problem: ({ goal, reason }: { goal: string; reason?: string }) =>
        run.closing ? 'the run is writing its final answer' : goalChangeProblem(state, goal, reason),
      accept: ({ goal, reason }: { goal: string; reason?: string }) => run.goalChangeRequested(goal, reason),
    },
    {
      signal: resolveEscalationSignal,
      shape: messageShapes().resolveEscalation,
      update: resolveEscalationUpdate,
      description: 'Decide about the escalated step: retry, skip, replan or abort.',
      settlesFrom: 'awaiting-decision',
      problem: ({ stepId, decision, note }: ResolveEscalation) =>
        escalationProblem(state, stepId, decision) ?? textProblem('note', note, MAX_FEEDBACK),
      accept: (decision: ResolveEscalation) => run.resolutionReceived(decision),
    },
  ];
}

/**
 * Installs the `state` query and every decision as a signal (a refusal is recorded in the run's events)
 * and as an update (a refusal fails the update, with the reason).
 */
export function wireMessages(run: Run): void {
  setHandler(stateQuery, () => run.state, { description: 'The live state of the run (same shape as its result).' });
  // A signal under a name this run does not know (a typo, say) is recorded rather than dropped.
  setDefaultSignalHandler((name: string) =>
    run.note(
      'signal-ignored',
      `unknown signal "${name}" ignored; this run takes ${Object.keys(messageShapes()).join(', ')}`,
    ),
  );
  for (const d of decisions(run)) {
    // A malformed argument is a refusal: a handler that throws would fail every replay of the run.
    const problem = (arg: unknown): string | undefined => {
      try {
        return (
          messageProblem(arg) ?? shapeProblem(d.shape, arg) ?? (d.problem as (a: unknown) => string | undefined)(arg)
        );
      } catch (err) {
        return `the message is malformed: ${(err as Error).message}`;
      }
    };
    const accept = d.accept as (arg: unknown) => void;
    const signal = (arg: unknown) => {
      const refused = problem(arg);
      if (refused) run.note('signal-ignored', `${d.signal.name} ${preview(arg)} ignored: ${refused}`);
      else accept(arg);
    };
    // The update answers with the status after the decision took effect (runs started earlier: at once).
    const update = async (arg: unknown) => {
      accept(arg);
      if (d.settlesFrom && follows(UPDATES_ANSWER_AFTER_DECISION)) {
        await condition(() => run.state.status !== d.settlesFrom);
      }
      return run.state.status;
    };
    const validator = (arg: unknown) => {
      const refused = problem(arg);
      if (refused)
        throw ApplicationFailure.create({ type: ErrorType.MessageRefused, nonRetryable: true, message: refused });
    };
    setHandler(d.signal as typeof approvePlanSignal, signal, { description: d.description });
    setHandler(d.update as typeof approvePlanUpdate, update, { description: d.description, validator });
  }
  wireToolCallDecisions(run);
}

/** Waits for a person to approve the plan (the initial plan, or a revision under `approval: 'replans'`). */
export async function approve(run: Run, move: Extract<Move, { to: 'approve' }>): Promise<Outcome> {
  const gate = await awaitApproval(run);
  return {
    of: 'approval',
    gate,
    fromCache: move.fromCache,
    ...(move.consultation ? { consultation: move.consultation } : {}),
  };
}

/** Waits for a person to approve or reject the current plan (or change the goal), up to `approvalTimeout`. */
async function awaitApproval(run: Run): Promise<ApprovalGate> {
  const { state, input } = run;
  run.approvalAsked();
  const decided = await condition(
    () => run.approval !== undefined || run.goalChange !== undefined,
    input.approvalTimeout,
    { summary: `approval of plan v${state.plan?.version} (rejected after ${String(input.approvalTimeout)})` },
  );
  run.setStatus('running');
  const version = state.plan?.version;
  if (!decided) {
    run.fail({ message: `plan v${version} was not approved within ${String(input.approvalTimeout)}` });
    return 'timeout';
  }
  const decision = run.approval; // set by a handler while waiting
  if (!decision) return 'goal-changed';
  if (decision.approved) {
    run.note('plan-approved', `plan v${version} approved`);
    return 'approved';
  }
  run.note('plan-rejected', `plan v${version} rejected: ${decision.feedback}`);
  return { feedback: decision.feedback };
}

/** Asks a person to decide about a failed step, and waits up to `approvalTimeout` (a goal change ends the wait). */
export async function escalate(run: Run, { failure }: Extract<Move, { to: 'escalate' }>): Promise<Outcome> {
  const { input } = run;
  const id = failure.stepId;
  run.escalationAsked(id, failure.message);
  const decided = await condition(
    () => run.resolution !== undefined || run.goalChange !== undefined,
    input.approvalTimeout,
    { summary: `a decision about step ${id} (replans after ${String(input.approvalTimeout)})` },
  );
  run.escalationClosed(id);
  const resolution = run.resolution; // set by a handler while waiting
  let answer: EscalationAnswer;
  if (decided && !resolution) {
    run.note('escalation-resolved', `the goal changed while ${id} awaited a decision; replanning for the new goal`, id);
    answer = 'goal-changed';
  } else if (!decided || !resolution) {
    run.note('escalation-resolved', `no decision about ${id} within ${String(input.approvalTimeout)}; replanning`, id);
    answer = 'timeout';
  } else {
    const { decision, note: why } = resolution;
    run.note('escalation-resolved', `${decision} ${id}${why ? `: ${why}` : ''}`, id);
    answer = decision;
  }
  return { of: 'escalation', failure, answer };
}

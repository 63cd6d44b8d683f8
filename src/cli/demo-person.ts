/**
 * The person a demo run asks: the demo answers in their place, through the same updates the CLI sends, and
 * prints the command that would have sent each answer, so that a user sees how to answer a run themselves.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { RunState } from '../contract/run-state.js';
import type { PlanReview } from '../demo/agent.js';
import {
  approvePlanUpdate,
  rejectPlanUpdate,
  resolveEscalationUpdate,
  type ResolveEscalation,
} from '../../workflows/messages.js';
import { shellWord } from './render.js';

/** How the demo answers for the person: about a plan awaiting approval, and about a failed step. */
export interface StandIn {
  reviewPlan?: (state: RunState) => PlanReview;
  decide?: (state: RunState) => Omit<ResolveEscalation, 'stepId'>;
}

/** How long the person takes to answer. */
const PAUSE_MS = 750;

/** A person standing in for the user: hears what a run asks (`followRun`'s `onWaiting`) and answers it. */
export interface Person {
  /** Answers, a moment later, what the run asks in this state, once per question; ignores what it cannot answer. */
  asked(state: RunState): void;
  /** Settles once every answer given so far was taken by the run. @throws the run's refusal of an answer. */
  answered(): Promise<void>;
  /** Rejects with the first answer the run refused (a run that refused an answer would wait on); never resolves. */
  refused: Promise<never>;
}

/**
 * The person who answers, in the user's place, the questions of one run that the stand-in has answers for: once
 * per plan version awaiting approval and once per failed step. Each answer goes as an update, after a line that
 * shows the command that would send it; questions without an answer are left to the run (and its timeouts).
 */
export function personFor(handle: WorkflowHandle, print: (line: string) => void, standIn: StandIn): Person {
  const seen = new Set<string>();
  const answers: Array<Promise<unknown>> = [];
  let refuse: (err: unknown) => void = () => {};
  const refused = new Promise<never>((_, reject) => (refuse = reject));
  refused.catch(() => undefined); // raced against the run by the caller; unobserved when every answer is taken
  const id = shellWord(handle.workflowId);
  const answer = (key: string, command: string, send: () => Promise<unknown>) => {
    if (seen.has(key)) return;
    seen.add(key);
    const sent = new Promise((resolve) => setTimeout(resolve, PAUSE_MS)).then(() => {
      print(`(demo) answering for you: planwright ${command}`);
      return send();
    });
    sent.catch(refuse); // also keeps a refusal from going unhandled before `answered` is awaited
    answers.push(sent);
  };
  return {
    asked(state) {
      const { plan, escalation } = state;
      if (state.status === 'awaiting-approval' && plan && standIn.reviewPlan) {
        const review = standIn.reviewPlan(state);
        const { version } = plan;
        if (review.approve) {
          answer(`plan v${version}`, `approve ${id}`, () =>
            handle.executeUpdate(approvePlanUpdate, { args: [{ version }] }),
          );
        } else {
          const { feedback } = review;
          answer(`plan v${version}`, `reject ${id} --feedback ${shellWord(feedback)}`, () =>
            handle.executeUpdate(rejectPlanUpdate, { args: [{ version, feedback }] }),
          );
        }
      } else if (state.status === 'awaiting-decision' && escalation && standIn.decide) {
        const { stepId } = escalation;
        const { decision, note } = standIn.decide(state);
        answer(`step ${stepId}`, `resolve ${id} ${stepId} ${decision}${note ? ` --note ${shellWord(note)}` : ''}`, () =>
          handle.executeUpdate(resolveEscalationUpdate, { args: [{ stepId, decision, ...(note ? { note } : {}) }] }),
        );
      }
    },
    answered: async () => void (await Promise.all(answers)),
    refused,
  };
}

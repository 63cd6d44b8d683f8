/**
 * Approval of single tool calls. A call of a tool that asks for it (`approval: 'always'`, or a function of the input
 * that says so), or of a tool the run names in `approveTools`, waits for a person before it runs — from a tool step,
 * a fallback or an open step's executor. The run shows what waits in `pendingCalls`; a person approves it (with
 * edited arguments, checked against the tool's schema) or rejects it, by update or signal; no answer within
 * `approvalTimeout` (or a goal change) counts as a rejection. A rejected call fails like a failed call: the step's
 * fallback and recovery take over, and an executor is told, so it can try another way.
 */
import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { ErrorType } from '../src/contract/errors.js';
import type { ApproveToolCall, RejectToolCall } from '../src/contract/run-state.js';
import type { CallAnswer, StepOutcome } from '../src/run/ledger.js';
import { callDecisionProblem, messageProblem, messageShapes, preview, shapeProblem } from '../src/run/admission.js';
import { localCall } from './activity-profiles.js';
import { local, summarized } from './activity-proxies.js';
import {
  approveToolCallSignal,
  approveToolCallUpdate,
  rejectToolCallSignal,
  rejectToolCallUpdate,
} from './messages.js';
import { TOOL_CALL_APPROVAL, follows } from './patches.js';
import { callTool, type ToolCall } from './steps.js';
import type { Run } from './run.js';

/**
 * Calls a tool as {@link callTool} does, after a person approved the call when it needs approval; a rejected call
 * comes back as a failure that says who rejected it and why.
 * @throws {CancelledFailure} when the run is cancelled.
 */
export async function callApproved(run: Run, call: ToolCall): Promise<StepOutcome> {
  // Runs started before tool-call approval existed run every call as before.
  if (!follows(TOOL_CALL_APPROVAL)) return callTool(call);
  const reason = await approvalNeeded(run, call);
  if (reason === undefined) return callTool(call);
  const answer = await awaitAnswer(run, call, reason);
  if (!answer.approved) {
    return { ok: false, error: `a person rejected this ${call.tool} call: ${answer.reason}`, attempts: 0, usage: {} };
  }
  // Edited arguments are taken as written: they hold values, not references to be resolved.
  if (!answer.args) return callTool(call);
  const { outputs: _references, ...rest } = call;
  return callTool({ ...rest, args: answer.args });
}

/** Why this call must wait for a person, or undefined when it may run now. */
async function approvalNeeded(run: Run, call: ToolCall): Promise<string | undefined> {
  if (run.input.approveTools.includes(call.tool)) return `this run asks for approval of every ${call.tool} call`;
  const approval = run.tools.find((t) => t.name === call.tool)?.approval;
  if (approval === 'always') return `${call.tool} asks for a person's approval of every call`;
  if (approval !== 'conditional') return undefined;
  const { stepId, tool, args, outputs } = call;
  const asked = await local.askApproval.executeWithOptions(summarized(localCall, `${call.summary} · approval?`), [
    { stepId, tool, args, ...(outputs ? { outputs } : {}) },
  ]);
  return asked.needed ? (asked.reason ?? `${tool} asks for a person's approval of this call`) : undefined;
}

/** Shows the call as waiting and waits for a person's answer, up to `approvalTimeout`; a goal change ends the wait. */
async function awaitAnswer(run: Run, call: ToolCall, reason: string): Promise<CallAnswer> {
  const timeout = run.input.approvalTimeout;
  const callId = run.toolCallAwaitingApproval({ stepId: call.stepId, tool: call.tool, args: call.args }, reason);
  const answered = await condition(
    () => run.callAnswer(callId) !== undefined || run.goalChange !== undefined,
    timeout,
    { summary: `approval of ${call.tool} call ${callId} (rejected after ${String(timeout)})` },
  );
  const answer: CallAnswer = run.callAnswer(callId) ?? {
    approved: false,
    reason: answered ? 'the goal changed while it waited' : `no answer within ${String(timeout)}`,
  };
  run.toolCallDecided(callId, answer);
  return answer;
}

/** A person's answer to a waiting call, as a message: what it is called and how the run takes it. */
interface CallDecision {
  name: 'approveToolCall' | 'rejectToolCall';
  signal: { name: string };
  update: { name: string };
  description: string;
  /** Takes the answer, or says why it cannot (after the checks every message goes through). */
  take: (run: Run, arg: never) => Promise<string | undefined>;
}

const CALL_DECISIONS: readonly CallDecision[] = [
  {
    name: 'approveToolCall',
    signal: approveToolCallSignal,
    update: approveToolCallUpdate,
    description: 'Approve a tool call waiting for approval (see pendingCalls), with edited arguments if given.',
    take: takeApproval,
  },
  {
    name: 'rejectToolCall',
    signal: rejectToolCallSignal,
    update: rejectToolCallUpdate,
    description: 'Reject a tool call waiting for approval, saying why.',
    take: async (run: Run, { callId, reason }: RejectToolCall) => {
      run.toolCallAnswered(callId, { approved: false, reason: reason.trim() });
      return undefined;
    },
  },
];

/**
 * Installs `approveToolCall` and `rejectToolCall`, each as a signal (a refusal is recorded in the run's events) and
 * as an update (a refusal fails it, with the reason; it answers once the call has stopped waiting).
 */
export function wireToolCallDecisions(run: Run): void {
  const refused = (message: string) =>
    ApplicationFailure.create({ type: ErrorType.MessageRefused, nonRetryable: true, message });
  for (const { name, signal, update, description, take } of CALL_DECISIONS) {
    const taken = take as (run: Run, arg: unknown) => Promise<string | undefined>;
    const onSignal = async (arg: unknown) => {
      const problem = refusal(run, name, arg) ?? (await taken(run, arg));
      if (problem) run.note('signal-ignored', `${name} ${preview(arg)} ignored: ${problem}`);
    };
    const onUpdate = async (arg: unknown) => {
      const problem = await taken(run, arg);
      if (problem) throw refused(problem);
      const { callId } = arg as { callId: string };
      await condition(() => run.pendingCall(callId) === undefined);
      return run.state.status;
    };
    const validator = (arg: unknown) => {
      const problem = refusal(run, name, arg);
      if (problem) throw refused(problem);
    };
    setHandler(signal as typeof approveToolCallSignal, onSignal, { description });
    setHandler(update as typeof approveToolCallUpdate, onUpdate, { description, validator });
  }
}

/** Why a call decision cannot be taken now (malformed, or no such call waits), or undefined. Never throws. */
function refusal(run: Run, name: CallDecision['name'], arg: unknown): string | undefined {
  try {
    const { callId } = arg as { callId: string };
    return (
      messageProblem(arg) ??
      shapeProblem(messageShapes()[name], arg) ??
      callDecisionProblem(run.state, callId, run.callAnswer(callId) !== undefined)
    );
  } catch (err) {
    return `the message is malformed: ${(err as Error).message}`;
  }
}

/** Takes an approval, once the worker found edited arguments to fit the tool's input schema; or says why not. */
async function takeApproval(run: Run, { callId, args }: ApproveToolCall): Promise<string | undefined> {
  const call = run.pendingCall(callId);
  if (args && call) {
    const { problem } = await local.checkToolInput.executeWithOptions(
      summarized(localCall, `check the edited arguments of ${call.tool} call ${callId}`),
      [{ tool: call.tool, args }],
    );
    if (problem) return `the edited arguments of ${callId} were not taken: ${problem}`;
  }
  // The call may have stopped waiting (or been answered) while its arguments were checked.
  const late = refusal(run, 'approveToolCall', { callId, ...(args ? { args } : {}) });
  if (late) return late;
  run.toolCallAnswered(callId, { approved: true, ...(args ? { args } : {}) });
  return undefined;
}

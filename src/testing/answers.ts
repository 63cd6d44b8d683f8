/**
 * Builders for the scripted model's answers, so that a test's script reads like the plan it describes:
 *
 *     plan(step('fetch', { tool: 'http_get', args: { url } }), step('sum', { dependsOn: ['fetch'] }))
 *
 * Each builder writes what a model writes under planwright's real response formats, and checks it against the
 * same zod schemas the activities parse answers with (`wirePlanSchema()`, `WireReplanDecisionSchema`), so the
 * builders cannot drift from the prompts. They check the wire format only: a plan with an unknown tool or a
 * cycle is still built, so tests can show how the workflow handles one.
 */
import { wirePlanSchema, type Json, type WirePlan } from '../contract/plan.js';
import { WireReplanDecisionSchema, type WireReplanDecision } from '../contract/replan.js';
import type { RecordedRequest, ScriptEntry, ScriptedReply } from './scripted-model.js';
import { CheckVerdictSchema, type CheckVerdict } from '../contract/check.js';

/** One step of a plan as a model writes it (every key present, nulls for unused ones). */
export type WireStep = WirePlan['steps'][number];

/** A tool's arguments: a JSON object, or (to test how a bad answer is handled) the text a model wrote. */
export type StepArgs = { [key: string]: Json } | string;

/** What {@link step} takes; anything left out gets the value a model writes for "none". */
export interface StepOptions {
  /** The tool the step calls; leave it out for an open step that the executor model works on. */
  tool?: string;
  /** The tool's input; a string that is only a reference (`'{{count.value}}'`) keeps the value's type. */
  args?: StepArgs;
  /** For people; default: the id with `_` and `-` turned into spaces. */
  title?: string;
  /** What to do, for the executor (open steps). */
  description?: string;
  /** Ids of earlier steps this one needs; default none. */
  dependsOn?: string[];
  successCriterion?: string;
  /** Default true (a failed critical step is recovered, a failed non-critical one skipped). */
  critical?: boolean;
  /** A tool to call instead when the step's own tool fails for good. */
  fallback?: { tool: string; args?: StepArgs };
  /** Makes it a sub-goal step: this goal runs as a child run (with `subgoals.maxDepth` of at least 1). */
  subgoal?: string;
  /** The tools an open step's executor may call (it may call none when left out). */
  tools?: string[];
}

/**
 * One step of a scripted plan.
 * @example
 * step('count', { tool: 'data_query', args: { file: 'tickets.csv', groupBy: 'intent' } })
 * step('summary', { description: 'Summarize the counts', dependsOn: ['count'] }) // an open step
 * step('price', { description: 'Work out the total', tools: ['calculator'] }) // an open step that may use a tool
 * step('hotel', { subgoal: 'Book a hotel in Lisbon for 12–14 June' }) // a sub-goal: a child run
 */
export function step(id: string, options: StepOptions = {}): WireStep {
  return {
    id,
    title: options.title ?? id.replace(/[_-]+/g, ' '),
    description: options.description ?? null,
    dependsOn: options.dependsOn ?? [],
    tool: options.tool ?? null,
    args: options.args ?? null,
    successCriterion: options.successCriterion ?? null,
    critical: options.critical ?? null,
    fallback: options.fallback ? { tool: options.fallback.tool, args: options.fallback.args ?? null } : null,
    ...(options.subgoal !== undefined ? { subgoal: options.subgoal } : {}),
    tools: options.tools ?? null,
  };
}

/** What {@link plan} takes before its steps, when anything. */
export interface PlanOptions {
  /** Why the plan looks as it does; shown to people approving it. */
  rationale?: string;
}

/**
 * The planner's answer (phase `plan`): a plan of these steps. A planner asked for a revision (after a
 * rejection or an invalid plan) answers the same way: script another `plan(...)`.
 * @throws {z.ZodError} when a step is not in the wire format (only possible by bypassing the types).
 * @example
 * const script = { plan: [plan(step('a', { tool: 'calculator', args: { expression: '6*7' } }))] };
 * const explained = plan({ rationale: 'one sum is enough' }, step('a', { tool: 'calculator', args: { expression: '1' } }));
 */
export function plan(...items: [PlanOptions, ...WireStep[]] | WireStep[]): ScriptedReply {
  const [first, ...rest] = items;
  const options = first !== undefined && !('id' in first) ? first : undefined;
  const steps = (options ? rest : items) as WireStep[];
  return { content: wirePlanSchema().parse({ rationale: options?.rationale ?? null, steps }) };
}

function decision(wire: WireReplanDecision): ScriptedReply {
  return { content: WireReplanDecisionSchema.parse(wire) };
}

/**
 * The replanner's answers (phase `replan`): carry on with the plan, replace its remaining steps, or finish
 * with an answer. Finished steps stay as they are; `revise` lists only the new remaining ones.
 * @example
 * const script = { replan: [replan.revise('the file moved', step('count_v2', { tool: 'data_query', args: { file: 'new.csv' } }))] };
 */
export const replan = {
  /** Go on with the current plan. */
  continue: (reason = 'the plan still holds'): ScriptedReply =>
    decision({ action: 'continue', reason, answer: null, steps: null }),
  /** Replace the remaining steps with these. */
  revise: (reason: string, ...steps: WireStep[]): ScriptedReply =>
    decision({ action: 'revise', reason, answer: null, steps }),
  /** End the run with this answer. */
  finish: (answer: string, reason = 'the goal is met'): ScriptedReply =>
    decision({ action: 'finish', reason, answer, steps: null }),
};

/**
 * A text answer: the executor's result for an open step (phase `execute`), or the final report (phase
 * `synthesize`).
 * @example
 * const script = { execute: [answer('Billing leads with 30%.')], synthesize: [answer('Billing is the top intent.')] };
 */
export function answer(
  text: string,
  options: { usage?: { inputTokens: number; outputTokens: number } } = {},
): ScriptedReply {
  const { usage } = options;
  return {
    content: text,
    ...(usage ? { usage: { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens } } : {}),
  };
}

/** A tool call the executor asks for; see {@link toolCalls}. */
export interface ToolCallRequest {
  name: string;
  /** The tool's input, or (to test a bad call) the text a model wrote. */
  arguments: { [key: string]: Json } | string;
}

/** One tool call, for {@link toolCalls}. */
export function call(name: string, args: ToolCallRequest['arguments'] = {}): ToolCallRequest {
  return { name, arguments: args };
}

/**
 * The executor asking for tool calls (phase `execute`); planwright runs each as an activity and asks the
 * executor again with the results, so script the next answer too.
 * @example
 * const script = { execute: [toolCalls(call('calculator', { expression: '6*7' })), answer('42')] };
 */
export function toolCalls(...calls: ToolCallRequest[]): ScriptedReply {
  if (calls.length === 0) throw new TypeError('toolCalls() needs at least one call(name, args)');
  return { toolCalls: calls.map((c) => ({ name: c.name, arguments: c.arguments })) };
}

/**
 * Answers of a failing model server, for any phase: planwright classifies each as a real server's and
 * retries (or not) accordingly.
 * @example
 * const script = { plan: [fault.http(429, { retryAfter: 2 }), plan(step('a', { tool: 'calculator', args: { expression: '1' } }))] };
 */
export const fault = {
  /** An HTTP error status, with an optional `Retry-After` in seconds. */
  http: (status: number, options: { retryAfter?: number; message?: string } = {}): ScriptedReply => ({
    fault: {
      status,
      ...(options.message !== undefined ? { message: options.message } : {}),
      ...(options.retryAfter !== undefined ? { retryAfter: options.retryAfter } : {}),
    },
  }),
  /** 429 Too Many Requests, asking to come back after `retryAfter` seconds. */
  rateLimited: (retryAfter = 1): ScriptedReply => fault.http(429, { retryAfter, message: 'rate limit reached' }),
  /** A body that is not JSON. */
  malformed: (body = '{"choices": [ this is not JSON'): ScriptedReply => ({ malformed: body }),
  /** No answer at all, until the request times out. */
  hang: (): ScriptedReply => ({ hang: true }),
  /** The model refuses to answer, as models do for requests they deem unsafe. */
  refusal: (text = 'I cannot help with that.'): ScriptedReply => ({ refusal: text }),
  /** The answer cut off at the output cap (`finish_reason: 'length'`), as a long answer is. */
  truncated: (reply: ScriptedReply): ScriptedReply => {
    if (!('content' in reply)) throw new TypeError('fault.truncated() cuts an answer with content, such as plan(...)');
    return { ...reply, truncated: true };
  },
  /** Any answer, sent after `ms` milliseconds. */
  delayed: (ms: number, reply: ScriptedReply): ScriptedReply => {
    if ('hang' in reply) throw new TypeError('a hang never answers; it cannot be delayed');
    return { ...reply, delayMs: ms };
  },
};

/**
 * A verdict on a step's output against its success criterion (phase `check`; only criteria in words reach the
 * model, checkable ones such as `$.rows.length >= 1` are checked without it).
 * @example
 * const script = { check: [verdict.fail('no ticket matched'), verdict.pass('two tickets matched')] };
 */
export const verdict = {
  /** The output meets the criterion. */
  pass: (reason = 'the output meets the criterion'): ScriptedReply => judged({ passed: true, reason }),
  /** The output misses the criterion: the step fails, and recovery takes over. */
  fail: (reason: string): ScriptedReply => judged({ passed: false, reason }),
};

/**
 * The goal a request to the model is about: the run's goal, or a sub-goal's in a request of its child run.
 * @example goalOf(model.requests[0]) // 'Plan the offsite'
 */
export function goalOf(request: RecordedRequest): string | undefined {
  const text = request.messages
    .filter((m) => m.role === 'user')
    .map((m) => String(m.content))
    .join('\n');
  return /^(?:Overall goal|Goal of the run|Goal): (.*)$/m.exec(text)?.[1];
}

/**
 * Answers each request with the reply scripted for the goal it is about. Runs with sub-goals ask the model side
 * by side (a parent's planner, then its children's), in an order that is not fixed; keyed by goal, a script does
 * not depend on it. A request about a goal without a reply is refused (HTTP 400) with a message naming the goal.
 * @example
 * const planner = byGoal({
 *   'Plan the offsite': plan(step('venue', { subgoal: 'Book a venue for 40 people' })),
 *   'Book a venue for 40 people': plan(step('search', { tool: 'venue_search', args: { seats: 40 } })),
 * });
 * const script = { plan: [planner, planner] };
 */
export function byGoal(replies: Record<string, ScriptedReply>): ScriptEntry {
  return (request) => {
    const goal = goalOf(request);
    const reply = goal === undefined ? undefined : replies[goal];
    if (reply) return reply;
    const known = Object.keys(replies).map((g) => JSON.stringify(g));
    return {
      fault: {
        status: 400,
        message: `the script has no ${request.phase} reply for the goal ${JSON.stringify(goal)}; it has replies for ${known.join(', ')}`,
      },
    };
  };
}

function judged(value: CheckVerdict): ScriptedReply {
  return { content: CheckVerdictSchema.parse(value) };
}

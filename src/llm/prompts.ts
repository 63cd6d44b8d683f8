/**
 * Every prompt planwright sends, in one place.
 */
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { ExecutorTurn, StepReport } from '../contract/executor.js';
import type { Json, Plan, PlanIssue } from '../contract/plan.js';
import type { ToolInfo } from '../tools/define.js';
import { formatIssues } from '../plan/validate.js';
import { catalogText, stepRules } from './plan-rules.js';

/** What the planner is told. */
export interface PlannerRequest {
  goal: string;
  context?: string | { [key: string]: Json };
  tools: readonly ToolInfo[];
  maxSteps: number;
  /** Rolling horizon: the plan covers only the next steps; more are asked for when they are done. */
  horizon?: number;
  /** Present when steps may be sub-goals: at most `maxFanOut` of them in a plan. */
  subgoals?: { maxFanOut: number };
  /** A previous plan being revised, with what is wrong with it. */
  revise?: { plan?: Plan; issues: readonly PlanIssue[]; feedback?: string };
}

/**
 * Rows of JSON, one a line, without indentation but with a space after each key (`{"id": "a","title": "A"}`): short,
 * and still easy to read. Line breaks inside values are escaped, so only the indentation's are taken out.
 */
function jsonRows(rows: readonly unknown[]): string {
  const row = (value: unknown) => JSON.stringify(value, null, 1).replace(/\n */g, '');
  return rows.length === 0 ? '[]' : `[\n${rows.map(row).join(',\n')}\n]`;
}

/** Messages asking the planner for a plan (or a revision of one). */
export function plannerMessages(request: PlannerRequest): ChatCompletionMessageParam[] {
  const context =
    request.context === undefined
      ? ''
      : `\n\nContext:\n${typeof request.context === 'string' ? request.context : JSON.stringify(request.context, null, 2)}`;
  const horizon =
    request.horizon !== undefined ? ' Plan only the next steps: you are asked for more when they are done.' : '';
  const messages: ChatCompletionMessageParam[] = [
    {
      role: 'system',
      content:
        `You are the planner of an agent: break the user's goal into at most ${request.maxSteps} concrete steps.${horizon} ` +
        `Answer with a "rationale" (a sentence, or null) and the "steps".\n${stepRules(request.subgoals)}\n\n` +
        `Tools:\n${catalogText(request.tools)}`,
    },
    { role: 'user', content: `Goal: ${request.goal}${context}` },
  ];
  const { revise } = request;
  if (revise) {
    const parts = [
      revise.plan
        ? `Your previous plan${revise.plan.rationale ? ` (${revise.plan.rationale})` : ''}:\n${jsonRows(revise.plan.steps)}`
        : '',
      revise.issues.length > 0 ? `It has these problems:\n${formatIssues(revise.issues)}` : '',
      revise.feedback ? `A reviewer rejected it with this feedback:\n${revise.feedback}` : '',
      'Write a corrected plan.',
    ];
    messages.push({ role: 'user', content: parts.filter(Boolean).join('\n\n') });
  }
  return messages;
}

/** Tokens one request to the model may take when no budget is configured (`PLANWRIGHT_CONTEXT_TOKENS`). */
export const DEFAULT_CONTEXT_TOKENS = 8000;

/** Characters per token, for estimating a request's size without a tokenizer. */
export const CHARS_PER_TOKEN = 4;

/** Characters of step outputs a request may always quote, however long the rest of it is. */
export const MIN_OUTPUT_CHARS = 2000;

/**
 * Cuts step outputs so that together they take at most `budgetChars` characters of JSON text. Short
 * outputs keep their structure; long ones share what is left equally and become a string ending in a
 * marker that says how much was left out and how to get the whole output (`howToGet`).
 */
export function fitOutputs<T extends { output?: Json }>(
  items: readonly T[],
  budgetChars: number,
  howToGet: (item: T) => string,
): T[] {
  const texts = items.map((item) => (item.output === undefined ? '' : JSON.stringify(item.output)));
  const allowance: number[] = new Array<number>(items.length).fill(0);
  let room = budgetChars;
  let left = texts.filter(Boolean).length;
  for (const i of texts.map((_, i) => i).sort((a, b) => (texts[a] as string).length - (texts[b] as string).length)) {
    const length = (texts[i] as string).length;
    if (length === 0) continue;
    allowance[i] = Math.min(length, Math.floor(room / left));
    room -= allowance[i] as number;
    left--;
  }
  return items.map((item, i) => {
    const text = texts[i] as string;
    if (text.length <= (allowance[i] as number)) return item;
    const marker = (shown: number) =>
      `… [cut: ${text.length - shown} of ${text.length} characters not shown; ${howToGet(item)}]`;
    // The marker counts against the allowance too, so the request stays within its budget.
    const keep = Math.max(0, (allowance[i] as number) - marker(0).length);
    return { ...item, output: `${text.slice(0, keep)}${marker(keep)}` };
  });
}

/** Characters of text in a request's messages. */
function size(messages: readonly ChatCompletionMessageParam[]): number {
  return messages.reduce((sum, m) => sum + (typeof m.content === 'string' ? m.content.length : 0), 0);
}

/**
 * Builds a request whose quoted outputs are fitted into what the rest of it leaves of `contextTokens`.
 * Quoting costs more than the outputs' own text (keys, JSON escapes); the excess is taken off the room again.
 */
function fitted<T extends { output?: Json }>(
  items: readonly T[],
  contextTokens: number,
  howToGet: (item: T) => string,
  build: (items: readonly T[]) => ChatCompletionMessageParam[],
): ChatCompletionMessageParam[] {
  const budget = contextTokens * CHARS_PER_TOKEN;
  const without = items.map(({ output: _output, ...rest }) => rest as T);
  let room = Math.max(MIN_OUTPUT_CHARS, budget - size(build(without)));
  let messages = build(fitOutputs(items, room, howToGet));
  for (let pass = 0; pass < 4 && room > MIN_OUTPUT_CHARS; pass++) {
    const over = size(messages) - budget;
    if (over <= 0) break;
    room = Math.max(MIN_OUTPUT_CHARS, room - over);
    messages = build(fitOutputs(items, room, howToGet));
  }
  return messages;
}

const stepOutputHint = (report: StepReport) =>
  `a tool step whose arguments reference {{${report.id}}} receives the whole output`;

function reportBlock(steps: readonly StepReport[]): string {
  const rows = steps.map((s) => ({
    id: s.id,
    title: s.title,
    status: s.status,
    ...(s.output !== undefined ? { output: s.output } : {}),
    ...(s.error ? { error: s.error } : {}),
  }));
  return '```json\n' + jsonRows(rows) + '\n```';
}

/** Messages asking a model to carry out an open step, given the results it depends on. */
export function executorMessages(request: {
  goal: string;
  step: { id: string; title: string; description?: string; successCriterion?: string };
  inputs: readonly StepReport[];
}): ChatCompletionMessageParam[] {
  const { step } = request;
  return [
    {
      role: 'system',
      content:
        'You carry out one step of a larger plan. Do exactly what the step asks, using the results given, ' +
        'and reply with the result only.',
    },
    {
      role: 'user',
      content: [
        `Overall goal: ${request.goal}`,
        `Step "${step.id}": ${step.title}`,
        step.description ? `Details: ${step.description}` : '',
        step.successCriterion ? `It succeeds when: ${step.successCriterion}` : '',
        request.inputs.length > 0 ? `Results of the steps it depends on:\n${reportBlock(request.inputs)}` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    },
  ];
}

/** Messages asking for the final answer from the results of a run, its outputs fitted into `contextTokens`. */
export function synthesizerMessages(
  request: { goal: string; steps: readonly StepReport[]; failure?: string },
  contextTokens = DEFAULT_CONTEXT_TOKENS,
): ChatCompletionMessageParam[] {
  return fitted(request.steps, contextTokens, stepOutputHint, (steps) => [
    {
      role: 'system',
      content:
        'You write the final answer of an agent run for the person who set the goal. Use only the step results ' +
        'given; quote figures exactly. If some steps failed or were skipped, say what is missing.',
    },
    {
      role: 'user',
      content: [
        `Goal: ${request.goal}`,
        `Step results:\n${reportBlock(steps)}`,
        request.failure ? `The run could not finish: ${request.failure}` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    },
  ]);
}

/** What the checker is told: one step, its output, and the criterion the output must meet. */
export interface CheckerRequest {
  goal: string;
  step: { id: string; title: string; description?: string };
  criterion: string;
  output: Json;
}

/**
 * Messages asking a model whether a step's output meets the step's success criterion; the output is fitted into
 * `contextTokens`.
 */
export function checkerMessages(
  request: CheckerRequest,
  contextTokens = DEFAULT_CONTEXT_TOKENS,
): ChatCompletionMessageParam[] {
  const { step } = request;
  const report: StepReport = { id: step.id, title: step.title, status: 'succeeded', output: request.output };
  return fitted([report], contextTokens, stepOutputHint, ([fitted]) => [
    {
      role: 'system',
      content:
        'You check one step of an agent run: does its output meet the success criterion? Judge only by the output ' +
        'given, strictly: an empty or partial output does not meet a criterion that asks for results. Answer as JSON: ' +
        '{"passed": true|false, "reason": one sentence saying what in the output meets or misses the criterion}.',
    },
    {
      role: 'user',
      content: [
        `Goal of the run: ${request.goal}`,
        `Step: ${step.title}${step.description ? ` — ${step.description}` : ''}`,
        `Success criterion: ${request.criterion}`,
        `Output:\n${reportBlock(fitted ? [fitted] : [])}`,
      ].join('\n\n'),
    },
  ]);
}

/** What the replanner is told. */
export interface ReplannerRequest {
  goal: string;
  /** Why the replanner is consulted: a failure, a changed goal, a review after a step. */
  reason: string;
  /** Finished steps with their outputs; they are kept as they are. */
  done: readonly StepReport[];
  failure?: { stepId?: string; message: string };
  /** Steps not finished yet, as currently planned. */
  remaining: readonly Plan['steps'][number][];
  tools: readonly ToolInfo[];
  maxSteps: number;
  /** Rolling horizon: at most this many new steps at a time. */
  horizon?: number;
  /** Present when steps may be sub-goals: at most `maxFanOut` of them in a plan. */
  subgoals?: { maxFanOut: number };
  /** Problems with the replanner's previous answer, or a reviewer's feedback on a revised plan. */
  revise?: { issues: readonly PlanIssue[]; feedback?: string };
}

/**
 * Messages asking the replanner whether to continue, revise the remaining steps, or finish; the finished
 * steps' outputs are fitted into `contextTokens`.
 */
export function replannerMessages(
  request: ReplannerRequest,
  contextTokens = DEFAULT_CONTEXT_TOKENS,
): ChatCompletionMessageParam[] {
  return fitted(request.done, contextTokens, stepOutputHint, (done) => replannerPrompt(request, done));
}

function replannerPrompt(request: ReplannerRequest, done: readonly StepReport[]): ChatCompletionMessageParam[] {
  const parts = [
    `Goal: ${request.goal}`,
    `Why you are consulted: ${request.reason}`,
    request.failure
      ? `What failed: ${request.failure.stepId ? `step "${request.failure.stepId}": ` : ''}${request.failure.message}`
      : '',
    `Finished steps (kept as they are; refer to their results with {{id}} references):\n${done.length > 0 ? reportBlock(done) : '(none)'}`,
    `Remaining steps as planned:\n${request.remaining.length > 0 ? jsonRows(request.remaining) : '(none)'}`,
    request.revise && request.revise.issues.length > 0
      ? `Your previous answer had these problems:\n${formatIssues(request.revise.issues)}`
      : '',
    request.revise?.feedback
      ? `A reviewer rejected your revised plan with this feedback:\n${request.revise.feedback}`
      : '',
  ];
  const horizon =
    request.horizon !== undefined
      ? `, at most ${request.horizon} new ones at a time (you are asked for more later)`
      : '';
  return [
    {
      role: 'system',
      content:
        'You are the replanner of an agent. Decide how the run goes on, and give a short "reason":\n' +
        '- "continue": the remaining steps are fine as they are (after a failure, the failed step is tried again);\n' +
        '- "revise": new "steps" replace the remaining ones; never repeat a finished step or reuse its id; at most ' +
        `${request.maxSteps} steps in all${horizon};\n` +
        '- "finish": the finished steps already answer the goal: write the final "answer".\n' +
        `${stepRules(request.subgoals)}\n\nTools:\n${catalogText(request.tools)}`,
    },
    { role: 'user', content: parts.filter(Boolean).join('\n\n') },
  ];
}

/**
 * The executor's conversation so far as chat messages: the step, then every earlier turn. The inputs'
 * outputs and the tools' results share what is left of `contextTokens`.
 */
export function executorConversation(
  request: Parameters<typeof executorMessages>[0],
  turns: readonly ExecutorTurn[],
  contextTokens = DEFAULT_CONTEXT_TOKENS,
): ChatCompletionMessageParam[] {
  type Quoted = { output?: Json; hint: string };
  const quoted: Quoted[] = [
    ...request.inputs.map((input) => ({ ...input, hint: stepOutputHint(input) })),
    ...turns.flatMap((turn) =>
      turn.role === 'tool' && turn.error === undefined
        ? [{ output: turn.output ?? null, hint: `call ${turn.tool} again for another part of its result` }]
        : [],
    ),
  ];
  const build = (fitted: readonly Quoted[]) => {
    const inputs = request.inputs.map(({ output: _output, ...input }, i) => ({ ...input, ...pick(fitted[i]) }));
    let next = request.inputs.length;
    const messages = executorMessages({ ...request, inputs });
    for (const turn of turns) {
      if (turn.role === 'assistant') {
        messages.push({
          role: 'assistant',
          content: null,
          tool_calls: turn.toolCalls.map((call) => ({
            id: call.id,
            type: 'function',
            function: { name: call.tool, arguments: JSON.stringify(call.args) },
          })),
        });
      } else {
        const output = turn.error === undefined ? fitted[next++]?.output : undefined;
        const content = turn.error !== undefined ? `Error: ${turn.error}` : asText(output ?? null);
        messages.push({ role: 'tool', tool_call_id: turn.callId, content });
      }
    }
    return messages;
  };
  return fitted(quoted, contextTokens, (item) => item.hint, build);
}

/** The output of a fitted item, or nothing when it had none. */
function pick(item: { output?: Json } | undefined): { output?: Json } {
  return item?.output === undefined ? {} : { output: item.output };
}

/** A tool result as message text: strings as they are, anything else as JSON. */
function asText(output: Json): string {
  return typeof output === 'string' ? output : JSON.stringify(output);
}

/**
 * RunInput: what a caller gives `planAndExecute`. Validated at the client and again in the workflow.
 */
import { z } from 'zod';
import { msToNumber, type Duration } from '@temporalio/common/lib/time.js';
import { builtOnce } from './built-once.js';
import { jsonSchema, MAX_GOAL_CHARS } from './plan.js';
import { TOOL_NAME } from './tools.js';

/** Accepts a Temporal duration ('5m', '24h', '1 day' or milliseconds) that is strictly positive. */
const durationSchema = () =>
  z.union([z.string(), z.number()]).refine(
    (value) => {
      try {
        return msToNumber(value as Duration) > 0;
      } catch {
        return false;
      }
    },
    { message: "expected a positive duration such as '30s', '5m', '24h' or a number of milliseconds" },
  ) as unknown as z.ZodType<Duration>;

/** Most tools a run may name in `approveTools`. */
export const MAX_APPROVE_TOOLS = 64;

const count = (min: number, max: number) => z.number().int().min(min).max(max);

/** Zod schema of {@link RunInput}; defaults are filled in by {@link parseRunInput}. */
export const runInputSchema = builtOnce(() =>
  z
    .object({
      goal: z
        .string()
        .trim()
        .min(1, 'goal must not be empty')
        .max(MAX_GOAL_CHARS, `goal must be at most ${MAX_GOAL_CHARS} characters`),
      context: z.union([z.string(), z.record(z.string(), jsonSchema())]).optional(),
      approval: z.enum(['none', 'plan', 'replans']).default('none'),
      approvalTimeout: durationSchema().default('24h'),
      escalation: z.enum(['replan', 'human']).default('replan'),
      maxReplans: count(0, 50).default(3),
      maxSteps: count(1, 1000).default(25),
      maxParallel: count(1, 64).default(4),
      stepTimeout: durationSchema().default('5m'),
      review: z.enum(['failures', 'every-step']).default('failures'),
      budget: z
        .object({
          llmCalls: count(1, 1_000_000).optional(),
          tokens: count(1, 1_000_000_000).optional(),
          /** US dollars of estimated model cost (see `usage.cost`); a model without a price cannot be kept to it. */
          cost: z.number().positive('expected a positive number of US dollars').max(1_000_000).optional(),
          /** Tool calls (every attempt counts); once spent, no tool runs and the run ends partial. */
          toolCalls: count(1, 1_000_000).optional(),
        })
        .strict()
        .optional(),
      planCache: z.union([z.boolean(), z.object({ ttl: durationSchema() }).strict()]).default(false),
      /**
       * Rolling horizon: the planner plans at most this many steps ahead, and the replanner is asked for the next
       * ones when they are done, until it finishes; `maxSteps` and the budget bound the whole run.
       */
      horizon: count(1, 100).optional(),
      /**
       * Sub-goals: a plan step may be a goal of its own, run as a child `planAndExecute` run whose answer is the step's
       * output. `maxDepth` is how many levels of runs may be started below this one (0, the default: no sub-goals);
       * `maxFanOut` bounds the sub-goal steps of one plan; `approval` is the children's approval policy.
       */
      subgoals: z
        .object({
          maxDepth: count(0, 5).default(0),
          maxFanOut: count(1, 20).default(4),
          approval: z.enum(['inherit', 'none', 'plan', 'replans']).default('inherit'),
        })
        .strict()
        .default({ maxDepth: 0, maxFanOut: 4, approval: 'inherit' }),
      /**
       * Tools whose every call in this run waits for a person's approval (on top of the tools that ask for it
       * themselves); each must be a tool of the worker.
       */
      approveTools: z
        .array(z.string().regex(new RegExp(TOOL_NAME), 'a tool name is lower-case letters, digits and "_"'))
        .max(MAX_APPROVE_TOOLS, `approveTools names at most ${MAX_APPROVE_TOOLS} tools`)
        .default([]),
      /** Check each step's output against its success criterion (default true); false skips every check. */
      checks: z.boolean().default(true),
      /** Continue as new once the history has this many events (default: when Temporal suggests it). */
      historyLimit: count(50, 50_000).optional(),
    })
    .strict(),
);

/** The fields of RunInput and of its nested objects, by path, for messages about unknown fields. */
const FIELDS: Record<string, readonly string[]> = {
  '': Object.keys(runInputSchema().shape),
  budget: ['llmCalls', 'tokens', 'cost', 'toolCalls'],
  planCache: ['ttl'],
  subgoals: ['maxDepth', 'maxFanOut', 'approval'],
};

/** The input of a run, as callers write it (optional fields may be left out). */
export type RunInput = z.input<ReturnType<typeof runInputSchema>>;
/** The input of a run with every default filled in. */
export type ResolvedRunInput = z.output<ReturnType<typeof runInputSchema>>;

/**
 * Thrown by {@link parseRunInput} when the input is not a valid {@link RunInput}; `problems` names each field.
 * @example
 * try { parseRunInput({ goal: '' }); } catch (err) { if (err instanceof InvalidRunInputError) console.error(err.problems); }
 */
export class InvalidRunInputError extends Error {
  override readonly name = 'InvalidRunInputError';
  /** One line per problem, each naming the field. */
  readonly problems: readonly string[];

  constructor(problems: string[], options?: ErrorOptions) {
    super(`invalid run input: ${problems.join('; ')}`, options);
    this.problems = problems;
  }
}

/** Deepest nesting of objects and arrays a run's `context` may have: `{"a": {"b": 1}}` is 2 levels deep. */
export const MAX_CONTEXT_DEPTH = 32;

/** Longest `context` a run takes, in characters: the text, or the object written as JSON. */
export const MAX_CONTEXT_CHARS = 64_000;

/** Options of {@link parseRunInput}. */
export interface ParseRunInputOptions {
  /**
   * Whether the context is held to {@link MAX_CONTEXT_DEPTH} and {@link MAX_CONTEXT_CHARS} (default true). Off only
   * for an input taken before those limits existed (a run replayed from an older history), so that it replays.
   */
  contextLimits?: boolean;
}

/**
 * Checks a run input and fills in its defaults. Whatever it is given, it throws nothing but
 * {@link InvalidRunInputError}: the workflow calls it on what any client sent.
 * @throws {InvalidRunInputError} naming every field that is wrong and why.
 * @example parseRunInput({ goal: 'Summarize last week of tickets', approval: 'plan' })
 */
export function parseRunInput(input: unknown, options: ParseRunInputOptions = {}): ResolvedRunInput {
  try {
    // The schema walks a context recursively: one nested thousands deep would exhaust the stack.
    const tooBig =
      options.contextLimits === false
        ? undefined
        : contextProblem((input as { context?: unknown } | null | undefined)?.context);
    if (tooBig !== undefined) throw new InvalidRunInputError([`context: ${tooBig}`]);
    const parsed = runInputSchema().safeParse(input);
    if (parsed.success) return parsed.data;
    throw new InvalidRunInputError(parsed.error.issues.map(problemOf));
  } catch (err) {
    if (err instanceof InvalidRunInputError) throw err;
    throw new InvalidRunInputError(
      [`input: it cannot be read (${describe(err)}); send a plain JSON object such as {"goal": "…"}`],
      { cause: err },
    );
  }
}

/** An error as a short line, whatever was thrown. */
function describe(err: unknown): string {
  try {
    return String(err).slice(0, 200);
  } catch {
    return 'an error that cannot be shown';
  }
}

/** What is wrong with the size of a context, found without recursion (and before the schema walks it). */
function contextProblem(context: unknown): string | undefined {
  if (typeof context === 'string') return context.length > MAX_CONTEXT_CHARS ? tooLong(`${context.length}`) : undefined;
  if (typeof context !== 'object' || context === null) return undefined;
  const pending: Array<[value: object, depth: number]> = [[context, 1]];
  // Each value takes at least one character of JSON: more values than that is too long, whatever they are.
  let values = 0;
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, depth] = next;
    if (depth > MAX_CONTEXT_DEPTH) {
      return `it is nested more than ${MAX_CONTEXT_DEPTH} levels deep; flatten it (at most ${MAX_CONTEXT_DEPTH} levels of objects and arrays)`;
    }
    for (const child of Object.values(value)) {
      if (++values > MAX_CONTEXT_CHARS) return tooLong(`more than ${MAX_CONTEXT_CHARS}`, ' as JSON');
      if (typeof child === 'object' && child !== null) pending.push([child, depth + 1]);
    }
  }
  const chars = JSON.stringify(context).length;
  return chars > MAX_CONTEXT_CHARS ? tooLong(`${chars}`, ' as JSON') : undefined;
}

/** The problem of a context of `size` characters, over the limit. */
function tooLong(size: string, as = ''): string {
  return (
    `it is ${size} characters long${as}; at most ${MAX_CONTEXT_CHARS} are taken (as text, or as JSON): ` +
    'give large data to the run through a tool or a file in the workspace instead'
  );
}

/** Unknown fields named in a message: the first few, each cut short. */
const SHOWN_FIELDS = 6;

/** One problem the schema found, as a line naming the field. */
function problemOf(issue: z.core.$ZodIssue): string {
  const where = issue.path.join('.') || 'input';
  if (issue.code !== 'unrecognized_keys') return `${where}: ${issue.message}`;
  const known = FIELDS[issue.path.join('.')];
  const shown = issue.keys.slice(0, SHOWN_FIELDS).map((k) => `"${k.length > 60 ? `${k.slice(0, 60)}…` : k}"`);
  const more = issue.keys.length > SHOWN_FIELDS ? ` and ${issue.keys.length - SHOWN_FIELDS} more` : '';
  const fields = `field${issue.keys.length > 1 ? 's' : ''} ${shown.join(', ')}${more}`;
  return `${where}: unknown ${fields}${known ? ` (it takes ${known.join(', ')})` : ''}`;
}

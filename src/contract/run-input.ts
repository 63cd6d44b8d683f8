/**
 * RunInput: what a caller gives `planAndExecute`. Validated at the client and again in the workflow.
 */
import { z } from 'zod';
import { msToNumber, type Duration } from '@temporalio/common/lib/time.js';
import { builtOnce } from './built-once.js';
import { jsonSchema, MAX_GOAL_CHARS } from './plan.js';

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

  constructor(problems: string[]) {
    super(`invalid run input: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

/**
 * Checks a run input and fills in its defaults.
 * @throws {InvalidRunInputError} naming every field that is wrong and why.
 * @example parseRunInput({ goal: 'Summarize last week of tickets', approval: 'plan' })
 */
export function parseRunInput(input: unknown): ResolvedRunInput {
  const parsed = runInputSchema().safeParse(input);
  if (parsed.success) return parsed.data;
  throw new InvalidRunInputError(
    parsed.error.issues.map((issue) => {
      const where = issue.path.join('.') || 'input';
      if (issue.code !== 'unrecognized_keys') return `${where}: ${issue.message}`;
      const known = FIELDS[issue.path.join('.')];
      const unknown = issue.keys.map((k) => `"${k}"`).join(', ');
      return `${where}: unknown field${issue.keys.length > 1 ? 's' : ''} ${unknown}${known ? ` (it takes ${known.join(', ')})` : ''}`;
    }),
  );
}

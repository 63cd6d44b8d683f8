/**
 * The options of `planwright start`, one per RunInput field, and how they become a RunInput: every value is
 * checked by `parseRunInput`, whose problems are reported under the flag that carried the value.
 */
import { InvalidRunInputError, parseRunInput, type ResolvedRunInput, type RunInput } from '../contract/run-input.js';

/** The RunInput field behind each flag of `start` (dotted for nested fields). */
const FIELD_OF = {
  approval: 'approval',
  context: 'context',
  'max-parallel': 'maxParallel',
  'max-steps': 'maxSteps',
  'step-timeout': 'stepTimeout',
  escalation: 'escalation',
  'max-replans': 'maxReplans',
  review: 'review',
  'budget-calls': 'budget.llmCalls',
  'budget-tokens': 'budget.tokens',
  'budget-cost': 'budget.cost',
  'plan-cache': 'planCache',
  'approval-timeout': 'approvalTimeout',
  horizon: 'horizon',
  subgoals: 'subgoals.maxDepth',
  'subgoal-fan-out': 'subgoals.maxFanOut',
  'subgoal-approval': 'subgoals.approval',
  'approve-tools': 'approveTools',
} as const;

/** A flag of `start` that sets a RunInput field. */
export type StartFlag = keyof typeof FIELD_OF;

/** The values `parseArgs` read for the flags of `start`. */
export type StartValues = Partial<Record<StartFlag, string>>;

/** `parseArgs` option declarations of the flags of `start`. */
export const START_OPTIONS = Object.fromEntries(
  Object.keys(FIELD_OF).map((flag) => [flag, { type: 'string' as const }]),
) as Record<StartFlag, { type: 'string' }>;

/** The flags that take numbers. */
const NUMERIC = new Set<StartFlag>([
  'max-parallel',
  'max-steps',
  'max-replans',
  'budget-calls',
  'budget-tokens',
  'budget-cost',
  'horizon',
  'subgoals',
  'subgoal-fan-out',
]);

/** What the `ms` library (Temporal's durations) reads: a number, optionally with a unit. */
const DURATION =
  /^-?\d+(\.\d+)?\s*(ms|msecs?|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?|y|yrs?|years?)?$/i;

/** A number when the text is one, so the schema says what is wrong with the number, else the text itself. */
function numberOrText(text: string): number | string {
  return /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text;
}

/**
 * `--plan-cache` takes an optional TTL, which `parseArgs` cannot express: a bare `--plan-cache` becomes
 * `--plan-cache=on`, and a duration, `on` or `off` right after it becomes its value (`--plan-cache 2h` →
 * `--plan-cache=2h`).
 */
export function withPlanCacheValue(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return [...out, ...args.slice(i)];
    if (arg !== '--plan-cache') {
      out.push(arg);
      continue;
    }
    const next = args[i + 1];
    if (next !== undefined && (DURATION.test(next.trim()) || next === 'on' || next === 'off')) {
      out.push(`--plan-cache=${next}`);
      i++;
    } else out.push('--plan-cache=on');
  }
  return out;
}

/** The value of `planCache` that `--plan-cache=VALUE` asks for. */
function planCacheOf(value: string): boolean | { ttl: number | string } {
  if (value === 'on' || value === 'true') return true;
  if (value === 'off' || value === 'false') return false;
  return { ttl: numberOrText(value) };
}

/**
 * The RunInput of `planwright start`, with every default filled in.
 * @throws {InvalidRunInputError} naming each wrong value by its flag (`--max-replans=99: …`).
 * @example runInputFromOptions('Count the tickets', { approval: 'plan', 'max-replans': '5' })
 */
export function runInputFromOptions(goal: string, values: StartValues): ResolvedRunInput {
  const input: Record<string, unknown> = { goal };
  for (const [flag, field] of Object.entries(FIELD_OF) as Array<[StartFlag, string]>) {
    const value = values[flag];
    if (value === undefined) continue;
    const [outer, inner] = field.split('.') as [string, string | undefined];
    const parsed =
      flag === 'plan-cache'
        ? planCacheOf(value)
        : flag === 'approve-tools'
          ? value
              .split(',')
              .map((name) => name.trim())
              .filter((name) => name !== '')
          : NUMERIC.has(flag)
            ? numberOrText(value)
            : value;
    if (inner === undefined) input[outer] = parsed;
    else input[outer] = { ...(input[outer] as object | undefined), [inner]: parsed };
  }
  try {
    return parseRunInput(input);
  } catch (err) {
    if (!(err instanceof InvalidRunInputError)) throw err;
    throw new InvalidRunInputError(err.problems.map((problem) => underFlag(problem, values)));
  }
}

/**
 * The flags of `start` that give a run input's options besides its goal: what {@link runInputFromOptions} reads
 * back into the same input. A context that is not text has no flag and is left out.
 * @example startFlags({ goal: 'Count', approval: 'plan', planCache: true }) // ['--approval', 'plan', '--plan-cache']
 */
export function startFlags(input: RunInput): string[] {
  const flags: string[] = [];
  for (const [flag, field] of Object.entries(FIELD_OF) as Array<[StartFlag, string]>) {
    const value = field
      .split('.')
      .reduce<unknown>((parent, key) => (parent as Record<string, unknown> | undefined)?.[key], input);
    if (flag === 'plan-cache' && value !== undefined) {
      const cache = value as NonNullable<RunInput['planCache']>;
      flags.push('--plan-cache', ...(cache === true ? [] : cache === false ? ['off'] : [String(cache.ttl)]));
    } else if (Array.isArray(value)) {
      if (value.length > 0) flags.push(`--${flag}`, value.join(','));
    } else if (typeof value === 'string' || typeof value === 'number') flags.push(`--${flag}`, String(value));
  }
  return flags;
}

/** A problem `parseRunInput` reported for a field, told in terms of the flag and the value given. */
function underFlag(problem: string, values: StartValues): string {
  const colon = problem.indexOf(': ');
  const where = problem.slice(0, colon);
  const entry = (Object.entries(FIELD_OF) as Array<[StartFlag, string]>).find(
    ([, field]) => where === field || where.startsWith(`${field}.`),
  );
  if (!entry) return problem;
  const [flag] = entry;
  const value = values[flag] ?? '';
  // A context may be thousands of characters long: the start of it says which flag is meant.
  const shown = value.length > 40 ? `${value.slice(0, 40)}… (${value.length} characters)` : value;
  return `--${flag}=${shown}${problem.slice(colon)}`;
}

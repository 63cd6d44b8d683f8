/**
 * The model client's settings: what they are, their defaults, and how they are read from the environment.
 */
import type { Phase } from './phase.js';
import { priceTableFromEnv, PRICES_VARIABLE, type PriceTable } from './prices.js';

/** Settings of the model client. */
export interface ModelConfig {
  apiKey: string;
  baseURL?: string;
  model: string;
  /**
   * How long a request may wait for the server to say anything, in ms: its answer's headers, or the next chunk of
   * its streamed answer. A slow server that keeps writing is never cut off; a silent one is (default
   * {@link DEFAULT_SILENCE_MS}; `PLANWRIGHT_MODEL_SILENCE`, in seconds).
   */
  timeoutMs: number;
  /**
   * How structured answers are asked for: a strict JSON schema (`json_schema`, the default), or JSON mode
   * with the schema in the prompt (`json_object`) for servers without schema support. A server that refuses
   * `json_schema` is switched to JSON mode automatically.
   */
  structuredOutput?: 'json_schema' | 'json_object';
  /**
   * Output cap per phase, in tokens (default {@link DEFAULT_MAX_TOKENS}, and for plans and replans
   * {@link planOutputCap} of the steps they may hold). A plan or replan cap too small for the steps is refused.
   */
  maxTokens?: Partial<Record<Phase, number>>;
  /**
   * The request field that carries the output cap: `max_completion_tokens` (OpenAI's current name, the default
   * for OpenAI and Azure) or `max_tokens` (what llama.cpp, Ollama, vLLM and LM Studio read; the default elsewhere).
   */
  capField?: 'max_tokens' | 'max_completion_tokens';
  /** Sampling temperature; `null` leaves it to the server (some reasoning models take only their default). */
  temperature?: number | null;
  /** Penalty on repeated tokens (OpenAI's `frequency_penalty`), sent when set: keeps small models from looping. */
  frequencyPenalty?: number;
  /**
   * How the executor asks for tool calls: the API's `tools` (the default), or `json`: tools described in the
   * prompt and calls written as JSON, for servers and chat templates without tool support.
   */
  toolCalls?: 'native' | 'json';
  /**
   * The planner's response format on servers that turn a JSON schema into a grammar: `catalog` (the default; what
   * OpenAI's strict mode takes) or `positional` (step i is `s<i>` and depends only on earlier steps; llama.cpp,
   * Ollama; see `positionalPlanSchema`). JSON mode always carries the catalog format.
   */
  planFormat?: 'catalog' | 'positional';
  /** Prices that turn usage into an estimated cost (default {@link DEFAULT_PRICES}); see `PLANWRIGHT_PRICES`. */
  prices?: PriceTable;
}

/** Output caps when none are configured: plans and replans can be long, answers less so. */
export const DEFAULT_MAX_TOKENS: Readonly<Record<Phase, number>> = Object.freeze({
  plan: 4096,
  replan: 4096,
  execute: 2048,
  check: 512,
  synthesize: 2048,
});

/**
 * What the default output cap of a plan or replan call is made of, in tokens: a fixed part (the rationale, a
 * replanner's reason or final answer, the JSON around the steps) and an allowance per step. Measured on the demos'
 * plans (`npm run bench -- tokens`, 4 characters a token): a step as a model writes it takes 82 tokens on average and
 * 172 at most; the allowance is half as much again as the average, for tokenizers that cut JSON finer than that and
 * for plans with longer descriptions.
 */
export const PLAN_OUTPUT_TOKENS = Object.freeze({ fixed: 512, perStep: 128 });

/**
 * The fewest output tokens a plan step takes in the response format: every key present, the shortest values
 * (`{"id":"a","title":"a","description":null,…}`, 149 characters). A cap below this many a step cannot hold the plan.
 */
export const LEAST_STEP_TOKENS = 36;

/** The default output cap of a plan or replan call whose answer may hold `steps` steps: never below the phase's default. */
export function planOutputCap(phase: 'plan' | 'replan', steps: number): number {
  return Math.max(DEFAULT_MAX_TOKENS[phase], PLAN_OUTPUT_TOKENS.fixed + PLAN_OUTPUT_TOKENS.perStep * steps);
}

/**
 * The output cap of a call in `phase`: the configured one, else the default; for a plan or replan whose answer may
 * hold `steps` steps, a default sized to them.
 */
export function outputCap(config: Pick<ModelConfig, 'maxTokens'>, phase: Phase, steps?: number): number {
  const configured = config.maxTokens?.[phase];
  if (configured !== undefined) return configured;
  return steps !== undefined && (phase === 'plan' || phase === 'replan')
    ? planOutputCap(phase, steps)
    : DEFAULT_MAX_TOKENS[phase];
}

/**
 * Says why the configured output cap of `phase` cannot hold an answer of `steps` plan steps, or undefined when it
 * can (or none is configured, and the default is sized to the steps).
 */
export function capTooSmall(config: Pick<ModelConfig, 'maxTokens'>, phase: Phase, steps: number): string | undefined {
  const cap = config.maxTokens?.[phase];
  const least = LEAST_STEP_TOKENS * steps;
  if (cap === undefined || cap >= least || (phase !== 'plan' && phase !== 'replan')) return undefined;
  return (
    `the ${phase} output cap of ${cap} tokens (PLANWRIGHT_MAX_TOKENS) cannot hold the ${steps} steps maxSteps ` +
    `allows, which take at least ${least} tokens (the default cap for them is ${planOutputCap(phase, steps)}): ` +
    `raise or unset PLANWRIGHT_MAX_TOKENS for ${phase}, or lower maxSteps`
  );
}

/** Temperature when none is configured: low, so plans are stable from one run to the next. */
export const DEFAULT_TEMPERATURE = 0.2;

/** How long a model request may go without a byte from the server before it is cut off, by default: 90 s. */
export const DEFAULT_SILENCE_MS = 90_000;

/** The variable that sets how long a model request may stay silent, in seconds. */
export const SILENCE_VARIABLE = 'PLANWRIGHT_MODEL_SILENCE';

/**
 * Thrown when a model setting in the environment cannot be used; the message names it and what to write.
 * @example
 * modelConfigFromEnv({ PLANWRIGHT_TEMPERATURE: 'hot' }); // throws: PLANWRIGHT_TEMPERATURE=hot cannot be used: …
 */
export class ModelConfigError extends Error {
  override readonly name = 'ModelConfigError';
}

/** Model used when `PLANWRIGHT_MODEL` is not set. */
export const DEFAULT_MODEL = 'gpt-4o-mini';

/**
 * Reads the model settings: `OPENAI_API_KEY`, `OPENAI_BASE_URL`, `PLANWRIGHT_MODEL`,
 * `PLANWRIGHT_STRUCTURED_OUTPUT` (json_schema | json_object), `PLANWRIGHT_MAX_TOKENS` (`2048`, or per phase:
 * `plan=4096,execute=1024`), `PLANWRIGHT_MAX_TOKENS_FIELD` (max_tokens | max_completion_tokens),
 * `PLANWRIGHT_TEMPERATURE` (a number, or `default` to send none), `PLANWRIGHT_FREQUENCY_PENALTY` and
 * `PLANWRIGHT_TOOL_CALLS` (native | json), `PLANWRIGHT_PLAN_FORMAT` (catalog | positional), `PLANWRIGHT_MODEL_SILENCE` (seconds), and `PLANWRIGHT_PRICES` (prices per model, see `priceTableFromEnv`).
 * @throws {ModelConfigError} naming a variable that holds something else.
 * @throws {PriceConfigError} when `PLANWRIGHT_PRICES` is not a price table.
 */
export function modelConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ModelConfig {
  const choice = <T extends string>(name: string, allowed: readonly T[]): T | undefined => {
    const value = env[name];
    if (!value) return undefined;
    if (!allowed.includes(value as T)) unusable(name, value, allowed.join(' or '));
    return value as T;
  };
  const structuredOutput = choice('PLANWRIGHT_STRUCTURED_OUTPUT', ['json_schema', 'json_object'] as const);
  const capField = choice('PLANWRIGHT_MAX_TOKENS_FIELD', ['max_tokens', 'max_completion_tokens'] as const);
  const toolCalls = choice('PLANWRIGHT_TOOL_CALLS', ['native', 'json'] as const);
  const planFormat = choice('PLANWRIGHT_PLAN_FORMAT', ['catalog', 'positional'] as const);
  return {
    // Local servers (Ollama, vLLM, LM Studio) need no key, but the client refuses an empty one.
    apiKey: env.OPENAI_API_KEY || 'not-needed',
    ...(env.OPENAI_BASE_URL ? { baseURL: env.OPENAI_BASE_URL } : {}),
    model: env.PLANWRIGHT_MODEL || DEFAULT_MODEL,
    timeoutMs: env[SILENCE_VARIABLE] ? parseSilence(env[SILENCE_VARIABLE]) : DEFAULT_SILENCE_MS,
    ...(structuredOutput ? { structuredOutput } : {}),
    ...(capField ? { capField } : {}),
    ...(toolCalls ? { toolCalls } : {}),
    ...(planFormat ? { planFormat } : {}),
    ...(env.PLANWRIGHT_MAX_TOKENS ? { maxTokens: parseMaxTokens(env.PLANWRIGHT_MAX_TOKENS) } : {}),
    ...(env.PLANWRIGHT_TEMPERATURE ? { temperature: parseTemperature(env.PLANWRIGHT_TEMPERATURE) } : {}),
    ...(env.PLANWRIGHT_FREQUENCY_PENALTY ? { frequencyPenalty: parsePenalty(env.PLANWRIGHT_FREQUENCY_PENALTY) } : {}),
    ...(env[PRICES_VARIABLE] ? { prices: priceTableFromEnv(env) } : {}),
  };
}

function parseMaxTokens(value: string): Partial<Record<Phase, number>> {
  const phases: readonly Phase[] = ['plan', 'replan', 'execute', 'synthesize'];
  const tokens = (text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 16) unusable('PLANWRIGHT_MAX_TOKENS', value, 'whole numbers of at least 16');
    return n;
  };
  if (!value.includes('=')) return Object.fromEntries(phases.map((phase) => [phase, tokens(value)]));
  return Object.fromEntries(
    value.split(',').map((part) => {
      const [phase = '', n = ''] = part.split('=').map((x) => x.trim());
      if (!phases.includes(phase as Phase)) {
        unusable('PLANWRIGHT_MAX_TOKENS', value, `a number, or phase=number pairs for ${phases.join(', ')}`);
      }
      return [phase, tokens(n)];
    }),
  );
}

function parseSilence(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) unusable(SILENCE_VARIABLE, value, 'a number of seconds above 0');
  return seconds * 1000;
}

function parseTemperature(value: string): number | null {
  if (value === 'default') return null;
  const t = Number(value);
  if (!Number.isFinite(t) || t < 0 || t > 2)
    unusable('PLANWRIGHT_TEMPERATURE', value, 'a number from 0 to 2, or default');
  return t;
}

function parsePenalty(value: string): number {
  const p = Number(value);
  if (!Number.isFinite(p) || p < -2 || p > 2) unusable('PLANWRIGHT_FREQUENCY_PENALTY', value, 'a number from -2 to 2');
  return p;
}

function unusable(name: string, value: string, expected: string): never {
  throw new ModelConfigError(`${name}=${value} cannot be used: expected ${expected}`);
}

/**
 * The model: an OpenAI-compatible chat completions endpoint reached through the `openai` client.
 * Temporal retries, so the client itself never does; every failure is classified once, here.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import { ErrorType } from '../contract/errors.js';
import { addCost, type CostFields } from '../contract/run-state.js';
import { costOf, priceOf, priceTableFromEnv, DEFAULT_PRICES, PRICES_VARIABLE, type PriceTable } from './prices.js';

/** Which part of a run a model call serves; sent as the `X-Planwright-Phase` header. */
export type Phase = 'plan' | 'replan' | 'execute' | 'check' | 'synthesize';

/** Header that names the phase of a request, so scripted servers and proxies can route on it. */
export const PHASE_HEADER = 'x-planwright-phase';

/** What model calls cost: how many were made, their tokens and estimated cost. Adds into a run's `usage`. */
export interface TokenUsage extends CostFields {
  llmCalls: number;
  inputTokens: number;
  outputTokens: number;
}

/** Settings of the model client. */
export interface ModelConfig {
  apiKey: string;
  baseURL?: string;
  model: string;
  /** Per-request timeout; keep it below the LLM activity's start-to-close timeout. */
  timeoutMs: number;
  /**
   * How structured answers are asked for: a strict JSON schema (`json_schema`, the default), or JSON mode
   * with the schema in the prompt (`json_object`) for servers without schema support. A server that refuses
   * `json_schema` is switched to JSON mode automatically.
   */
  structuredOutput?: 'json_schema' | 'json_object';
  /** Output cap per phase, in tokens (default {@link DEFAULT_MAX_TOKENS}). */
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

/** Temperature when none is configured: low, so plans are stable from one run to the next. */
export const DEFAULT_TEMPERATURE = 0.2;

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
 * `PLANWRIGHT_TOOL_CALLS` (native | json), and `PLANWRIGHT_PRICES` (prices per model, see `priceTableFromEnv`).
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
  return {
    // Local servers (Ollama, vLLM, LM Studio) need no key, but the client refuses an empty one.
    apiKey: env.OPENAI_API_KEY || 'not-needed',
    ...(env.OPENAI_BASE_URL ? { baseURL: env.OPENAI_BASE_URL } : {}),
    model: env.PLANWRIGHT_MODEL || DEFAULT_MODEL,
    timeoutMs: 90_000,
    ...(structuredOutput ? { structuredOutput } : {}),
    ...(capField ? { capField } : {}),
    ...(toolCalls ? { toolCalls } : {}),
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

/** A structured answer: the parsed value and what it cost. */
export interface Structured<T> {
  value: T;
  usage: TokenUsage;
}

/** What activities need from a model. */
export interface Model {
  /**
   * Asks for JSON matching `schema`; answers that do not parse or validate get one repair request.
   * @throws {ApplicationFailure} classified: `ModelUnavailable` (retryable), `ModelRequestRejected` or `InvalidModelOutput`.
   */
  structured<T>(request: {
    phase: Phase;
    name: string;
    /** Checks the parsed answer; also the response format unless `jsonSchema` is given. */
    schema: z.ZodType<T>;
    /** The response format to ask for, when it is built otherwise (from the tool catalog, say). */
    jsonSchema?: Record<string, unknown>;
    messages: ChatCompletionMessageParam[];
    onUsage?: UsageListener;
  }): Promise<Structured<T>>;
  /**
   * Asks for free text.
   * @throws {ApplicationFailure} classified as for `structured`.
   */
  text(request: {
    phase: Phase;
    messages: ChatCompletionMessageParam[];
    onUsage?: UsageListener;
  }): Promise<Structured<string>>;
  /**
   * One turn of a conversation in which the model may call tools: returns its text, or the calls it wants.
   * @throws {ApplicationFailure} classified as for `structured`.
   */
  converse(request: {
    phase: Phase;
    messages: ChatCompletionMessageParam[];
    tools: ChatCompletionTool[];
    onUsage?: UsageListener;
  }): Promise<Structured<{ content: string; toolCalls: ModelToolCall[] }>>;
}

/** Told the usage of an answer so far after each call to the server, so that an attempt cut short still counts. */
export type UsageListener = (usageSoFar: TokenUsage) => void;

/** A tool call the model asked for; `arguments` is the JSON text it wrote. */
export interface ModelToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** Usage of no call at all. */
const NO_CALLS: TokenUsage = Object.freeze({ llmCalls: 0, inputTokens: 0, outputTokens: 0 });

/** Adds two usage records. */
export function addTokenUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    llmCalls: a.llmCalls + b.llmCalls,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    ...addCost(a, b),
  };
}

/** Usage of `model`'s calls with their estimated cost, or counted as unpriced when the table has no price for it. */
export function pricedUsage(usage: TokenUsage, model: string, prices: PriceTable = DEFAULT_PRICES): TokenUsage {
  if (usage.llmCalls === 0) return usage;
  const price = priceOf(model, prices);
  return price ? { ...usage, cost: costOf(usage, price) } : { ...usage, unpricedCalls: usage.llmCalls };
}

/** The usage a model failure reports in its details (calls that reached the server count, failed or not). */
export function usageOfFailure(err: unknown): TokenUsage {
  const details =
    err instanceof ApplicationFailure ? (err.details?.[0] as { usage?: TokenUsage } | undefined) : undefined;
  return details?.usage ?? NO_CALLS;
}

/** The same failure, reporting `usage` in its details so that the run can count it. */
export function withUsage(err: unknown, usage: TokenUsage): unknown {
  if (!(err instanceof ApplicationFailure)) return err;
  const { type, message, nonRetryable, nextRetryDelay, cause } = err;
  return ApplicationFailure.create({
    ...(type ? { type } : {}),
    message,
    nonRetryable: nonRetryable ?? false,
    ...(nextRetryDelay != null ? { nextRetryDelay } : {}),
    ...(cause ? { cause } : {}),
    details: [{ usage }],
  });
}

/** One answer of the server. */
interface Completion {
  content: string;
  toolCalls: ModelToolCall[];
  usage: TokenUsage;
  /** The answer stopped at the output cap (`finish_reason: 'length'`). */
  truncated: boolean;
}

/** Whether the configured endpoint is Azure OpenAI's. */
function isAzure(config: Pick<ModelConfig, 'baseURL'>): boolean {
  const host = config.baseURL ? new URL(config.baseURL).hostname : 'api.openai.com';
  return /\.(openai\.azure\.com|cognitiveservices\.azure\.com)$/i.test(host);
}

/** The `openai` client for `config`: never retrying (Temporal does), with the given timeout. */
export function openAIClient(config: ModelConfig, timeoutMs = config.timeoutMs): OpenAI {
  return new OpenAI({
    apiKey: config.apiKey,
    ...(config.baseURL ? { baseURL: config.baseURL } : {}),
    // Azure OpenAI's v1 endpoint takes its key in an api-key header.
    ...(isAzure(config) ? { defaultHeaders: { 'api-key': config.apiKey } } : {}),
    timeout: timeoutMs,
    maxRetries: 0,
  });
}

/** The output cap field when none is configured: OpenAI's current name for OpenAI and Azure, `max_tokens` elsewhere. */
export function defaultCapField(config: Pick<ModelConfig, 'baseURL'>): 'max_tokens' | 'max_completion_tokens' {
  const openai = !config.baseURL || new URL(config.baseURL).hostname === 'api.openai.com';
  return openai || isAzure(config) ? 'max_completion_tokens' : 'max_tokens';
}

/** Creates a {@link Model} over the `openai` client. */
export function createModel(config: ModelConfig): Model {
  const client = openAIClient(config);
  const capField = config.capField ?? defaultCapField(config);
  const temperature = config.temperature === undefined ? DEFAULT_TEMPERATURE : config.temperature;
  let mode = config.structuredOutput ?? 'json_schema';
  /** The usage of calls to the configured model, with their estimated cost when it has a price. */
  const priced = (usage: TokenUsage) => pricedUsage(usage, config.model, config.prices);

  /** One request: roles made to alternate, the phase's output cap and the temperature added. */
  const complete = async (
    phase: Phase,
    body: Omit<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, 'model'>,
  ): Promise<Completion> => {
    const cap = config.maxTokens?.[phase] ?? DEFAULT_MAX_TOKENS[phase];
    let completion: OpenAI.Chat.ChatCompletion;
    try {
      completion = await client.chat.completions.create(
        {
          ...body,
          messages: alternating(body.messages),
          model: config.model,
          [capField]: cap,
          ...(temperature !== null ? { temperature } : {}),
          ...(config.frequencyPenalty !== undefined ? { frequency_penalty: config.frequencyPenalty } : {}),
        },
        { headers: { [PHASE_HEADER]: phase } },
      );
    } catch (err) {
      // A call the server answered, even with an error, counts; one that never reached it does not.
      const reached = err instanceof APIError && err.status !== undefined;
      throw withUsage(classifyModelError(err, config), reached ? priced({ ...NO_CALLS, llmCalls: 1 }) : NO_CALLS);
    }
    const choice = completion.choices[0];
    const usage = priced({
      llmCalls: 1,
      inputTokens: completion.usage?.prompt_tokens ?? 0,
      outputTokens: completion.usage?.completion_tokens ?? 0,
    });
    if (choice?.finish_reason === 'content_filter' || choice?.message.refusal) {
      const refused = ApplicationFailure.create({
        type: ErrorType.ModelRequestRejected,
        nonRetryable: true,
        message: `the model refused to answer (${choice.message.refusal ?? 'content filter'}); rephrase the goal`,
      });
      throw withUsage(refused, usage);
    }
    const toolCalls = (choice?.message.tool_calls ?? []).flatMap((call) =>
      call.type === 'function' ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments }] : [],
    );
    return { content: choice?.message.content ?? '', toolCalls, usage, truncated: choice?.finish_reason === 'length' };
  };

  /** Calls made for one answer, whose usage is reported however the answer ends. */
  const session = (onUsage?: UsageListener) => {
    let usage = NO_CALLS;
    return {
      usage: () => usage,
      async call(phase: Phase, body: Parameters<typeof complete>[1]): Promise<Completion> {
        try {
          const answer = await complete(phase, body);
          usage = addTokenUsage(usage, answer.usage);
          onUsage?.(usage);
          return answer;
        } catch (err) {
          usage = addTokenUsage(usage, usageOfFailure(err));
          onUsage?.(usage);
          throw withUsage(err, usage);
        }
      },
      fail(failure: ApplicationFailure): never {
        throw withUsage(failure, usage);
      },
    };
  };

  /** Asks for plain text; an answer cut at the cap is asked for again, shorter, once, then kept with a note. */
  const answer = async (
    phase: Phase,
    messages: ChatCompletionMessageParam[],
    extra: { tools?: ChatCompletionTool[]; onUsage?: UsageListener } = {},
  ): Promise<Structured<{ content: string; toolCalls: ModelToolCall[] }>> => {
    const calls = session(extra.onUsage);
    const body = { messages, ...(extra.tools?.length ? { tools: extra.tools, tool_choice: 'auto' as const } : {}) };
    let reply = await calls.call(phase, body);
    if (reply.truncated && reply.toolCalls.length === 0) {
      reply = await calls.call(phase, {
        ...body,
        messages: [...messages, { role: 'assistant', content: reply.content }, { role: 'user', content: SHORTER }],
      });
      if (reply.truncated) reply = { ...reply, content: `${reply.content}\n\n[cut off at the output limit]` };
    }
    return { value: { content: reply.content, toolCalls: reply.toolCalls }, usage: calls.usage() };
  };

  return {
    async structured({ phase, name, schema, jsonSchema, messages, onUsage }) {
      const strict = jsonSchema
        ? { type: 'json_schema' as const, json_schema: { name, strict: true, schema: jsonSchema } }
        : responseFormat(schema, name);
      const calls = session(onUsage);
      // JSON mode: the server promises JSON only, so the schema travels in the prompt.
      const ask = (extra: ChatCompletionMessageParam[] = []) =>
        calls.call(phase, {
          ...(mode === 'json_schema'
            ? { response_format: strict }
            : { response_format: { type: 'json_object' as const } }),
          messages: [
            ...(mode === 'json_schema'
              ? []
              : [{ role: 'system' as const, content: jsonModeRule(strict.json_schema.schema) }]),
            ...messages,
            ...extra,
          ],
        });
      let first;
      try {
        first = await ask();
      } catch (err) {
        if (mode !== 'json_schema' || !refusesJsonSchema(err)) throw err;
        mode = 'json_object';
        first = await ask();
      }
      const checked = first.truncated ? cutOff() : checkJson(first.content, schema);
      if (checked.ok) return { value: checked.value, usage: calls.usage() };

      const repair = await ask([
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: `That answer is not valid: ${checked.error}\nReply again with only the corrected JSON.`,
        },
      ]);
      const repaired = repair.truncated ? cutOff() : checkJson(repair.content, schema);
      if (repaired.ok) return { value: repaired.value, usage: calls.usage() };
      return calls.fail(
        ApplicationFailure.create({
          type: ErrorType.InvalidModelOutput,
          nonRetryable: true,
          message: `the model's ${name} was invalid twice (once after a repair request): ${repaired.error}`,
        }),
      );
    },
    async text({ phase, messages, onUsage }) {
      const { value, usage } = await answer(phase, messages, onUsage ? { onUsage } : {});
      return { value: value.content, usage };
    },
    async converse({ phase, messages, tools, onUsage }) {
      const listen = onUsage ? { onUsage } : {};
      if (config.toolCalls !== 'json' || tools.length === 0) return answer(phase, messages, { tools, ...listen });
      const { value, usage } = await answer(phase, jsonToolMessages(messages, tools), listen);
      return { value: parseJsonToolAnswer(value.content), usage };
    },
  };
}

const responseFormats = new WeakMap<object, Map<string, ReturnType<typeof zodResponseFormat>>>();

/** The response format of a zod schema, built once per schema and name (building one walks the whole schema). */
function responseFormat(schema: object, name: string): ReturnType<typeof zodResponseFormat> {
  const byName = responseFormats.get(schema) ?? new Map<string, ReturnType<typeof zodResponseFormat>>();
  responseFormats.set(schema, byName);
  let format = byName.get(name);
  if (!format) {
    format = zodResponseFormat(schema as never, name);
    byName.set(name, format);
  }
  return format;
}

/** What a model is told after an answer that stopped at the output cap. */
const SHORTER =
  'Your answer was cut off at the output limit before it was complete. Write it again, complete and shorter.';

/** The check result of an answer cut off at the output cap. */
function cutOff(): { ok: false; error: string } {
  return {
    ok: false,
    error:
      'it was cut off at the output limit before the JSON was complete; write a shorter answer (fewer or shorter steps and texts)',
  };
}

/** The instruction that carries the schema in JSON mode. */
function jsonModeRule(schema: unknown): string {
  return `Answer with one JSON object (no prose) that matches this JSON schema:\n${JSON.stringify(schema)}`;
}

/**
 * The conversation as strict chat templates want it: every system message folded into one at the start, and
 * consecutive user (or plain assistant) messages joined, so that roles alternate.
 */
export function alternating(messages: readonly ChatCompletionMessageParam[]): ChatCompletionMessageParam[] {
  const text = (content: unknown) => (typeof content === 'string' ? content : JSON.stringify(content));
  const system = messages.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => text(m.content));
  const rest: ChatCompletionMessageParam[] = [];
  for (const message of messages) {
    if (message.role === 'system' || message.role === 'developer') continue;
    const last = rest.at(-1);
    const joinable = (m: ChatCompletionMessageParam) =>
      (m.role === 'user' || (m.role === 'assistant' && !m.tool_calls?.length)) && typeof m.content === 'string';
    if (last && last.role === message.role && joinable(last) && joinable(message)) {
      rest[rest.length - 1] = { ...last, content: `${text(last.content)}\n\n${text(message.content)}` } as typeof last;
    } else rest.push(message);
  }
  return [...(system.length > 0 ? [{ role: 'system' as const, content: system.join('\n\n') }] : []), ...rest];
}

/**
 * The executor's conversation for a server without tool support: the tools described in the prompt, earlier
 * calls as the JSON the model wrote, and their results as user messages.
 */
export function jsonToolMessages(
  messages: readonly ChatCompletionMessageParam[],
  tools: readonly ChatCompletionTool[],
): ChatCompletionMessageParam[] {
  const catalog = tools
    .flatMap((t) =>
      t.type === 'function'
        ? [
            `- ${t.function.name}: ${t.function.description ?? ''}\n  parameters: ${JSON.stringify(t.function.parameters ?? {})}`,
          ]
        : [],
    )
    .join('\n');
  const rule =
    'You may call tools. To call one or more, reply with only this JSON: ' +
    '{"tool_calls": [{"name": "<tool>", "arguments": {...}}]}. When you have the result, reply with only: ' +
    `{"answer": "<the step's result>"}.\nTools:\n${catalog}`;
  return [
    { role: 'system', content: rule },
    ...messages.map((m): ChatCompletionMessageParam => {
      if (m.role === 'assistant' && m.tool_calls?.length) {
        const calls = m.tool_calls.flatMap((c) =>
          c.type === 'function' ? [{ name: c.function.name, arguments: safeJson(c.function.arguments) }] : [],
        );
        return { role: 'assistant', content: JSON.stringify({ tool_calls: calls }) };
      }
      if (m.role === 'tool')
        return {
          role: 'user',
          content: `Result of tool call ${m.tool_call_id}:\n${typeof m.content === 'string' ? m.content : JSON.stringify(m.content)}`,
        };
      return m;
    }),
  ];
}

/** Reads the JSON a model wrote under {@link jsonToolMessages}: tool calls, or an answer (prose counts as one). */
export function parseJsonToolAnswer(content: string): { content: string; toolCalls: ModelToolCall[] } {
  const value = safeJson(content.trim().replace(/^```(?:json)?\s*|\s*```$/g, ''));
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const { tool_calls: calls, answer } = value as { tool_calls?: unknown; answer?: unknown };
    if (Array.isArray(calls) && calls.length > 0) {
      return {
        content: '',
        toolCalls: calls.map((c: { name?: unknown; arguments?: unknown }, i) => ({
          id: `json_call_${i}`,
          name: String(c?.name ?? ''),
          arguments: typeof c?.arguments === 'string' ? c.arguments : JSON.stringify(c?.arguments ?? {}),
        })),
      };
    }
    if (answer !== undefined)
      return { content: typeof answer === 'string' ? answer : JSON.stringify(answer), toolCalls: [] };
  }
  return { content, toolCalls: [] };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Whether a failure is a server refusing JSON-schema structured output (so JSON mode may work). */
function refusesJsonSchema(err: unknown): boolean {
  const cause = err instanceof ApplicationFailure ? err.cause : err;
  return (
    cause instanceof APIError &&
    (cause.status === 400 || cause.status === 422) &&
    /response_format|json_schema|structured output|grammar/i.test(cause.message)
  );
}

function checkJson<T>(content: string, schema: z.ZodType<T>): { ok: true; value: T } | { ok: false; error: string } {
  let data: unknown;
  try {
    data = JSON.parse(content);
  } catch (err) {
    return { ok: false, error: `it is not JSON (${(err as Error).message})` };
  }
  const parsed = schema.safeParse(data);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    error: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
  };
}

/** Which rule a server's 400 says the request broke, and the setting that avoids it. */
export function badRequestAdvice(serverSays: string): string {
  const rules: Array<[RegExp, string]> = [
    [
      /alternate|roles? must|conversation roles|system message/i,
      "the server's chat template requires roles that alternate user/assistant after one system message",
    ],
    [
      /context|too long|exceeds? .*(tokens|length)|n_ctx|maximum .*length/i,
      "the request is longer than the model's context window; lower PLANWRIGHT_CONTEXT_TOKENS or load the model with a larger context",
    ],
    [
      /response_format|json_schema|json schema|grammar|structured output/i,
      'the server does not accept JSON-schema structured output; set PLANWRIGHT_STRUCTURED_OUTPUT=json_object',
    ],
    [
      /tool_choice|tools|function call|tool call/i,
      'the server or model does not support tool calling; set PLANWRIGHT_TOOL_CALLS=json',
    ],
    [
      /max_completion_tokens|max_tokens/i,
      'the server does not take this output cap field; set PLANWRIGHT_MAX_TOKENS_FIELD to max_tokens or max_completion_tokens',
    ],
    [/temperature/i, 'this model does not take a temperature; set PLANWRIGHT_TEMPERATURE=default'],
  ];
  return rules.find(([pattern]) => pattern.test(serverSays))?.[1] ?? 'the server refused the request as malformed';
}

/** Seconds to wait from a `Retry-After` (or `retry-after-ms`) header, if the server sent one. */
function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * Turns an `openai` client error into an `ApplicationFailure` that Temporal's retry policy understands:
 * 408, 409, 429, 5xx, connection errors and timeouts are retryable (429 honors `Retry-After`);
 * other statuses are not, with a message that says what to fix.
 */
export function classifyModelError(err: unknown, config: Pick<ModelConfig, 'model' | 'baseURL'>): ApplicationFailure {
  const where = config.baseURL ?? 'api.openai.com';
  if (err instanceof APIConnectionTimeoutError || err instanceof APIConnectionError) {
    return ApplicationFailure.create({
      type: ErrorType.ModelUnavailable,
      message: `cannot reach the model at ${where}: ${err.message}`,
      cause: err,
    });
  }
  if (err instanceof APIError && err.status !== undefined) {
    const status = err.status;
    const serverSays = err.message;
    if (status === 408 || status === 409 || status === 429 || status >= 500) {
      const delay = retryAfterMs(err.headers);
      return ApplicationFailure.create({
        type: ErrorType.ModelUnavailable,
        message: `the model server at ${where} answered ${status}: ${serverSays}`,
        ...(delay !== undefined ? { nextRetryDelay: delay } : {}),
        cause: err,
      });
    }
    const advice: Record<number, string> = {
      400: badRequestAdvice(serverSays),
      401: 'the API key was refused; set OPENAI_API_KEY to a valid key',
      403: 'the API key may not use this model or endpoint',
      404: `model "${config.model}" or the endpoint was not found; check PLANWRIGHT_MODEL and OPENAI_BASE_URL`,
      422: 'the request was refused as unprocessable',
    };
    return ApplicationFailure.create({
      type: ErrorType.ModelRequestRejected,
      nonRetryable: true,
      message: `${advice[status] ?? 'the model server refused the request'} (${status} from ${where}: ${serverSays})`,
      cause: err,
    });
  }
  if (err instanceof ApplicationFailure) return err;
  return ApplicationFailure.create({
    type: ErrorType.ModelUnavailable,
    message: `model call failed: ${(err as Error)?.message ?? String(err)}`,
    cause: err instanceof Error ? err : undefined,
  });
}

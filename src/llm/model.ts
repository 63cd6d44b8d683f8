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

/** Which part of a run a model call serves; sent as the `X-Planwright-Phase` header. */
export type Phase = 'plan' | 'replan' | 'execute' | 'synthesize';

/** Header that names the phase of a request, so scripted servers and proxies can route on it. */
export const PHASE_HEADER = 'x-planwright-phase';

/** What model calls cost: how many were made and their tokens. Adds into a run's `usage`. */
export interface TokenUsage {
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
}

/** Model used when `PLANWRIGHT_MODEL` is not set. */
export const DEFAULT_MODEL = 'gpt-4o-mini';

/** Reads the model settings from `OPENAI_API_KEY`, `OPENAI_BASE_URL` and `PLANWRIGHT_MODEL`. */
export function modelConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ModelConfig {
  return {
    // Local servers (Ollama, vLLM, LM Studio) need no key, but the client refuses an empty one.
    apiKey: env.OPENAI_API_KEY || 'not-needed',
    ...(env.OPENAI_BASE_URL ? { baseURL: env.OPENAI_BASE_URL } : {}),
    model: env.PLANWRIGHT_MODEL || DEFAULT_MODEL,
    timeoutMs: 90_000,
    ...(env.PLANWRIGHT_STRUCTURED_OUTPUT === 'json_object' ? { structuredOutput: 'json_object' as const } : {}),
  };
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
    schema: z.ZodType<T>;
    messages: ChatCompletionMessageParam[];
  }): Promise<Structured<T>>;
  /**
   * Asks for free text.
   * @throws {ApplicationFailure} classified as for `structured`.
   */
  text(request: { phase: Phase; messages: ChatCompletionMessageParam[] }): Promise<Structured<string>>;
  /**
   * One turn of a conversation in which the model may call tools: returns its text, or the calls it wants.
   * @throws {ApplicationFailure} classified as for `structured`.
   */
  converse(request: {
    phase: Phase;
    messages: ChatCompletionMessageParam[];
    tools: ChatCompletionTool[];
  }): Promise<Structured<{ content: string; toolCalls: ModelToolCall[] }>>;
}

/** A tool call the model asked for; `arguments` is the JSON text it wrote. */
export interface ModelToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** Creates a {@link Model} over the `openai` client. */
export function createModel(config: ModelConfig): Model {
  const azure = config.baseURL
    ? /\.(openai\.azure\.com|cognitiveservices\.azure\.com)$/i.test(new URL(config.baseURL).hostname)
    : false;
  const client = new OpenAI({
    apiKey: config.apiKey,
    ...(config.baseURL ? { baseURL: config.baseURL } : {}),
    // Azure OpenAI's v1 endpoint takes its key in an api-key header.
    ...(azure ? { defaultHeaders: { 'api-key': config.apiKey } } : {}),
    timeout: config.timeoutMs,
    maxRetries: 0,
  });
  let mode = config.structuredOutput ?? 'json_schema';

  const complete = async (
    phase: Phase,
    body: Omit<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, 'model'>,
  ): Promise<{ content: string; toolCalls: ModelToolCall[]; usage: TokenUsage }> => {
    let completion: OpenAI.Chat.ChatCompletion;
    try {
      completion = await client.chat.completions.create(
        { ...body, model: config.model },
        { headers: { [PHASE_HEADER]: phase } },
      );
    } catch (err) {
      throw classifyModelError(err, config);
    }
    const choice = completion.choices[0];
    const usage = {
      llmCalls: 1,
      inputTokens: completion.usage?.prompt_tokens ?? 0,
      outputTokens: completion.usage?.completion_tokens ?? 0,
    };
    if (choice?.finish_reason === 'content_filter' || choice?.message.refusal) {
      throw ApplicationFailure.create({
        type: ErrorType.ModelRequestRejected,
        nonRetryable: true,
        message: `the model refused to answer (${choice.message.refusal ?? 'content filter'}); rephrase the goal`,
      });
    }
    if (choice?.finish_reason === 'length') {
      throw ApplicationFailure.create({
        type: ErrorType.InvalidModelOutput,
        nonRetryable: true,
        message: 'the model ran out of output tokens before finishing its answer',
      });
    }
    const toolCalls = (choice?.message.tool_calls ?? []).flatMap((call) =>
      call.type === 'function' ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments }] : [],
    );
    return { content: choice?.message.content ?? '', toolCalls, usage };
  };

  return {
    async structured({ phase, name, schema, messages }) {
      const strict = zodResponseFormat(schema as never, name);
      // JSON mode: the server promises JSON only, so the schema travels in the prompt.
      const jsonMode = () => ({
        response_format: { type: 'json_object' as const },
        messages: [
          ...messages,
          {
            role: 'system' as const,
            content: `Answer with one JSON object (no prose) that matches this JSON schema:\n${JSON.stringify(strict.json_schema.schema)}`,
          },
        ],
      });
      const ask = (extra: ChatCompletionMessageParam[] = []) => {
        const request = mode === 'json_schema' ? { response_format: strict, messages } : jsonMode();
        return complete(phase, { ...request, messages: [...request.messages, ...extra] });
      };
      let first;
      try {
        first = await ask();
      } catch (err) {
        if (mode !== 'json_schema' || !refusesJsonSchema(err)) throw err;
        mode = 'json_object';
        first = await ask();
      }
      const checked = checkJson(first.content, schema);
      if (checked.ok) return { value: checked.value, usage: first.usage };

      const repair = await ask([
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: `That answer is not valid: ${checked.error}\nReply again with only the corrected JSON.`,
        },
      ]);
      const usage = {
        llmCalls: 2,
        inputTokens: first.usage.inputTokens + repair.usage.inputTokens,
        outputTokens: first.usage.outputTokens + repair.usage.outputTokens,
      };
      const repaired = checkJson(repair.content, schema);
      if (repaired.ok) return { value: repaired.value, usage };
      throw ApplicationFailure.create({
        type: ErrorType.InvalidModelOutput,
        nonRetryable: true,
        message: `the model's ${name} was invalid twice (once after a repair request): ${repaired.error}`,
        details: [{ usage }],
      });
    },
    async text({ phase, messages }) {
      const { content, usage } = await complete(phase, { messages });
      return { value: content, usage };
    },
    async converse({ phase, messages, tools }) {
      const { content, toolCalls, usage } = await complete(phase, { messages, ...(tools.length > 0 ? { tools } : {}) });
      return { value: { content, toolCalls }, usage };
    },
  };
}

/** Whether a failure is a server refusing JSON-schema structured output (so JSON mode may work). */
function refusesJsonSchema(err: unknown): boolean {
  const cause = err instanceof ApplicationFailure ? err.cause : err;
  return (
    cause instanceof APIError &&
    (cause.status === 400 || cause.status === 422) &&
    /response_format|json_schema|structured output/i.test(cause.message)
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
      400: 'the request was refused; check that the model supports structured outputs',
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

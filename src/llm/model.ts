/**
 * The model: an OpenAI-compatible chat completions endpoint reached through the `openai` client. Temporal
 * retries, so the client itself never does; every failure is classified once (`errors.ts`). A model asks for
 * text, for JSON that matches a schema (with one repair request), or for a turn that may call tools.
 */
import { zodResponseFormat } from 'openai/helpers/zod';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import { ErrorType } from '../contract/errors.js';
import { completer, session, type Complete, type ModelToolCall, type TextListener } from './completion.js';
import { capTooSmall, outputCap, type ModelConfig } from './config.js';
import { refusesJsonSchema } from './errors.js';
import { jsonModeRule, jsonToolMessages, parseJsonToolAnswer } from './json-mode.js';
import type { Phase } from './phase.js';
import type { TokenUsage, UsageListener } from './usage.js';

/** A structured answer: the parsed value and what it cost. */
export interface Structured<T> {
  value: T;
  usage: TokenUsage;
}

/** A request for a structured answer. */
export interface StructuredRequest<T> {
  phase: Phase;
  name: string;
  /** Checks the parsed answer; also the response format unless `jsonSchema` is given. */
  schema: z.ZodType<T>;
  /** The response format to ask for, when it is built otherwise (from the tool catalog, say). */
  jsonSchema?: Record<string, unknown>;
  /**
   * A stricter format for servers that turn a schema into a grammar, asked for instead of `jsonSchema` when the
   * model is configured for it (`planFormat: 'positional'`) and in JSON-schema mode; built only when asked for.
   */
  grammarSchema?: () => Record<string, unknown>;
  messages: ChatCompletionMessageParam[];
  onUsage?: UsageListener;
  /**
   * The most plan steps the answer may hold (plans and replans): the phase's default output cap is sized to them,
   * and a configured cap too small for them is refused before any call.
   */
  steps?: number;
}

/** What activities need from a model. */
export interface Model {
  /** The model's name, as requests name it (traces report it); absent for models that do not say. */
  readonly name?: string;
  /**
   * Asks for JSON matching `schema`; answers that do not parse or validate get one repair request.
   * @throws {ApplicationFailure} classified: `ModelUnavailable` (retryable), `ModelRequestRejected` (also for a
   * configured output cap that cannot hold `steps` steps) or `InvalidModelOutput`.
   */
  structured<T>(request: StructuredRequest<T>): Promise<Structured<T>>;
  /**
   * Asks for free text.
   * @throws {ApplicationFailure} classified as for `structured`.
   */
  text(request: {
    phase: Phase;
    messages: ChatCompletionMessageParam[];
    onUsage?: UsageListener;
    /** Told the answer's text as the server writes it, piece by piece. */
    onText?: TextListener;
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
    /** Told the answer's text as the server writes it, piece by piece. */
    onText?: TextListener;
  }): Promise<Structured<{ content: string; toolCalls: ModelToolCall[] }>>;
}

export type { TextListener };

/** How structured answers are asked for; a model switches to JSON mode for good once its server refuses a schema. */
interface StructuredMode {
  mode: 'json_schema' | 'json_object';
}

/**
 * Creates a {@link Model} over the `openai` client.
 * @example
 * const model = createModel(modelConfigFromEnv());
 * const { value, usage } = await model.text({ phase: 'synthesize', messages: [{ role: 'user', content: 'Hi' }] });
 */
export function createModel(config: ModelConfig): Model {
  const complete = completer(config);
  const format: StructuredMode = { mode: config.structuredOutput ?? 'json_schema' };
  return {
    name: config.model,
    async structured(request) {
      const { phase, steps } = request;
      const tooSmall = steps === undefined ? undefined : capTooSmall(config, phase, steps);
      if (tooSmall)
        throw ApplicationFailure.create({
          type: ErrorType.ModelRequestRejected,
          nonRetryable: true,
          message: tooSmall,
        });
      const { grammarSchema, ...rest } = request;
      const grammar = config.planFormat === 'positional' ? grammarSchema : undefined;
      return structured(
        complete,
        format,
        { ...rest, ...(grammar ? { grammarSchema: grammar } : {}) },
        outputCap(config, phase, steps),
      );
    },
    async text({ phase, messages, onUsage, onText }) {
      const { value, usage } = await answer(complete, phase, messages, { ...(onUsage ? { onUsage } : {}), onText });
      return { value: value.content, usage };
    },
    async converse({ phase, messages, tools, onUsage, onText }) {
      const listen = onUsage ? { onUsage } : {};
      if (config.toolCalls !== 'json' || tools.length === 0)
        return answer(complete, phase, messages, { tools, ...listen, onText });
      // Calls written as JSON are no prose: the text is told once parsed, when the model answered without calls.
      const { value, usage } = await answer(complete, phase, jsonToolMessages(messages, tools), listen);
      const parsed = parseJsonToolAnswer(value.content);
      if (onText && parsed.toolCalls.length === 0 && parsed.content) onText(parsed.content);
      return { value: parsed, usage };
    },
  };
}

/**
 * Asks for JSON matching the schema, in the model's structured mode (JSON mode carries the schema in the prompt);
 * a server that refuses a JSON schema is asked again in JSON mode. An answer that does not parse or validate gets
 * one repair request.
 * @throws {ApplicationFailure} `InvalidModelOutput` when the repaired answer is no better, or a failed call's.
 */
async function structured<T>(
  complete: Complete,
  format: StructuredMode,
  { phase, name, schema, jsonSchema, grammarSchema, messages, onUsage }: StructuredRequest<T>,
  cap: number,
): Promise<Structured<T>> {
  const strict = jsonSchema
    ? { type: 'json_schema' as const, json_schema: { name, strict: true, schema: jsonSchema } }
    : responseFormat(schema, name);
  // The grammar format where asked for; JSON mode carries the catalog format, which is smaller.
  const grammar = grammarSchema
    ? { type: 'json_schema' as const, json_schema: { name, strict: true, schema: grammarSchema() } }
    : undefined;
  const calls = session(complete, onUsage);
  // JSON mode: the server promises JSON only, so the schema travels in the prompt.
  const ask = (extra: ChatCompletionMessageParam[] = []) =>
    calls.call(
      phase,
      {
        ...(format.mode === 'json_schema'
          ? { response_format: grammar ?? strict }
          : { response_format: { type: 'json_object' as const } }),
        messages: [
          ...(format.mode === 'json_schema'
            ? []
            : [{ role: 'system' as const, content: jsonModeRule(strict.json_schema.schema) }]),
          ...messages,
          ...extra,
        ],
      },
      cap,
    );
  let first;
  try {
    first = await ask();
  } catch (err) {
    if (format.mode !== 'json_schema' || !refusesJsonSchema(err)) throw err;
    format.mode = 'json_object';
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
}

/** Asks for plain text; an answer cut at the cap is asked for again, shorter, once, then kept with a note. */
async function answer(
  complete: Complete,
  phase: Phase,
  messages: ChatCompletionMessageParam[],
  extra: { tools?: ChatCompletionTool[]; onUsage?: UsageListener; onText?: TextListener | undefined } = {},
): Promise<Structured<{ content: string; toolCalls: ModelToolCall[] }>> {
  const calls = session(complete, extra.onUsage);
  const body = { messages, ...(extra.tools?.length ? { tools: extra.tools, tool_choice: 'auto' as const } : {}) };
  const { onText } = extra;
  let reply = await calls.call(phase, body, undefined, onText);
  if (reply.truncated && reply.toolCalls.length === 0) {
    // The answer is written again: listeners hear that the new text replaces what they were told.
    let first = true;
    const again: TextListener | undefined =
      onText &&
      ((delta) => {
        onText(delta, first);
        first = false;
      });
    reply = await calls.call(
      phase,
      {
        ...body,
        messages: [...messages, { role: 'assistant', content: reply.content }, { role: 'user', content: SHORTER }],
      },
      undefined,
      again,
    );
    if (reply.truncated) {
      onText?.(`\n\n${CUT_NOTE}`);
      reply = { ...reply, content: `${reply.content}\n\n${CUT_NOTE}` };
    }
  }
  return { value: { content: reply.content, toolCalls: reply.toolCalls }, usage: calls.usage() };
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

/** What ends an answer that stayed cut off at the output cap. */
const CUT_NOTE = '[cut off at the output limit]';

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

/** Parses an answer and checks it against `schema`, or says what is wrong with it. */
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

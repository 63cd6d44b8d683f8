/**
 * One request to the server, and the requests of one answer: roles made to alternate, the phase's output cap and
 * the sampling settings added, every failure classified, and the usage of every call that reached the server
 * counted however the answer ends.
 */
import type OpenAI from 'openai';
import { APIConnectionTimeoutError, APIError } from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../contract/errors.js';
import { defaultCapField, openAIClient } from './client.js';
import { DEFAULT_TEMPERATURE, outputCap, type ModelConfig } from './config.js';
import { classifyModelError } from './errors.js';
import { PHASE_HEADER, type Phase } from './phase.js';
import {
  addTokenUsage,
  NO_CALLS,
  pricedUsage,
  usageOfFailure,
  withUsage,
  type TokenUsage,
  type UsageListener,
} from './usage.js';

/** A tool call the model asked for; `arguments` is the JSON text it wrote. */
export interface ModelToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** One answer of the server. */
export interface Completion {
  content: string;
  toolCalls: ModelToolCall[];
  usage: TokenUsage;
  /** The answer stopped at the output cap (`finish_reason: 'length'`). */
  truncated: boolean;
}

/** A request's body; the configuration names the model. */
export type RequestBody = Omit<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, 'model'>;

/**
 * Sends one request for a phase, with `cap` as its output cap (default: the phase's, see `outputCap`).
 * @throws {ApplicationFailure} classified (see {@link classifyModelError}), reporting its usage in its details.
 */
export type Complete = (phase: Phase, body: RequestBody, cap?: number) => Promise<Completion>;

/** The requests to `config`'s model: roles made to alternate, the phase's output cap and the temperature added. */
export function completer(config: ModelConfig): Complete {
  const client = openAIClient(config);
  const capField = config.capField ?? defaultCapField(config);
  const temperature = config.temperature === undefined ? DEFAULT_TEMPERATURE : config.temperature;
  /** The usage of calls to the configured model, with their estimated cost when it has a price. */
  const priced = (usage: TokenUsage) => pricedUsage(usage, config.model, config.prices);

  return async (phase, body, cap = outputCap(config, phase)) => {
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
      // A call the server answered, even with an error, counts, and so does one that timed out: the server had it
      // and may have been writing its answer; one that never reached it does not.
      const reached = (err instanceof APIError && err.status !== undefined) || err instanceof APIConnectionTimeoutError;
      throw withUsage(classifyModelError(err, config), reached ? priced({ ...NO_CALLS, llmCalls: 1 }) : NO_CALLS);
    }
    return completionOf(
      completion,
      priced({
        llmCalls: 1,
        inputTokens: completion.usage?.prompt_tokens ?? 0,
        outputTokens: completion.usage?.completion_tokens ?? 0,
      }),
    );
  };
}

/**
 * The first choice of a completion that cost `usage`.
 * @throws {ApplicationFailure} `ModelRequestRejected` when the model refused to answer (or a content filter did).
 */
function completionOf(completion: OpenAI.Chat.ChatCompletion, usage: TokenUsage): Completion {
  const choice = completion.choices[0];
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
}

/** The calls made for one answer, whose usage is reported however the answer ends. */
export interface Calls {
  /** The usage of the calls so far. */
  usage(): TokenUsage;
  /**
   * Sends one request (with `cap` as its output cap, when given), and tells the listener the usage so far.
   * @throws {ApplicationFailure} the request's failure, reporting the usage of all the calls so far.
   */
  call(phase: Phase, body: RequestBody, cap?: number): Promise<Completion>;
  /**
   * Ends the answer with `failure`.
   * @throws {ApplicationFailure} `failure`, reporting the usage of all the calls.
   */
  fail(failure: ApplicationFailure): never;
}

/** Starts the calls of one answer; `onUsage` hears the usage so far after each. */
export function session(complete: Complete, onUsage?: UsageListener): Calls {
  let usage = NO_CALLS;
  return {
    usage: () => usage,
    async call(phase, body, cap) {
      try {
        const answer = await complete(phase, body, cap);
        usage = addTokenUsage(usage, answer.usage);
        onUsage?.(usage);
        return answer;
      } catch (err) {
        usage = addTokenUsage(usage, usageOfFailure(err));
        onUsage?.(usage);
        throw withUsage(err, usage);
      }
    },
    fail(failure) {
      throw withUsage(failure, usage);
    },
  };
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

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
import { DEFAULT_TEMPERATURE, outputCap, SILENCE_VARIABLE, type ModelConfig } from './config.js';
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

/** Told each piece of an answer's text as the server writes it; `restarted` when it starts a new answer over the old. */
export type TextListener = (delta: string, restarted?: boolean) => void;

/**
 * Sends one request for a phase, with `cap` as its output cap (default: the phase's, see `outputCap`); `onText`
 * hears the answer's text as it streams in.
 * @throws {ApplicationFailure} classified (see {@link classifyModelError}), reporting its usage in its details.
 */
export type Complete = (phase: Phase, body: RequestBody, cap?: number, onText?: TextListener) => Promise<Completion>;

/**
 * The requests to `config`'s model: roles made to alternate, the phase's output cap and the temperature added. Every
 * answer streams, so a slow server that keeps writing is never cut off: a request fails only when the server stays
 * silent for `config.timeoutMs`. `stream_options.include_usage` asks for the usage; a server that refuses the field
 * is asked again without it, and from then on never with it.
 */
export function completer(config: ModelConfig): Complete {
  const client = openAIClient(config);
  const capField = config.capField ?? defaultCapField(config);
  const temperature = config.temperature === undefined ? DEFAULT_TEMPERATURE : config.temperature;
  /** The usage of calls to the configured model, with their estimated cost when it has a price. */
  const priced = (usage: TokenUsage) => pricedUsage(usage, config.model, config.prices);
  let askUsage = true;

  const send = async (phase: Phase, body: RequestBody, cap: number, onText?: TextListener): Promise<Completion> => {
    const silence = new SilenceWatch(config.timeoutMs);
    const streamed = new StreamedAnswer(onText);
    let sent = false;
    let answer: OpenAI.Chat.ChatCompletion;
    try {
      const stream = await client.chat.completions.create(
        {
          ...body,
          messages: alternating(body.messages),
          model: config.model,
          [capField]: cap,
          ...(temperature !== null ? { temperature } : {}),
          ...(config.frequencyPenalty !== undefined ? { frequency_penalty: config.frequencyPenalty } : {}),
          stream: true,
          ...(askUsage ? { stream_options: { include_usage: true } } : {}),
        },
        { headers: { [PHASE_HEADER]: phase }, signal: silence.signal },
      );
      sent = true;
      silence.heard();
      for await (const chunk of stream) {
        silence.heard();
        streamed.add(chunk);
      }
      answer = streamed.completion(config);
    } catch (err) {
      // A call the server answered, even with an error, counts, and so does one cut off by silence: the server had it
      // and may have been writing its answer; one that never reached it does not.
      const reached =
        sent ||
        silence.expired ||
        (err instanceof APIError && err.status !== undefined) ||
        err instanceof APIConnectionTimeoutError;
      const usage = reached ? priced({ ...NO_CALLS, llmCalls: 1, ...streamed.tokens() }) : NO_CALLS;
      throw withUsage(classifyModelError(silence.expired ? silence.failure(config) : err, config), usage);
    } finally {
      silence.stop();
    }
    return completionOf(answer, priced({ llmCalls: 1, ...streamed.tokens() }));
  };

  return async (phase, body, cap = outputCap(config, phase), onText) => {
    try {
      return await send(phase, body, cap, onText);
    } catch (err) {
      if (!askUsage || !refusesStreamOptions(err)) throw err;
      askUsage = false;
      const again = await send(phase, body, cap, onText).catch((second: unknown) => {
        throw withUsage(second, addTokenUsage(usageOfFailure(err), usageOfFailure(second)));
      });
      return { ...again, usage: addTokenUsage(usageOfFailure(err), again.usage) };
    }
  };
}

/** Whether a failure is a server refusing `stream_options` (older servers and proxies). */
function refusesStreamOptions(err: unknown): boolean {
  const cause = err instanceof ApplicationFailure ? err.cause : err;
  return (
    cause instanceof APIError &&
    (cause.status === 400 || cause.status === 422) &&
    /stream_options|include_usage/i.test(cause.message)
  );
}

/** Aborts a request when its server stays silent for `ms`: no headers, or no chunk of the answer, for that long. */
class SilenceWatch {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  expired = false;

  constructor(private readonly ms: number) {
    this.heard();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The server said something: the silence starts again. */
  heard(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.expired = true;
      this.controller.abort();
    }, this.ms);
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** The failure of a request cut off by silence. */
  failure(config: Pick<ModelConfig, 'baseURL'>): ApplicationFailure {
    return ApplicationFailure.create({
      type: ErrorType.ModelUnavailable,
      message:
        `the model server at ${config.baseURL ?? 'api.openai.com'} sent nothing for ${this.ms / 1000} s and was cut off; ` +
        `if it is only slow to start (a long prompt on a CPU), raise ${SILENCE_VARIABLE}`,
    });
  }
}

/** An answer put together from the chunks of its stream. */
class StreamedAnswer {
  private content = '';
  private refusal = '';
  private finish: string | null = null;
  private chunks = 0;
  private usage: OpenAI.CompletionUsage | undefined;
  private readonly calls: Array<{ id: string; name: string; arguments: string }> = [];

  constructor(private readonly onText?: TextListener) {}

  add(chunk: OpenAI.Chat.ChatCompletionChunk): void {
    this.chunks += 1;
    if (chunk.usage) this.usage = chunk.usage;
    const choice = chunk.choices?.[0];
    if (!choice) return;
    const delta = choice.delta ?? {};
    if (delta.content) {
      this.content += delta.content;
      this.onText?.(delta.content);
    }
    if (delta.refusal) this.refusal += delta.refusal;
    for (const call of delta.tool_calls ?? []) {
      const at = (this.calls[call.index] ??= { id: '', name: '', arguments: '' });
      if (call.id) at.id = call.id;
      if (call.function?.name) at.name += call.function.name;
      if (call.function?.arguments) at.arguments += call.function.arguments;
    }
    if (choice.finish_reason) this.finish = choice.finish_reason;
  }

  /** The tokens the server reported (none when it did not). */
  tokens(): Pick<TokenUsage, 'inputTokens' | 'outputTokens'> {
    return { inputTokens: this.usage?.prompt_tokens ?? 0, outputTokens: this.usage?.completion_tokens ?? 0 };
  }

  /**
   * The answer as one completion.
   * @throws {ApplicationFailure} `ModelUnavailable` when the stream ended before the server said the answer was done.
   */
  completion(config: Pick<ModelConfig, 'baseURL'>): OpenAI.Chat.ChatCompletion {
    if (this.finish === null) {
      throw ApplicationFailure.create({
        type: ErrorType.ModelUnavailable,
        message:
          `the model server at ${config.baseURL ?? 'api.openai.com'} ended its answer before it was complete ` +
          `(${this.chunks} streamed chunk(s), no finish reason); a server or proxy that does not stream answers cannot be used`,
      });
    }
    const toolCalls = this.calls.filter(Boolean).map((c) => ({
      id: c.id,
      type: 'function' as const,
      function: { name: c.name, arguments: c.arguments },
    }));
    return {
      id: '',
      object: 'chat.completion',
      created: 0,
      model: '',
      choices: [
        {
          index: 0,
          logprobs: null,
          finish_reason: this.finish as OpenAI.Chat.ChatCompletion.Choice['finish_reason'],
          message: {
            role: 'assistant',
            content: this.content || null,
            refusal: this.refusal || null,
            ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          },
        },
      ],
    };
  }
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
  call(phase: Phase, body: RequestBody, cap?: number, onText?: TextListener): Promise<Completion>;
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
    async call(phase, body, cap, onText) {
      try {
        const answer = await complete(phase, body, cap, onText);
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

/**
 * The probes of `planwright check-model`: what each checks, and how it runs. Each is one small request of its own
 * (a few output tokens, no retries, its own timeout), and each ends as a {@link ProbeResult}, whatever the server
 * does.
 */
import type OpenAI from 'openai';
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import { z } from 'zod';
import { wirePlanSchema, planFromWire } from '../contract/plan.js';
import type { ToolInfo } from '../contract/tools.js';
import {
  answerOf,
  checkAnswer,
  duration,
  issuesOf,
  parseJson,
  quote,
  shorten,
  type Answer,
  type Outcome,
} from './check-model-answers.js';
import { alternating } from './completion.js';
import { DEFAULT_TEMPERATURE, type ModelConfig } from './config.js';
import { classifyModelError } from './errors.js';
import { jsonModeRule } from './json-mode.js';
import { planResponseSchema } from './plan-format.js';
import { plannerMessages } from './prompts.js';

/** What each probe checks, in the order they run. */
export const PROBES = {
  models: 'GET /models',
  chat: 'chat completion',
  max_tokens: 'output cap max_tokens',
  max_completion_tokens: 'output cap max_completion_tokens',
  temperature: 'temperature',
  usage: 'usage fields',
  json_schema: 'json_schema, small schema',
  plan_format: 'json_schema, plan format',
  json_object: 'json_object',
  roles_user_user: 'roles [system, user, user]',
  roles_user_system: 'roles [user, system]',
  tools: 'tool calls',
} as const;

/** The name of a probe; see {@link PROBES}. */
export type ProbeId = keyof typeof PROBES;

/**
 * How a probe ended: `ok`; `unsupported` (the server refused the request, 400 or 422, or lacks the endpoint);
 * `failed` (any other error, a timeout, or an answer that shows the feature not working); `skipped` (the
 * server could not be reached at all).
 */
export type ProbeStatus = 'ok' | 'unsupported' | 'failed' | 'skipped';

/** The result of one probe. */
export interface ProbeResult {
  id: ProbeId;
  title: string;
  status: ProbeStatus;
  /** What happened: the answer, or the server's message (shortened). */
  detail: string;
  /** Milliseconds the probe took. */
  ms: number;
  /** Whether the server answered over HTTP (even with an error). */
  reached: boolean;
  /** The answer stopped at the probe's output cap before it was complete. */
  truncated?: true;
}

/** A small strict schema, and the answer it expects. */
const SMALL_SCHEMA = {
  type: 'object',
  properties: { count: { type: 'integer' }, fruit: { type: 'string', enum: ['apples', 'pears'] } },
  required: ['count', 'fruit'],
  additionalProperties: false,
};
const SmallAnswer = z.object({ count: z.number().int(), fruit: z.enum(['apples', 'pears']) });
const SMALL_QUESTION = 'I have 2 apples and buy 3 more apples. How many do I have, and of which fruit? Answer in JSON.';

const CALCULATOR: ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'calculator',
    description: 'Evaluates an arithmetic expression, such as "17 * 23".',
    parameters: {
      type: 'object',
      properties: { expression: { type: 'string' } },
      required: ['expression'],
      additionalProperties: false,
    },
  },
};

/** A request's body; the probe names the model. */
export type Body = Omit<ChatCompletionCreateParamsNonStreaming, 'model'>;
/** The field that carries a request's output cap. */
export type CapField = 'max_tokens' | 'max_completion_tokens';
/** Runs one probe and records its result. */
export type Probe = (id: ProbeId, run: () => Promise<Outcome>) => Promise<ProbeResult>;
/** Sends a chat completion with an output cap, as the worker would. */
export type Chat = (body: Body, cap: number) => Promise<ChatCompletion>;

/** Runs a probe: its outcome, or its error as one; how long it took. */
export async function runProbe(
  id: ProbeId,
  run: () => Promise<Outcome>,
  config: ModelConfig,
  timeout: number,
): Promise<ProbeResult> {
  const started = performance.now();
  let outcome: Outcome & { reached: boolean };
  try {
    outcome = { ...(await run()), reached: true };
  } catch (err) {
    outcome = outcomeOfError(err, id, config, timeout);
  }
  return { id, title: PROBES[id], ...outcome, ms: Math.round(performance.now() - started) };
}

/** A probe not run because the server cannot be reached. */
export function skippedProbe(id: ProbeId): ProbeResult {
  return { id, title: PROBES[id], status: 'skipped', detail: 'the server cannot be reached', ms: 0, reached: false };
}

/** `GET /models`: whether it answers, and whether the configured model is among what it lists. */
export async function probeModels(
  probe: Probe,
  client: OpenAI,
  config: ModelConfig,
): Promise<{ result: ProbeResult; models?: string[] }> {
  let models: string[] | undefined;
  const result = await probe('models', async () => {
    const page = await client.models.list();
    models = page.data.map((m) => m.id);
    const listed = isListed(config.model, models);
    if (listed) return { status: 'ok', detail: `"${config.model}" is listed` };
    return { status: 'ok', detail: `"${config.model}" is not listed; listed: ${list(models)}` };
  });
  return { result, ...(models ? { models } : {}) };
}

/** One short chat completion. */
export function probeChat(probe: Probe, chat: Chat): Promise<ProbeResult> {
  return probe('chat', async () => {
    const reply = answerOf(await chat({ messages: [{ role: 'user', content: 'Reply with one word: hello.' }] }, 16));
    return { status: 'ok', detail: `answered ${quote(reply.content)} (finish_reason ${reply.finish})` };
  });
}

/** Each cap field alone, with a cap of 5 on an answer that needs many more tokens. */
export async function probeCaps(probe: Probe, client: OpenAI, config: ModelConfig): Promise<void> {
  for (const field of ['max_tokens', 'max_completion_tokens'] as const) {
    await probe(field, async () => {
      const completion = await client.chat.completions.create({
        model: config.model,
        messages: [{ role: 'user', content: 'Count from 1 to 50, separated by spaces.' }],
        [field]: 5,
      });
      const reply = answerOf(completion);
      const tokens = completion.usage?.completion_tokens;
      const seen = `finish_reason ${reply.finish}${tokens === undefined ? '' : `, ${tokens} completion tokens`}`;
      if (reply.finish === 'length' || (tokens !== undefined && tokens <= 5)) {
        return { status: 'ok', detail: `honoured (${seen})` };
      }
      return { status: 'failed', detail: `accepted but ignored (${seen})` };
    });
  }
}

/** Whether the server takes a temperature (the worker's, or its default). */
export function probeTemperature(probe: Probe, chat: Chat, config: ModelConfig): Promise<ProbeResult> {
  const temperature = config.temperature ?? DEFAULT_TEMPERATURE;
  return probe('temperature', async () => {
    await chat({ messages: [{ role: 'user', content: 'Say hi.' }], temperature }, 8);
    return { status: 'ok', detail: `temperature ${temperature} accepted` };
  });
}

/** Whether answers report their token usage. */
export async function probeUsage(probe: Probe, chat: Chat): Promise<void> {
  await probe('usage', async () => {
    const { usage } = await chat({ messages: [{ role: 'user', content: 'Say hi.' }] }, 8);
    if (typeof usage?.prompt_tokens !== 'number' || typeof usage.completion_tokens !== 'number') {
      return { status: 'failed', detail: 'the answer has no usage.prompt_tokens and usage.completion_tokens' };
    }
    const detail = `prompt_tokens ${usage.prompt_tokens}, completion_tokens ${usage.completion_tokens}`;
    return { status: 'ok', detail };
  });
}

/** Strict JSON schema (small, then the real plan format) and JSON mode with the schema in the prompt. */
export async function probeStructured(probe: Probe, chat: Chat, tools: readonly ToolInfo[]): Promise<void> {
  const small = (reply: Answer): Outcome => {
    const checked = checkAnswer(reply, 64, (value) => {
      const parsed = SmallAnswer.safeParse(value);
      return parsed.success ? undefined : `does not match the schema: ${issuesOf(parsed.error)}`;
    });
    return checked ?? { status: 'ok', detail: `answered ${shorten(reply.content, 80)}` };
  };
  await probe('json_schema', async () => {
    const format = {
      type: 'json_schema' as const,
      json_schema: { name: 'fruit_count', strict: true, schema: SMALL_SCHEMA },
    };
    const body = { messages: [{ role: 'user' as const, content: SMALL_QUESTION }], response_format: format };
    return small(answerOf(await chat(body, 64)));
  });
  await probe('plan_format', async () => {
    const schema = planResponseSchema(tools);
    const messages = plannerMessages({ goal: 'Compute 17 * 23 with the calculator.', tools, maxSteps: 2 });
    const format = { type: 'json_schema' as const, json_schema: { name: 'plan', strict: true, schema } };
    const reply = answerOf(await chat({ messages: alternating(messages), response_format: format }, 512));
    let steps = '';
    const checked = checkAnswer(reply, 512, (value) => {
      const wire = wirePlanSchema().safeParse(value);
      if (!wire.success) return `does not match the plan format: ${issuesOf(wire.error)}`;
      const { plan, issues } = planFromWire(wire.data);
      if (!plan) {
        const problems = issues.map((i) => `${i.stepId ? `${i.stepId}: ` : ''}${i.message}`).join('; ');
        return `matches the format, but is not a plan: ${problems}`;
      }
      steps = plan.steps.map((s) => `${s.id}${s.tool ? ` (${s.tool})` : ''}`).join(', ');
      return undefined;
    });
    return checked ?? { status: 'ok', detail: `a plan that matches the format: ${shorten(steps, 80)}` };
  });
  await probe('json_object', async () => {
    const messages: ChatCompletionMessageParam[] = [
      { role: 'system', content: jsonModeRule(SMALL_SCHEMA) },
      { role: 'user', content: SMALL_QUESTION },
    ];
    return small(answerOf(await chat({ messages, response_format: { type: 'json_object' } }, 64)));
  });
}

/** Conversations whose roles do not alternate, sent as they are (planwright itself always alternates). */
export async function probeRoles(probe: Probe, client: OpenAI, config: ModelConfig, capField: CapField): Promise<void> {
  const orders: Array<[ProbeId, ChatCompletionMessageParam[]]> = [
    [
      'roles_user_user',
      [
        { role: 'system', content: 'You answer briefly.' },
        { role: 'user', content: 'My name is Ada.' },
        { role: 'user', content: 'Say hi to me.' },
      ],
    ],
    [
      'roles_user_system',
      [
        { role: 'user', content: 'Say hi.' },
        { role: 'system', content: 'You answer briefly.' },
      ],
    ],
  ];
  for (const [id, messages] of orders) {
    await probe(id, async () => {
      await client.chat.completions.create({ model: config.model, messages, [capField]: 8 });
      return { status: 'ok', detail: 'accepted' };
    });
  }
}

/** Whether the model calls a tool it is offered, with a JSON object for arguments. */
export async function probeTools(probe: Probe, chat: Chat): Promise<void> {
  await probe('tools', async () => {
    const reply = answerOf(
      await chat(
        {
          messages: [{ role: 'user', content: 'What is 17 * 23? Use the calculator tool.' }],
          tools: [CALCULATOR],
          tool_choice: 'auto',
        },
        128,
      ),
    );
    const call = reply.toolCalls[0];
    if (!call) return { status: 'failed', detail: `answered in text, not with a tool call: ${quote(reply.content)}` };
    const args = parseJson(call.arguments);
    if (!args.ok || typeof args.value !== 'object' || args.value === null) {
      return {
        status: 'failed',
        detail: `called ${call.name} with arguments that are not a JSON object: ${quote(call.arguments)}`,
      };
    }
    return { status: 'ok', detail: `called ${call.name}(${shorten(call.arguments, 80)})` };
  });
}

/** The other cap field. */
export function otherField(field: CapField): CapField {
  return field === 'max_tokens' ? 'max_completion_tokens' : 'max_tokens';
}

/** Whether `models` lists `model` (Ollama lists it with a `:latest` tag). */
export function isListed(model: string, models: readonly string[]): boolean {
  return models.includes(model) || models.includes(`${model}:latest`);
}

/** A failed request as a probe outcome: refusals (400, 422; 404 and 405 for `GET /models`) are `unsupported`. */
export function outcomeOfError(
  err: unknown,
  id: ProbeId,
  config: ModelConfig,
  timeout: number,
): Outcome & { reached: boolean } {
  if (err instanceof APIConnectionTimeoutError) {
    return { status: 'failed', detail: `no answer within ${duration(timeout)} (--timeout)`, reached: false };
  }
  if (err instanceof APIConnectionError) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return { status: 'failed', detail: `cannot connect (${err.message}${cause})`, reached: false };
  }
  if (err instanceof APIError && err.status !== undefined) {
    const refused = [400, 422, ...(id === 'models' ? [404, 405] : [])].includes(err.status);
    const detail = refused ? err.message : classifyModelError(err, config).message;
    return { status: refused ? 'unsupported' : 'failed', detail: shorten(detail, 200), reached: true };
  }
  return { status: 'failed', detail: shorten((err as Error)?.message ?? String(err), 200), reached: true };
}

/** Model ids for a message: the first five, and how many more. */
export function list(models: readonly string[]): string {
  if (models.length === 0) return 'none';
  const shown = models.slice(0, 5).join(', ');
  return models.length > 5 ? `${shown} and ${models.length - 5} more` : shown;
}

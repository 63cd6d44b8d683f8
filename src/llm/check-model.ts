/**
 * `planwright check-model`: probes an OpenAI-compatible server with the settings a worker would use and says
 * what works and which settings to use. Each probe is one small request of its own (a few output tokens, no
 * retries, its own timeout), run one after another so that a single-slot local server is not flooded; one
 * probe failing never stops the others. {@link checkModel} returns plain data; {@link renderModelCheck}
 * writes it for a terminal.
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
import { builtinTools } from '../tools/builtin.js';
import { toolInfo } from '../tools/define.js';
import { defaultCapField, openAIClient } from './client.js';
import { alternating } from './completion.js';
import { DEFAULT_TEMPERATURE, type ModelConfig } from './config.js';
import { classifyModelError } from './errors.js';
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

/** The environment variables `checkModel` gives advice on (read by `modelConfigFromEnv`). */
export type SettingName =
  | 'PLANWRIGHT_MAX_TOKENS_FIELD'
  | 'PLANWRIGHT_STRUCTURED_OUTPUT'
  | 'PLANWRIGHT_TOOL_CALLS'
  | 'PLANWRIGHT_TEMPERATURE'
  | 'PLANWRIGHT_FREQUENCY_PENALTY';

/** A setting the server needs, as an environment variable for the worker. */
export interface SettingAdvice {
  name: SettingName;
  value: string;
  /** Why, from the probes. */
  reason: string;
  /** False when the worker already uses this value (set, or its default). */
  changed: boolean;
}

/** What `checkModel` found. */
export interface ModelCheck {
  baseURL: string;
  model: string;
  /** Whether the server answered at all (`GET /models` or a chat completion). */
  reachable: boolean;
  /** Whether planwright can run with {@link ModelCheck.settings}: the chat probe and one structured mode pass. */
  runnable: boolean;
  /** Model ids `GET /models` listed, when it answered. */
  models?: string[];
  /** Whether the configured model is among them, when they are known. */
  modelListed?: boolean;
  probes: ProbeResult[];
  settings: SettingAdvice[];
  /** Other findings worth a line: model name, role order, missing usage, why planwright cannot run. */
  notes: string[];
}

/** Options of {@link checkModel}. */
export interface CheckModelOptions {
  /** Timeout of each probe (default {@link DEFAULT_PROBE_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** The tool catalog whose plan format is probed (default: the built-in tools). */
  tools?: readonly ToolInfo[];
  /** Called as each probe ends, for progress output. */
  onProbe?: (probe: ProbeResult) => void;
}

/** Timeout of one probe when none is given. */
export const DEFAULT_PROBE_TIMEOUT_MS = 60_000;

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

type Body = Omit<ChatCompletionCreateParamsNonStreaming, 'model'>;
type Outcome = { status: 'ok' | 'unsupported' | 'failed'; detail: string; truncated?: true };
type CapField = 'max_tokens' | 'max_completion_tokens';

/**
 * Probes the server `config` points at: reachability and the model, both output cap fields, temperature,
 * usage, structured output (a small schema, the plan format of `options.tools`, JSON mode), role order and
 * tool calls; then works out the settings a worker needs. Never throws for what the server does.
 * @example
 * const check = await checkModel(modelConfigFromEnv(), { timeoutMs: 30_000 });
 * console.log(renderModelCheck(check));
 * process.exitCode = modelCheckExitCode(check);
 */
export async function checkModel(config: ModelConfig, options: CheckModelOptions = {}): Promise<ModelCheck> {
  const timeout = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const tools = options.tools ?? builtinTools.map(toolInfo);
  const client = clientFor(config, timeout);
  const probes: ProbeResult[] = [];
  const probe = async (id: ProbeId, run: () => Promise<Outcome>): Promise<ProbeResult> => {
    const started = performance.now();
    let outcome: Outcome & { reached: boolean };
    try {
      outcome = { ...(await run()), reached: true };
    } catch (err) {
      outcome = outcomeOfError(err, id, config, timeout);
    }
    const result = { id, title: PROBES[id], ...outcome, ms: Math.round(performance.now() - started) };
    probes.push(result);
    options.onProbe?.(result);
    return result;
  };
  let capField: CapField = config.capField ?? defaultCapField(config);
  // After the temperature probe, requests sample as the worker's do (small models may need a penalty to finish).
  let sampling: { temperature?: number; frequency_penalty?: number } = {};
  const chat = (body: Body, cap: number) =>
    client.chat.completions.create({ ...sampling, ...body, model: config.model, [capField]: cap });

  let models: string[] | undefined;
  const listing = await probe('models', async () => {
    const page = await client.models.list();
    models = page.data.map((m) => m.id);
    const listed = isListed(config.model, models);
    if (listed) return { status: 'ok', detail: `"${config.model}" is listed` };
    return { status: 'ok', detail: `"${config.model}" is not listed; listed: ${list(models)}` };
  });
  const first = await probe('chat', async () => {
    const reply = answerOf(await chat({ messages: [{ role: 'user', content: 'Reply with one word: hello.' }] }, 16));
    return { status: 'ok', detail: `answered ${quote(reply.content)} (finish_reason ${reply.finish})` };
  });
  const reachable = listing.reached || first.reached;
  if (reachable) {
    await probeCaps(probe, client, config);
    const honoured = (field: CapField) => probes.some((p) => p.id === field && p.status === 'ok');
    if (!honoured(capField) && honoured(otherField(capField))) capField = otherField(capField);
    const temperature = await probeTemperature(probe, chat, config);
    sampling = {
      ...(temperature.status === 'ok' && config.temperature !== null
        ? { temperature: config.temperature ?? DEFAULT_TEMPERATURE }
        : {}),
      ...(config.frequencyPenalty !== undefined ? { frequency_penalty: config.frequencyPenalty } : {}),
    };
    await probe('usage', async () => {
      const { usage } = await chat({ messages: [{ role: 'user', content: 'Say hi.' }] }, 8);
      if (typeof usage?.prompt_tokens !== 'number' || typeof usage.completion_tokens !== 'number') {
        return { status: 'failed', detail: 'the answer has no usage.prompt_tokens and usage.completion_tokens' };
      }
      const detail = `prompt_tokens ${usage.prompt_tokens}, completion_tokens ${usage.completion_tokens}`;
      return { status: 'ok', detail };
    });
    await probeStructured(probe, chat, tools);
    await probeRoles(probe, client, config, capField);
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
  } else {
    const rest = (Object.keys(PROBES) as ProbeId[]).filter((id) => !probes.some((p) => p.id === id));
    for (const id of rest) {
      const skipped = {
        id,
        title: PROBES[id],
        status: 'skipped' as const,
        detail: 'the server cannot be reached',
        ms: 0,
        reached: false,
      };
      probes.push(skipped);
      options.onProbe?.(skipped);
    }
  }
  const advice = advise(probes, config, models);
  return {
    baseURL: config.baseURL ?? 'https://api.openai.com/v1',
    model: config.model,
    reachable,
    runnable: reachable && advice.runnable,
    ...(models ? { models, modelListed: isListed(config.model, models) } : {}),
    probes,
    settings: advice.settings,
    notes: advice.notes,
  };
}

type Probe = (id: ProbeId, run: () => Promise<Outcome>) => Promise<ProbeResult>;
type Chat = (body: Body, cap: number) => Promise<ChatCompletion>;

/** Each cap field alone, with a cap of 5 on an answer that needs many more tokens. */
async function probeCaps(probe: Probe, client: OpenAI, config: ModelConfig): Promise<void> {
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
function probeTemperature(probe: Probe, chat: Chat, config: ModelConfig): Promise<ProbeResult> {
  const temperature = config.temperature ?? DEFAULT_TEMPERATURE;
  return probe('temperature', async () => {
    await chat({ messages: [{ role: 'user', content: 'Say hi.' }], temperature }, 8);
    return { status: 'ok', detail: `temperature ${temperature} accepted` };
  });
}

/** Strict JSON schema (small, then the real plan format) and JSON mode with the schema in the prompt. */
async function probeStructured(probe: Probe, chat: Chat, tools: readonly ToolInfo[]): Promise<void> {
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
    const rule =
      'Answer with one JSON object (no prose) that matches this JSON schema:\n' + JSON.stringify(SMALL_SCHEMA);
    const messages: ChatCompletionMessageParam[] = [
      { role: 'system', content: rule },
      { role: 'user', content: SMALL_QUESTION },
    ];
    return small(answerOf(await chat({ messages, response_format: { type: 'json_object' } }, 64)));
  });
}

/** Conversations whose roles do not alternate, sent as they are (planwright itself always alternates). */
async function probeRoles(probe: Probe, client: OpenAI, config: ModelConfig, capField: CapField): Promise<void> {
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

/** The settings a worker needs, what else is worth saying, and whether planwright can run. */
function advise(
  probes: readonly ProbeResult[],
  config: ModelConfig,
  models: readonly string[] | undefined,
): { settings: SettingAdvice[]; notes: string[]; runnable: boolean } {
  const byId = (id: ProbeId) => probes.find((p) => p.id === id);
  const ok = (id: ProbeId) => byId(id)?.status === 'ok';
  const why = (id: ProbeId) => {
    const p = byId(id);
    return p ? `${p.title} ${p.status === 'unsupported' ? 'refused' : p.status}: ${shorten(p.detail, 90)}` : '';
  };
  const settings: SettingAdvice[] = [];
  const notes: string[] = [];

  const cap = config.capField ?? defaultCapField(config);
  if (ok(cap)) {
    settings.push({ name: 'PLANWRIGHT_MAX_TOKENS_FIELD', value: cap, reason: 'honoured', changed: false });
  } else if (ok(otherField(cap))) {
    const value = otherField(cap);
    settings.push({ name: 'PLANWRIGHT_MAX_TOKENS_FIELD', value, reason: why(cap), changed: true });
  } else if (byId(cap)?.status !== 'skipped') {
    notes.push('Neither max_tokens nor max_completion_tokens was honoured: answers may run long.');
  }

  const current = config.structuredOutput ?? 'json_schema';
  const schemaMode = ok('json_schema') && ok('plan_format');
  if (schemaMode) {
    const reason = 'strict JSON schema works, the plan format included';
    settings.push({
      name: 'PLANWRIGHT_STRUCTURED_OUTPUT',
      value: 'json_schema',
      reason,
      changed: current !== 'json_schema',
    });
  } else if (ok('json_object')) {
    const reason = why(ok('json_schema') ? 'plan_format' : 'json_schema');
    settings.push({
      name: 'PLANWRIGHT_STRUCTURED_OUTPUT',
      value: 'json_object',
      reason,
      changed: current !== 'json_object',
    });
  } else if (byId('json_object')?.status !== 'skipped') {
    notes.push(
      'Neither json_schema nor json_object gave a valid answer: the planner cannot get plans from this model.',
    );
  }

  if (byId('plan_format')?.truncated) {
    notes.push(
      config.frequencyPenalty === undefined
        ? 'The plan ran on to the output cap (small models repeat themselves): ' +
            'try PLANWRIGHT_FREQUENCY_PENALTY=1 and check again.'
        : `The plan ran on to the output cap even with PLANWRIGHT_FREQUENCY_PENALTY=${config.frequencyPenalty}: ` +
            'the model may be too small to plan.',
    );
  }

  const tools = byId('tools');
  if (tools && tools.status !== 'skipped') {
    const native = tools.status === 'ok';
    const value = native ? 'native' : 'json';
    const reason = native ? 'tool calls come back with JSON arguments' : why('tools');
    settings.push({ name: 'PLANWRIGHT_TOOL_CALLS', value, reason, changed: (config.toolCalls ?? 'native') !== value });
  }

  if (byId('temperature')?.status === 'unsupported') {
    settings.push({
      name: 'PLANWRIGHT_TEMPERATURE',
      value: 'default',
      reason: why('temperature'),
      changed: config.temperature !== null,
    });
  }

  if (config.frequencyPenalty !== undefined && byId('usage')?.status !== 'skipped') {
    const value = String(config.frequencyPenalty);
    const reason = 'the probes after the temperature probe were sent with it';
    settings.push({ name: 'PLANWRIGHT_FREQUENCY_PENALTY', value, reason, changed: false });
  }

  if (models && !isListed(config.model, models)) {
    notes.push(
      `PLANWRIGHT_MODEL "${config.model}" is not among the listed models (${list(models)}); a server with one model ` +
        `(llama.cpp) answers under any name, others need one of the listed names.`,
    );
  }
  if (['roles_user_user', 'roles_user_system'].some((id) => byId(id as ProbeId)?.status === 'unsupported')) {
    notes.push("The server's chat template wants alternating roles; planwright always sends them so, nothing to set.");
  }
  if (byId('usage')?.status === 'failed') {
    notes.push('The server reports no token usage: token budgets and usage figures will count 0 tokens.');
  }
  if (!ok('chat')) notes.push(`The chat completion failed, so planwright cannot run: ${byId('chat')?.detail ?? ''}`);
  return { settings, notes, runnable: ok('chat') && (schemaMode || ok('json_object')) };
}

/**
 * The exit code of `planwright check-model`: 0 planwright can run with the recommended settings, 3 the server
 * cannot be reached, 1 otherwise.
 */
export function modelCheckExitCode(check: ModelCheck): 0 | 1 | 3 {
  if (!check.reachable) return 3;
  return check.runnable ? 0 : 1;
}

const STATUS_LABEL: Record<ProbeStatus, string> = {
  ok: 'ok',
  unsupported: 'unsupported',
  failed: 'FAILED',
  skipped: 'skipped',
};

/** A {@link ModelCheck} for a terminal: one line a probe, the settings as env lines, notes and the verdict. */
export function renderModelCheck(check: ModelCheck): string {
  const width = Math.max(...check.probes.map((p) => p.title.length));
  const lines = [
    `Model server ${check.baseURL}, model "${check.model}"`,
    '',
    ...check.probes.map(
      (p) =>
        `  ${STATUS_LABEL[p.status].padEnd(11)} ${p.title.padEnd(width)} ${duration(p.ms).padStart(7)}  ${p.detail}`,
    ),
  ];
  if (check.settings.length > 0) {
    const envWidth = Math.max(...check.settings.map((s) => s.name.length + s.value.length + 1));
    lines.push('', 'Settings for this server (environment of `planwright worker`):');
    for (const s of check.settings) {
      lines.push(`  ${`${s.name}=${s.value}`.padEnd(envWidth)}  # ${s.changed ? '' : '(as now) '}${s.reason}`);
    }
  }
  if (check.notes.length > 0) lines.push('', 'Notes:', ...check.notes.map((n) => `  - ${n}`));
  lines.push(
    '',
    !check.reachable
      ? `Cannot reach ${check.baseURL}: check OPENAI_BASE_URL and that the server is running.`
      : check.runnable
        ? 'planwright can run against this server with the settings above.'
        : 'planwright cannot run against this server as it is (see the failures above).',
  );
  return lines.join('\n');
}

function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The `openai` client a worker would build for `config`, with the probe timeout. */
function clientFor(config: ModelConfig, timeout: number): OpenAI {
  return openAIClient(config, timeout);
}

function otherField(field: CapField): CapField {
  return field === 'max_tokens' ? 'max_completion_tokens' : 'max_tokens';
}

function isListed(model: string, models: readonly string[]): boolean {
  return models.includes(model) || models.includes(`${model}:latest`);
}

interface Answer {
  content: string;
  finish: string;
  toolCalls: Array<{ name: string; arguments: string }>;
}

/**
 * The first choice of a completion.
 * @throws {Error} when the completion has no choice.
 */
function answerOf(completion: ChatCompletion): Answer {
  const choice = completion.choices?.[0];
  if (!choice) throw new Error('the answer has no choices');
  const toolCalls = (choice.message.tool_calls ?? []).flatMap((c) =>
    c.type === 'function' ? [{ name: c.function.name, arguments: c.function.arguments }] : [],
  );
  return { content: choice.message.content ?? '', finish: String(choice.finish_reason ?? 'none'), toolCalls };
}

/**
 * Why a structured answer does not do, or undefined when it parses and `check` finds nothing wrong (`check`
 * says what is wrong with the JSON: "does not match the schema: …").
 */
function checkAnswer(reply: Answer, cap: number, check: (value: unknown) => string | undefined): Outcome | undefined {
  if (reply.finish === 'length') {
    return {
      status: 'failed',
      detail: `cut off at the cap (${cap} tokens) before the JSON ended: ${quote(reply.content)}`,
      truncated: true,
    };
  }
  const parsed = parseJson(reply.content);
  if (!parsed.ok) return { status: 'failed', detail: `not JSON (${parsed.error}): ${quote(reply.content)}` };
  const problem = check(parsed.value);
  return problem ? { status: 'failed', detail: `the JSON ${shorten(problem, 140)}` } : undefined;
}

function issuesOf(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** A failed request as a probe outcome: refusals (400, 422; 404 and 405 for `GET /models`) are `unsupported`. */
function outcomeOfError(
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

function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

function quote(text: string): string {
  return JSON.stringify(shorten(text, 60));
}

function list(models: readonly string[]): string {
  if (models.length === 0) return 'none';
  const shown = models.slice(0, 5).join(', ');
  return models.length > 5 ? `${shown} and ${models.length - 5} more` : shown;
}

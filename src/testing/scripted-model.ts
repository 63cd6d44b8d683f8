/**
 * A scripted OpenAI-compatible server on loopback. The real `openai` client talks to it over HTTP, so
 * the production code path is what tests exercise. It answers from a script (per phase, in order),
 * records every request, can inject faults, and fails loudly when its script runs out. A request with `stream: true`
 * is answered as a stream of server-sent chunks, at the pace the script asks (slow, or stalling).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PHASE_HEADER, type Phase } from '../llm/phase.js';

/** One answer of the scripted model. */
export type ScriptedReply =
  /**
   * A normal answer; objects are sent as JSON text (what structured outputs return). An answer longer than
   * the request's output cap (4 characters a token) is cut there and ends with `finish_reason: 'length'`,
   * as a real server does; `truncated` ends it so whatever its length.
   */
  | ({
      content: string | object;
      delayMs?: number;
      usage?: { prompt_tokens: number; completion_tokens: number };
      truncated?: boolean;
    } & StreamPace)
  /** The model refuses to answer (as OpenAI models do for unsafe requests). */
  | { refusal: string; delayMs?: number }
  /** The model asks for tool calls (arguments objects are sent as JSON text). */
  | { toolCalls: Array<{ name: string; arguments: object | string }>; delayMs?: number }
  /** An HTTP error, with an optional `Retry-After` (seconds). */
  | { fault: { status: number; message?: string; retryAfter?: number }; delayMs?: number }
  /** A body that is not JSON at all. */
  | { malformed: string; delayMs?: number }
  /** No answer until the client gives up (for timeouts). */
  | { hang: true };

/**
 * How a streamed answer (a request with `stream: true`) is written: in chunks of `chunkChars` characters (default 8),
 * `chunkDelayMs` apart (default 0), as a slow server writes; with `stallAfterChunks`, the server goes silent after
 * that many chunks and never ends the answer (for silence timeouts).
 */
export interface StreamPace {
  chunkChars?: number;
  chunkDelayMs?: number;
  stallAfterChunks?: number;
}

/** A scripted answer, or a function of the request that returns one (to answer from what was asked). */
export type ScriptEntry = ScriptedReply | ((request: RecordedRequest) => ScriptedReply);

/** How strict the server is about requests, like real servers and chat templates are. */
export interface Strictness {
  /**
   * Refuse (400) conversations whose roles do not strictly alternate after one leading system message
   * (tool results may follow an assistant's tool calls), as strict chat templates (Gemma's, Mistral's) do.
   * Default true.
   */
  alternation?: boolean;
  /** Refuse (400) requests without an output cap (`max_tokens` or `max_completion_tokens`). Default true. */
  requireCap?: boolean;
}

/** Answers for each phase, used in order; `any` serves requests whose phase has no entries left. */
export type Script = Partial<Record<Phase | 'any', ScriptEntry[]>>;

/** A request the server received. */
export interface RecordedRequest {
  phase: Phase | 'unknown';
  path: string;
  model: string;
  /** The chat messages, as sent. */
  messages: Array<{ role: string; content: unknown }>;
  /** Name of the JSON schema asked for, when structured output was requested. */
  responseFormat?: string;
  authorization?: string;
  body: Record<string, unknown>;
}

/** A running scripted model. */
export interface ScriptedModel {
  /** Base URL for the `openai` client (`OPENAI_BASE_URL`), ending in `/v1`. */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Requests that found the script empty; each was answered with an error. */
  readonly unexpected: RecordedRequest[];
  /** Adds entries to the script. */
  enqueue(script: Script): void;
  /** How many entries are left, per phase. */
  remaining(): Record<string, number>;
  /** @throws {Error} when some request found the script empty, or (with `all`) entries are left unused. */
  assertDone(options?: { all?: boolean }): void;
  close(): Promise<void>;
}

const PHASES = new Set<string>(['plan', 'replan', 'execute', 'check', 'synthesize']);

/**
 * Starts a scripted model on 127.0.0.1 (a free port unless `port` is given).
 * @example
 * const model = await startScriptedModel({ script: { plan: [{ content: plan }], synthesize: [{ content: 'Done.' }] } });
 * process.env.OPENAI_BASE_URL = model.url;
 */
export async function startScriptedModel(
  options: { script?: Script; port?: number; strict?: Strictness } = {},
): Promise<ScriptedModel> {
  const { alternation = true, requireCap = true } = options.strict ?? {};
  const queues = new Map<string, ScriptEntry[]>();
  const requests: RecordedRequest[] = [];
  const unexpected: RecordedRequest[] = [];
  const hanging = new Set<ServerResponse>();

  const enqueue = (script: Script) => {
    for (const [phase, entries] of Object.entries(script)) {
      queues.set(phase, [...(queues.get(phase) ?? []), ...(entries ?? [])]);
    }
  };
  enqueue(options.script ?? {});

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: Error) =>
      send(res, 500, { error: { message: err.message, type: 'server_error' } }),
    );
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname.endsWith('/models')) {
      return send(res, 200, { object: 'list', data: [{ id: 'scripted', object: 'model', owned_by: 'planwright' }] });
    }
    if (req.method !== 'POST' || !url.pathname.endsWith('/chat/completions')) {
      return send(res, 404, {
        error: { message: `the scripted model serves POST /v1/chat/completions, not ${req.method} ${url.pathname}` },
      });
    }
    const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    const header = String(req.headers[PHASE_HEADER] ?? '');
    const format = body.response_format as { type?: string; json_schema?: { name?: string } } | undefined;
    const request: RecordedRequest = {
      phase: PHASES.has(header) ? (header as Phase) : 'unknown',
      path: url.pathname,
      model: String(body.model ?? ''),
      messages: (body.messages as RecordedRequest['messages']) ?? [],
      ...(format?.json_schema?.name ? { responseFormat: format.json_schema.name } : {}),
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      body,
    };
    requests.push(request);

    const refused =
      (alternation ? roleProblem(request.messages) : undefined) ?? (requireCap ? capProblem(body) : undefined);
    if (refused) return send(res, 400, { error: { message: refused, type: 'invalid_request_error', code: 400 } });
    const cap = outputCap(body);

    const queue = queues.get(request.phase)?.length ? queues.get(request.phase) : queues.get('any');
    const entry = queue?.shift();
    if (!entry) {
      unexpected.push(request);
      const message =
        `planwright scripted model: the script has no answer left for a "${request.phase}" request ` +
        `(request #${requests.length}; answered so far: ${requests.length - 1}). Add entries to the script.`;
      process.stderr.write(`${message}\n`);
      // 400 is not retried: the run fails at once with this message instead of retrying into a timeout.
      return send(res, 400, { error: { message, type: 'script_exhausted' } });
    }
    const reply = typeof entry === 'function' ? entry(request) : entry;
    if ('hang' in reply) {
      hanging.add(res);
      res.once('close', () => hanging.delete(res));
      return;
    }
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if ('fault' in reply) {
      const { status, message = `scripted fault ${status}`, retryAfter } = reply.fault;
      const headers = retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : undefined;
      return send(res, status, { error: { message, type: 'scripted_fault', code: status } }, headers);
    }
    if ('malformed' in reply) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(reply.malformed);
      return;
    }
    const message =
      'toolCalls' in reply
        ? {
            role: 'assistant',
            content: null,
            refusal: null,
            tool_calls: reply.toolCalls.map((call, i) => ({
              id: `call_${requests.length}_${i}`,
              type: 'function',
              function: {
                name: call.name,
                arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
              },
            })),
          }
        : 'refusal' in reply
          ? { role: 'assistant', content: null, refusal: reply.refusal }
          : {
              role: 'assistant',
              content: typeof reply.content === 'string' ? reply.content : JSON.stringify(reply.content),
              refusal: null,
            };
    const full = typeof message.content === 'string' ? message.content : '';
    const limit = cap !== undefined ? cap * 4 : Number.POSITIVE_INFINITY;
    const cut = 'content' in reply && (reply.truncated === true || full.length > limit);
    if (cut) message.content = full.slice(0, reply.truncated ? Math.min(limit, Math.floor(full.length / 2)) : limit);
    const usage = ('usage' in reply ? reply.usage : undefined) ?? {
      prompt_tokens: promptTokens(request.messages),
      completion_tokens: Math.ceil(JSON.stringify(message).length / 4),
    };
    const finish = cut ? 'length' : 'toolCalls' in reply ? 'tool_calls' : 'stop';
    if (body.stream === true) {
      const options = body.stream_options as { include_usage?: boolean } | undefined;
      return streamAnswer(res, hanging, {
        id: `chatcmpl-scripted-${requests.length}`,
        model: request.model,
        message,
        finish,
        usage: options?.include_usage ? usage : undefined,
        pace: 'content' in reply ? reply : {},
      });
    }
    return send(res, 200, {
      id: `chatcmpl-scripted-${requests.length}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      choices: [
        {
          index: 0,
          message,
          finish_reason: finish,
          logprobs: null,
        },
      ],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    unexpected,
    enqueue,
    remaining: () => Object.fromEntries([...queues].map(([phase, entries]) => [phase, entries.length])),
    assertDone({ all = false } = {}) {
      if (unexpected.length > 0) {
        throw new Error(
          `the scripted model got ${unexpected.length} request(s) its script had no answer for (phases: ${unexpected.map((r) => r.phase).join(', ')})`,
        );
      }
      const left = [...queues].filter(([, entries]) => entries.length > 0);
      if (all && left.length > 0) {
        throw new Error(
          `the scripted model has unused entries: ${left.map(([p, e]) => `${p}: ${e.length}`).join(', ')}`,
        );
      }
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The input tokens the scripted model counts for a request's messages: 4 characters of their JSON text a token
 * (a rough stand-in for a tokenizer, the same for every request, so that prompts can be compared).
 */
export function promptTokens(messages: ReadonlyArray<{ role: string; content?: unknown }>): number {
  return Math.ceil(JSON.stringify(messages).length / 4);
}

/** What a strict chat template says of a conversation whose roles do not alternate, or undefined. */
export function roleProblem(messages: ReadonlyArray<{ role: string }>): string | undefined {
  const roles = messages.map((m) => m.role);
  const system = roles.lastIndexOf('system');
  if (system > 0) return `a system message may only come first (found one at position ${system})`;
  let previous = 'assistant'; // the first message after the system prompt must be the user's
  for (const [i, role] of roles.entries()) {
    if (role === 'system') continue;
    const ok =
      role === 'user'
        ? previous === 'assistant' || previous === 'tool'
        : role === 'assistant'
          ? previous === 'user' || previous === 'tool'
          : role === 'tool'
            ? previous === 'assistant' || previous === 'tool'
            : false;
    if (!ok) {
      return `Conversation roles must alternate user/assistant/user/assistant/... (message ${i} is "${role}" after "${previous}")`;
    }
    previous = role;
  }
  return undefined;
}

/** The output cap a request asks for, in tokens, if it has one. */
function outputCap(body: Record<string, unknown>): number | undefined {
  const cap = body.max_completion_tokens ?? body.max_tokens;
  return typeof cap === 'number' ? cap : undefined;
}

function capProblem(body: Record<string, unknown>): string | undefined {
  return outputCap(body) === undefined
    ? 'planwright scripted model: the request has no output cap (max_tokens or max_completion_tokens); a server whose default is "generate until done" would run on'
    : undefined;
}

/** Writes an answer as a server-sent event stream of chat completion chunks, paced as asked. */
async function streamAnswer(
  res: ServerResponse,
  hanging: Set<ServerResponse>,
  answer: {
    id: string;
    model: string;
    message: { content: string | null; refusal: string | null; tool_calls?: unknown[] };
    finish: string;
    usage: { prompt_tokens: number; completion_tokens: number } | undefined;
    pace: StreamPace;
  },
): Promise<void> {
  const { chunkChars = 8, chunkDelayMs = 0, stallAfterChunks } = answer.pace;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: object, finish: string | null = null, usage: object | null = null) =>
    `data: ${JSON.stringify({
      id: answer.id,
      object: 'chat.completion.chunk',
      created,
      model: answer.model,
      choices: usage ? [] : [{ index: 0, delta, finish_reason: finish, logprobs: null }],
      ...(usage ? { usage } : {}),
    })}\n\n`;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const text = answer.message.content ?? '';
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += chunkChars) pieces.push(text.slice(i, i + chunkChars));
  const deltas: object[] = [
    { role: 'assistant', content: '' },
    ...pieces.map((content) => ({ content })),
    ...(answer.message.refusal ? [{ refusal: answer.message.refusal }] : []),
    ...(answer.message.tool_calls?.length
      ? [{ tool_calls: answer.message.tool_calls.map((call, index) => ({ index, ...(call as object) })) }]
      : []),
  ];
  for (const [i, delta] of deltas.entries()) {
    if (stallAfterChunks !== undefined && i >= stallAfterChunks) {
      hanging.add(res);
      res.once('close', () => hanging.delete(res));
      return;
    }
    if (res.destroyed) return;
    if (i > 0 && chunkDelayMs > 0) await new Promise((r) => setTimeout(r, chunkDelayMs));
    res.write(chunk(delta));
  }
  res.write(chunk({}, answer.finish));
  if (answer.usage) {
    const { prompt_tokens, completion_tokens } = answer.usage;
    res.write(chunk({}, null, { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens }));
  }
  res.end('data: [DONE]\n\n');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * Running llama-server: its command line (loopback, Jinja chat templates, SmolLM2's template with tools), a start
 * that waits until it is healthy, and a stop.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../../src/free-port.js';
import { ModelProvisioningError } from './steps.js';

/** What {@link startLlamaServer} starts. */
export interface LlamaServerOptions {
  /** The `llama-server` binary, as from `provisionLlamaServer`. */
  binary: string;
  /** The GGUF model file, as from `provisionSmolLM2`. */
  model: string;
  /** The model name served at `/v1/models`; default the file's name without `.gguf` (not its whole path). */
  alias?: string;
  /** TCP port on 127.0.0.1; a free one by default. */
  port?: number;
  /** Context size in tokens, shared by all slots (a unified KV cache). Default 8192, SmolLM2's trained size. */
  ctxSize?: number;
  /** Requests decoded at the same time (`-np`). Default 2. */
  parallel?: number;
  /**
   * CPU threads (`-t`). Default 1: beside other busy processes (a test run), the OpenMP barriers of two or
   * more threads spin against each other and generation drops from ~40 to 1–8 tokens/s on 2 cores.
   */
  threads?: number;
  /** Sampling seed of requests that set none. Default 42. */
  seed?: number;
  /** How long to wait for `/health` to answer 200. Default 60 s. */
  startTimeoutMs?: number;
  /**
   * Jinja chat template replacing the model's own; `false` keeps the model's. Default:
   * {@link SMOLLM2_CHAT_TEMPLATE} for a SmolLM2 file, the model's own template otherwise.
   */
  chatTemplate?: string | false;
}

/** A running llama-server. */
export interface RunningModelServer {
  /** Base URL for an OpenAI client: `http://127.0.0.1:<port>/v1`. */
  url: string;
  /** The model name the server reports at `/v1/models`. */
  model: string;
  /** Milliseconds from spawn to the first healthy answer. */
  startMs: number;
  /** The server's last log lines, for messages about failed requests. */
  logTail(): string[];
  /** Stops the server (SIGTERM, SIGKILL after 5 s) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * The llama-server command line: loopback only, Jinja chat templates (so `tools` and
 * `response_format: json_schema` work), a unified KV cache shared by `parallel` slots, one thread, a fixed
 * default seed, a bounded prompt cache in RAM (256 MiB instead of 8 GiB), no weight repacking, no Web UI, and
 * uncoloured logs.
 */
export function llamaServerArgs(options: Omit<LlamaServerOptions, 'binary'> & { port: number }): string[] {
  const { model, port, ctxSize = 8192, parallel = 2, threads = 1, seed = 42 } = options;
  const template = options.chatTemplate ?? (/smollm2/i.test(path.basename(model)) ? SMOLLM2_CHAT_TEMPLATE : false);
  return [
    ['-m', model, '--alias', options.alias ?? path.basename(model, '.gguf')],
    ['--host', '127.0.0.1', '--port', String(port)],
    ['-c', String(ctxSize), '-np', String(parallel), '--kv-unified', '--cache-ram', '256', '-t', String(threads)],
    // --jinja first: only then does --chat-template take a template of our own rather than a known name.
    ['--jinja', ...(template ? ['--chat-template', template] : [])],
    ['--seed', String(seed)],
    // A native build on a CPU with AMX repacks weights for AMX tiles and dies (SIGSEGV in ggml_backend_amx_mul_mat)
    // while loading the model; without repacking the same binary runs on every CPU it was built on.
    ['--no-repack'],
    // /metrics counts the tokens the server predicted, so a run's reported usage can be checked against it.
    ['--metrics', '--no-webui', '--log-colors', 'off'],
  ].flat();
}

/**
 * SmolLM2's ChatML template with tools added. The template in the GGUF knows no tools, and llama-server then
 * leaves them out of the prompt and never parses a call. This one lists the tools in the system turn and
 * writes calls as SmolLM2 was tuned to (`<tool_call>[{"name": …, "arguments": {…}}]</tool_call>`, results in
 * a user turn inside `<tool_response>`), which llama-server recognises: calls come back as `tool_calls` with
 * `finish_reason: "tool_calls"`. The 135M model seldom decides to call a tool by itself.
 */
export const SMOLLM2_CHAT_TEMPLATE = String.raw`{%- set rest = messages -%}
{%- if tools -%}
  {{- '<|im_start|>system\n' -}}
  {%- if messages[0].role == 'system' -%}
    {{- messages[0].content + '\n\n' -}}
    {%- set rest = messages[1:] -%}
  {%- endif -%}
  {{- 'You compose function calls. Based on the question, call one or more of the functions below, or answer ' -}}
  {{- 'directly when none of them applies.\nYou have access to the following tools:\n<tools>[' -}}
  {%- for tool in tools -%}{{- (', ' if not loop.first else '') + (tool | tojson) -}}{%- endfor -%}
  {{- ']</tools>\nTo call functions, reply with the list of calls and nothing else, in this format:\n' -}}
  {{- '<tool_call>[\n{"name": "func_name1", "arguments": {"argument1": "value1"}}\n]</tool_call><|im_end|>\n' -}}
{%- elif messages[0].role != 'system' -%}
  {{- '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' -}}
{%- endif -%}
{%- for message in rest -%}
  {%- if message.role == 'assistant' and message.tool_calls -%}
    {{- '<|im_start|>assistant\n' -}}
    {%- if message.content -%}{{- message.content + '\n' -}}{%- endif -%}
    {{- '<tool_call>[\n' -}}
    {%- for call in message.tool_calls -%}
      {%- set fn = call.function if call.function is defined else call -%}
      {{- (',\n' if not loop.first else '') + '{"name": "' + fn.name + '", "arguments": ' + (fn.arguments | tojson) + '}' -}}
    {%- endfor -%}
    {{- '\n]</tool_call><|im_end|>\n' -}}
  {%- elif message.role == 'tool' -%}
    {{- '<|im_start|>user\n<tool_response>\n' + message.content + '\n</tool_response><|im_end|>\n' -}}
  {%- else -%}
    {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>\n' -}}
  {%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\n' -}}{%- endif -%}`;

/**
 * Starts llama-server and waits until `/health` answers 200, then asks `/v1/models` for the model's name.
 * The server is killed if this process exits without stopping it.
 * @throws {ModelProvisioningError} when the server exits or stays unhealthy past the timeout, with its last log lines.
 * @example
 * const server = await startLlamaServer(await provisionModelServer());
 * const client = new OpenAI({ baseURL: server.url, apiKey: 'none' });
 * try { await client.chat.completions.create({ model: server.model, messages }); } finally { await server.stop(); }
 */
export async function startLlamaServer(options: LlamaServerOptions): Promise<RunningModelServer> {
  const port = options.port ?? (await freePort());
  const started = Date.now();
  const child = spawn(options.binary, llamaServerArgs({ ...options, port }), { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = keepTail(child.stdout, child.stderr);
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`could not start ${options.binary}: ${err.message}`));
    child.once('exit', (code, signal) => resolve(exitDescription(code, signal, options.binary)));
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(force);
  };
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(base, exited, options.startTimeoutMs ?? 60_000);
    const startMs = Date.now() - started;
    return { url: `${base}/v1`, model: await servedModel(base), startMs, logTail: () => [...tail], stop };
  } catch (err) {
    await stop();
    const why = `it did not start (${(err as Error).message})`;
    throw new ModelProvisioningError('llama-server', why, tail.join('\n'), startAdvice(err));
  }
}

/** Polls `/health` until it answers 200; rejects when the process ends first or the time is up. */
async function waitForHealth(base: string, exited: Promise<string>, timeoutMs: number): Promise<void> {
  let exit: string | undefined;
  void exited.then((description) => (exit = description));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exit) throw new Error(exit);
    const status = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) }).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline)
      throw new Error(`/health did not answer 200 within ${timeoutMs} ms (last: ${status || 'no answer'})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function servedModel(base: string): Promise<string> {
  const response = await fetch(`${base}/v1/models`, { signal: AbortSignal.timeout(5000) });
  const body = (await response.json()) as { data?: Array<{ id?: string }> };
  const id = body.data?.[0]?.id;
  if (!id) throw new Error(`/v1/models named no model: ${JSON.stringify(body).slice(0, 200)}`);
  return id;
}

/**
 * Why the server ended; an illegal instruction means a binary built (`-march=native`) on another CPU, a
 * segmentation fault most often a CPU backend (AMX, repacked weights) that fails on this CPU.
 */
export function exitDescription(code: number | null, signal: NodeJS.Signals | null, binary: string): string {
  if (signal === 'SIGILL')
    return (
      `${binary} died of an illegal instruction: it was built for another CPU; rebuild it on this one ` +
      `(for the cached copy, delete ${path.dirname(binary)})`
    );
  if (signal === 'SIGSEGV')
    return (
      `${binary} crashed (SIGSEGV) while loading the model; on CPUs with AMX (amx_tile in /proc/cpuinfo) that is ` +
      `the AMX backend: start it with --no-repack (it is, here) or build it with -DGGML_NATIVE=OFF ` +
      `(for the cached copy, delete ${path.dirname(binary)}); the log lines below say where it stopped`
    );
  return signal ? `${binary} was killed by ${signal}` : `${binary} exited with code ${code} before it was healthy`;
}

function startAdvice(err: unknown): string {
  return /illegal instruction|SIGSEGV/.test(String((err as Error)?.message))
    ? ''
    : 'Check the model file and the binary (run it with --help), or set PLANWRIGHT_LLAMA_SERVER / PLANWRIGHT_MODEL_GGUF.';
}

/** Keeps the last 30 lines written to the streams, without printing them. */
function keepTail(...streams: NodeJS.ReadableStream[]): string[] {
  const tail: string[] = [];
  for (const stream of streams) {
    let partial = '';
    stream.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      tail.push(...lines.filter((line) => line.trim()));
      tail.splice(0, Math.max(0, tail.length - 30));
    });
  }
  return tail;
}

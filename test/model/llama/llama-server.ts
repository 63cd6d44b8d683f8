/**
 * llama.cpp's `llama-server` on machines that reach only package registries: built from the llama.cpp sources
 * vendored by the `llama-cpp-python` sdist (PyPI). Found, in order: an explicit path (`PLANWRIGHT_LLAMA_SERVER`);
 * a copy cached per user next to the Temporal servers (`cacheDir()`); a build that fills the cache, once across
 * processes (a lock), with progress on stderr. Only the model conformance suite (`npm run test:model`) uses it,
 * so it is not part of the published package.
 */
import { chmod, copyFile, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cacheDir } from '../../../src/cache-dir.js';
import {
  formatElapsed,
  ModelProvisioningError,
  PIP_ENV,
  pipTool,
  PROGRESS_EVERY_MS,
  provide,
  PYTHON,
  requireTools,
  runStep,
} from './steps.js';
import type { Context, ModelProvisionOptions, Tool, Transcript } from './steps.js';

/** PyPI version of the `llama-cpp-python` sdist whose vendored llama.cpp is built; keys the cache entry. */
export const LLAMA_CPP_PYTHON_VERSION = '0.3.36';
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

/** Where the built server is cached, under {@link cacheDir}. */
export function llamaServerPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheDir(env), `llama-server-${LLAMA_CPP_PYTHON_VERSION}`, 'llama-server');
}

/**
 * Returns the path of a `llama-server` binary: `PLANWRIGHT_LLAMA_SERVER` as given, else the cached build,
 * else a fresh build from the `llama-cpp-python` sdist (about 13 minutes on 2 cores, once per user).
 * @throws {ModelProvisioningError} when the explicit path does not exist, a build tool is missing, or a build step fails.
 * @example const binary = await provisionLlamaServer(); // ~/.cache/planwright/llama-server-0.3.36/llama-server
 */
export async function provisionLlamaServer(options: ModelProvisionOptions = {}): Promise<string> {
  return provide('llama-server', options, {
    variable: 'PLANWRIGHT_LLAMA_SERVER',
    target: llamaServerPath,
    make: buildLlamaServer,
  });
}

/** The tools of the llama-server build (pip, cmake, a C++ compiler); `CXX` is what CMake uses when set. */
function buildTools(env: NodeJS.ProcessEnv): Tool[] {
  const compilers = env.CXX ? [env.CXX] : ['c++', 'g++', 'clang++'];
  return [pipTool, { name: 'cmake', debian: 'cmake', probes: [['cmake', ['--version']]] }, cxxTool(compilers)];
}

/** A C++ compiler: the first of `compilers` that answers. */
function cxxTool(compilers: string[]): Tool {
  return {
    name: 'a C++ compiler (g++ or clang++)',
    debian: 'g++',
    probes: compilers.map((compiler): [string, string[]] => [compiler, ['--version']]),
  };
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

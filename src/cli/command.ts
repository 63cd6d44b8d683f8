/**
 * What a command of the `planwright` command line is: its name, its lines in `planwright help`, and the handler
 * that runs it with what the command line said. Also what handlers share: the options every command line is
 * read with, reading numbers and ids from it, and a client for the configured Temporal server.
 */
import type { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import type { Logger } from '@temporalio/worker';
import type { RunState } from '../contract/run-state.js';
import { connectClient, temporalConfigFromEnv, type TemporalConfig } from '../temporal/connection.js';
import { UsageError } from './errors.js';
import { SCHEDULE_OPTIONS } from './schedule.js';
import { START_OPTIONS } from './start-options.js';

/** `parseArgs` option declarations: one set for every command, so that shared flags mean the same everywhere. */
export const OPTIONS = {
  json: { type: 'boolean', default: false },
  verbose: { type: 'boolean', default: false },
  keep: { type: 'boolean', default: false },
  wait: { type: 'boolean', default: false },
  ephemeral: { type: 'boolean', default: false },
  db: { type: 'string' },
  'ui-port': { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  cors: { type: 'string' },
  'web-ui': { type: 'string' },
  from: { type: 'string' },
  ...START_OPTIONS,
  ...SCHEDULE_OPTIONS,
  // planwright eval
  tasks: { type: 'string' },
  limit: { type: 'string' },
  model: { type: 'string' },
  concurrency: { type: 'string' },
  runs: { type: 'boolean', default: false },
  repeat: { type: 'string' },
  id: { type: 'string' },
  version: { type: 'string' },
  feedback: { type: 'string' },
  reason: { type: 'string' },
  call: { type: 'string' },
  args: { type: 'string' },
  note: { type: 'string' },
  output: { type: 'string' },
  timeout: { type: 'string' },
  retention: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** The option values `parseArgs` read. */
export type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** What a handler gets: the command line, and how to print for a person or, under `--json`, for a program. */
export interface CommandContext {
  values: Values;
  /** The words after the command's name. */
  positionals: string[];
  /** Whether `--json` asks for machine-readable output. */
  json: boolean;
  /** Prints a line. */
  print: (line: string) => void;
  /** Prints `human`, or `data` as JSON under `--json`. */
  out: (human: string, data: unknown) => void;
  /** Prints progress a person follows; nothing under `--json`. */
  follow: (line: string) => void;
}

/** One form of a command line in `planwright help`, and what it does. */
export interface CommandForm {
  /** The form; its continuation lines are indented under the first. */
  usage: string;
  /** What it does, in lines that break where they should; none when the form says it all. */
  summary?: string;
}

/** A command of the command line: its name, its lines in `planwright help`, and its handler. */
export interface Command extends CommandForm {
  /** `planwright <name>`. */
  name: string;
  /** Further forms, each with what it does (the subcommands of `schedule`). */
  more?: readonly CommandForm[];
  /**
   * The logger of the SDK runtime, for a command that runs a worker in this process: the runtime is installed
   * with it before the command runs (it takes over Ctrl-C, so only these commands install it).
   */
  logger?: (verbose: boolean) => Logger;
  /**
   * Runs the command; resolves to the process exit code.
   * @throws {UsageError} for a command line that cannot be run as given; other errors for `reportError`.
   */
  run: (context: CommandContext) => Promise<number>;
}

/** Writes a line to stdout. */
export const print = (line: string) => process.stdout.write(`${line}\n`);

/** The Temporal settings with the default address filled in. */
export function withAddress(config: TemporalConfig): TemporalConfig & { address: string } {
  return { ...config, address: config.address ?? 'localhost:7233' };
}

/** The line a command that runs a worker prints about its workspace. */
export function workspaceNotice(workspace: string): string {
  return `Workspace: ${workspace} (the folder the file tools and SQL read; PLANWRIGHT_WORKSPACE sets it).`;
}

/** The exit code of a command that followed a run to its end: 0 when it completed, 1 otherwise. */
export function exitCodeOf(state: RunState): number {
  return state.status === 'completed' ? 0 : 1;
}

/**
 * The Temporal settings of the environment, with the default address filled in.
 * @throws {UsageError} when a TLS file they name cannot be read.
 */
export function temporalSettings(): TemporalConfig & { address: string } {
  try {
    return withAddress(temporalConfigFromEnv());
  } catch (err) {
    // Reading TEMPORAL_TLS_CERT or TEMPORAL_TLS_KEY is all that can fail.
    throw new UsageError(
      `${(err as Error).message}; set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY to the files of the client certificate and its key`,
      { cause: err, help: false },
    );
  }
}

/** A client of the Temporal server the environment names, with the settings it was made from. */
export async function client(): Promise<{ client: Client; config: TemporalConfig & { address: string } }> {
  const config = temporalSettings();
  return { client: await connectClient(config), config };
}

/**
 * The first word after the command's name.
 * @throws {UsageError} naming `what` when there is none.
 */
export function one(positionals: string[], what: string): string {
  const [value] = positionals;
  if (!value) throw new UsageError(`missing ${what}`);
  return value;
}

/**
 * The value of `--<name>` as a whole number written in digits (`-` before it for a negative one), if given.
 * @throws {UsageError} when it is not one (`1e3`, `0x10`, `2.0` and an empty value are not).
 */
export function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d{1,15}$/.test(value)) throw new UsageError(`--${name} expects a whole number, got "${value}"`);
  return Number(value);
}

/** Highest TCP port. */
export const MAX_PORT = 65_535;

/**
 * The value of `--<name>` as a TCP port, if given: digits only, from 1 to 65535.
 * @throws {UsageError} when it is not one.
 */
export function tcpPort(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= MAX_PORT)) {
    throw new UsageError(`--${name} expects a port number from 1 to ${MAX_PORT}, in digits; got "${value}"`);
  }
  return n;
}

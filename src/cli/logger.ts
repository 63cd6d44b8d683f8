/**
 * The logger the CLI gives the Temporal runtime when it runs a worker in its own process (`demo`, `dev`): one
 * line per failure — `activity createPlan failed (attempt 2): <message>` — instead of the SDK's dump of the
 * error, its causes and the task token; `--verbose` brings the dump back.
 */
import { formatWithOptions } from 'node:util';
import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';

/** How the CLI logs. */
export interface CliLoggerOptions {
  /** The lowest level printed. */
  level: LogLevel;
  /** Print every detail the SDK gives (errors with stacks and causes, task tokens, ids). */
  verbose: boolean;
  /** Where lines go; default stderr. */
  write?: (line: string) => void;
}

/** The message of the error an entry carries, on one line. */
function errorMessage(meta: LogEntry['meta']): string {
  const error = meta?.error as { message?: unknown } | undefined;
  const message = typeof error?.message === 'string' ? error.message : String(error ?? 'no message');
  return message.replace(/\s+/g, ' ').trim();
}

/** An entry as one line, with only what a person needs. */
function compactLine({ level, message, meta }: LogEntry): string {
  if (message === 'Activity failed') {
    const attempt = typeof meta?.attempt === 'number' ? ` (attempt ${meta.attempt})` : '';
    return `activity ${String(meta?.activityType ?? '')} failed${attempt}: ${errorMessage(meta)}`;
  }
  if (message === 'Workflow failed') return `workflow ${String(meta?.workflowId ?? '')} failed: ${errorMessage(meta)}`;
  return meta?.error === undefined ? `[${level}] ${message}` : `[${level}] ${message}: ${errorMessage(meta)}`;
}

/** An entry with every detail, as the SDK's own logger prints it. */
function verboseLine({ level, message, meta, timestampNanos }: LogEntry): string {
  const time = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
  const colors = Boolean(process.stderr.isTTY);
  return meta === undefined
    ? `${time} [${level}] ${message}`
    : `${time} [${level}] ${message} ${formatWithOptions({ colors }, meta)}`;
}

/**
 * A logger for `Runtime.install({ logger })`.
 * @example Runtime.install({ logger: createCliLogger({ level: 'WARN', verbose: false }) })
 */
export function createCliLogger({
  level,
  verbose,
  write = (line) => process.stderr.write(line),
}: CliLoggerOptions): DefaultLogger {
  return new DefaultLogger(level, (entry) => write(`${verbose ? verboseLine(entry) : compactLine(entry)}\n`));
}

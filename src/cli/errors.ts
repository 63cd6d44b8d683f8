/**
 * The command line's expected failures: each is one message on stderr and a documented exit code, never a
 * stack trace (0 run completed or command done, 1 run ended otherwise or command failed, 2 usage error,
 * 3 cannot reach Temporal or the model, or provide a server).
 */
import { ScheduleNotFoundError, ServiceError, WorkflowNotFoundError } from '@temporalio/client';
import { NamespaceNotFoundError, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { InvalidRunInputError } from '../contract/run-input.js';
import { ModelConfigError } from '../llm/config.js';
import { PriceConfigError } from '../llm/prices.js';
import { OutputStoreConfigError } from '../outputs/config.js';
import { InvalidScheduleError, NotARunScheduleError } from '../schedules.js';
import { grpcStatus, isUnreachable, TemporalUnreachableError } from '../temporal/connection.js';
import { ProvisioningError } from '../provision/temporal.js';
import { SetupError } from '../temporal/setup.js';
import { ToolModuleError } from '../worker.js';
import { UnsafeWorkspaceError } from '../default-workspace.js';
import { McpConfigError } from '../mcp/config.js';
import { WorkerTuningError } from '../worker-tuning.js';
import { McpToolsError } from '../mcp/tools.js';
import { SuiteFileError } from '../eval/task.js';
import { TelemetryConfigError } from '../telemetry/settings.js';
import { FollowRunError } from '../stream/follow.js';
import { NoWorkerError, QueryFailedError, RunEndedError } from './read-state.js';

/** Thrown for a command line that cannot be run as given; exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** Whether the message ends by pointing at `planwright help` (not when it already says what to do). */
  readonly help: boolean;
  constructor(message: string, options: ErrorOptions & { help?: boolean } = {}) {
    super(message, options);
    this.help = options.help ?? true;
  }
}

/** Thrown when the run refuses a decision (stale plan version, no such escalation); exit code 1. */
export class RefusedError extends Error {
  override readonly name = 'RefusedError';
}

/** Where the CLI was talking to, for messages about a failure. */
export interface ErrorContext {
  address: string;
  namespace: string;
}

/**
 * The error to report for one a command failed with: the client's errors told in the CLI's words (a taken id,
 * a lost server, a missing namespace or run); others as they are.
 */
export function cliError(err: unknown, context: ErrorContext): unknown {
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    return new UsageError(
      `a run with id ${err.workflowId} already exists; pick another --id or see \`planwright status ${err.workflowId}\``,
      { cause: err, help: false },
    );
  }
  if (!(err instanceof TemporalUnreachableError) && isUnreachable(err)) {
    return new TemporalUnreachableError(context.address, { cause: err });
  }
  if (err instanceof NamespaceNotFoundError) {
    return new UsageError(
      `namespace "${err.namespace}" does not exist on ${context.address}; ` +
        'create it with `planwright setup`, or set TEMPORAL_NAMESPACE',
      { cause: err, help: false },
    );
  }
  if (err instanceof WorkflowNotFoundError && err.workflowId) {
    return new WorkflowNotFoundError(
      `no run with id ${err.workflowId} in namespace "${context.namespace}"`,
      err.workflowId,
      err.runId,
    );
  }
  return err;
}

/**
 * Errors whose message says all there is to say, by exit code. Every error a setting of the environment causes
 * is one of them (exit code 2): its message names the setting and what to write.
 */
export const EXPECTED: ReadonlyArray<[number, ReadonlyArray<abstract new (...args: never[]) => Error>]> = [
  [
    2,
    [
      UsageError,
      InvalidRunInputError,
      InvalidScheduleError,
      ModelConfigError,
      PriceConfigError,
      OutputStoreConfigError,
      ToolModuleError,
      McpConfigError,
      WorkerTuningError,
      UnsafeWorkspaceError,
      TelemetryConfigError,
      SuiteFileError,
    ],
  ],
  [3, [TemporalUnreachableError, ProvisioningError]],
  [
    1,
    [
      WorkflowNotFoundError,
      FollowRunError,
      RefusedError,
      NoWorkerError,
      QueryFailedError,
      RunEndedError,
      SetupError,
      McpToolsError,
      ScheduleNotFoundError,
      NotARunScheduleError,
    ],
  ],
];

/**
 * Writes an error to stderr, as one message for an expected failure (with a stack only for a bug), and
 * returns the exit code.
 * @example process.exitCode = reportError(err);
 */
export function reportError(err: unknown): number {
  const message = (err as Error)?.message ?? String(err);
  const write = (text: string) => process.stderr.write(`planwright: ${text}\n`);
  if (String((err as { code?: unknown })?.code ?? '').startsWith('ERR_PARSE_ARGS')) {
    write(`${message}\nRun "planwright help" for usage.`);
    return 2;
  }
  for (const [code, types] of EXPECTED) {
    if (!types.some((type) => err instanceof type)) continue;
    const help = err instanceof InvalidRunInputError || (err instanceof UsageError && err.help);
    write(help ? `${message}\nRun "planwright help" for usage.` : message);
    return code;
  }
  if (err instanceof ServiceError) {
    // The server refused a call (permissions, limits): its own words say why.
    const status = grpcStatus(err);
    write(status ? `${message}: ${status.details}` : message);
    return 1;
  }
  write((err as Error)?.stack ?? message);
  return 1;
}

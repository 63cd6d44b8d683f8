/**
 * Error types that cross durable boundaries as `ApplicationFailure.type`. Retry policies, the
 * workflow's recovery and clients branch on these constants, never on string literals.
 */

/**
 * `ApplicationFailure` types raised by planwright.
 * @example
 * if (err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure && err.cause.type === ErrorType.RunRejected) …
 */
export const ErrorType = {
  /** The run input is not valid; fix the named fields and start again. */
  InvalidRunInput: 'InvalidRunInput',
  /** The planner kept producing plans that fail validation. */
  InvalidPlan: 'InvalidPlan',
  /** A step names a tool the worker does not have. */
  UnknownTool: 'UnknownTool',
  /** A tool's input failed its schema, or the tool refused it for good. */
  InvalidToolInput: 'InvalidToolInput',
  /** A tool returned output that breaks its own output schema. */
  InvalidToolOutput: 'InvalidToolOutput',
  /** A tool failed in a way that retrying will not fix. */
  ToolFailed: 'ToolFailed',
  /** A tool failed in a way that may pass on another attempt. */
  ToolUnavailable: 'ToolUnavailable',
  /** The model server refused the request (bad request, credentials, model name, content filter). */
  ModelRequestRejected: 'ModelRequestRejected',
  /** The model server is rate limiting, failing or unreachable; retried. */
  ModelUnavailable: 'ModelUnavailable',
  /** The model's answer did not parse or validate against the expected schema. */
  InvalidModelOutput: 'InvalidModelOutput',
  /** An argument reference could not be resolved from earlier outputs. */
  UnresolvedReference: 'UnresolvedReference',
  /** A step output kept in the output store is no longer there (removed by retention, or another store). */
  OutputMissing: 'OutputMissing',
  /** A run's carried-over state (continue-as-new) does not have the expected shape. */
  InvalidResume: 'InvalidResume',
  /** A run ended failed: nothing useful came of it. The RunResult is the failure's first detail. */
  RunFailed: 'RunFailed',
  /** A run ended rejected: its plan was rejected or not approved in time. The RunResult is the first detail. */
  RunRejected: 'RunRejected',
  /** A signal or update the run refuses: malformed, too large, or not what the run waits for. */
  MessageRefused: 'MessageRefused',
} as const;

/** One of {@link ErrorType}. */
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

/** Error types that no retry can fix; activity retry policies stop at once on these. */
export const NON_RETRYABLE_ERROR_TYPES: readonly ErrorType[] = [
  ErrorType.InvalidRunInput,
  ErrorType.InvalidPlan,
  ErrorType.UnknownTool,
  ErrorType.InvalidToolInput,
  ErrorType.InvalidToolOutput,
  ErrorType.ToolFailed,
  ErrorType.ModelRequestRejected,
  ErrorType.InvalidModelOutput,
  ErrorType.UnresolvedReference,
  ErrorType.OutputMissing,
  ErrorType.InvalidResume,
  ErrorType.RunFailed,
  ErrorType.RunRejected,
  ErrorType.MessageRefused,
];

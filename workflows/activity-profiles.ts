/**
 * Named activity option profiles: how long each kind of activity may take and how it is retried.
 */
import type { ActivityOptions } from '@temporalio/workflow';
import type { Duration, RetryPolicy } from '@temporalio/common';
import type { ToolCallOptions } from '../src/contract/tools.js';
import { NON_RETRYABLE_ERROR_TYPES } from '../src/contract/errors.js';

const nonRetryableErrorTypes = [...NON_RETRYABLE_ERROR_TYPES];

/**
 * How long a running activity may go without a heartbeat before Temporal counts the attempt as lost and
 * retries it elsewhere: a worker that dies mid-step is noticed within this, not after the whole timeout.
 * Model and tool activities heartbeat every second while they wait (the worker sends at most one per 8 s).
 */
export const HEARTBEAT_TIMEOUT = '10s';

/**
 * Model calls: one attempt may make a few requests (an answer and its repair), each streamed and cut off only when
 * the server stays silent (`PLANWRIGHT_MODEL_SILENCE`), so that a slow local server that keeps writing is not cut
 * off: an attempt gets 30 minutes. A worker that dies mid-call is noticed sooner, by the heartbeat.
 */
export const llmCall: ActivityOptions = {
  startToCloseTimeout: '30m',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    maximumAttempts: 5,
    nonRetryableErrorTypes,
  },
};

/** Quick local calls (the tool catalog, the plan cache). */
export const localCall: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes },
};

/** Attempts a tool step gets before recovery takes over. */
export const TOOL_MAX_ATTEMPTS = 3;

/** Tool calls: one attempt may take `stepTimeout`; transient failures are retried with backoff. A tool's own settings win. */
export function toolCall(stepTimeout: Duration, own: ToolCallOptions = {}): ActivityOptions {
  return {
    startToCloseTimeout: (own.timeout as Duration | undefined) ?? stepTimeout,
    heartbeatTimeout: (own.heartbeatTimeout as Duration | undefined) ?? HEARTBEAT_TIMEOUT,
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '5m',
      maximumAttempts: TOOL_MAX_ATTEMPTS,
      ...(own.retry as RetryPolicy | undefined),
      nonRetryableErrorTypes,
    },
  };
}

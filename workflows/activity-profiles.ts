/**
 * Named activity option profiles: how long each kind of activity may take and how it is retried.
 */
import type { ActivityOptions } from '@temporalio/workflow';
import type { Duration, RetryPolicy } from '@temporalio/common';
import type { ToolCallOptions } from '../src/contract/tools.js';
import { NON_RETRYABLE_ERROR_TYPES } from '../src/contract/errors.js';

const nonRetryableErrorTypes = [...NON_RETRYABLE_ERROR_TYPES];

/** Model calls: the client's own timeout (90 s) sits below this start-to-close timeout. */
export const llmCall: ActivityOptions = {
  startToCloseTimeout: '2m',
  retry: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    maximumAttempts: 5,
    nonRetryableErrorTypes,
  },
};

/** Quick local calls (the tool catalog). */
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

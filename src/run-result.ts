/**
 * A run's result as clients read it, whatever Temporal status the run ended with: completed and partial
 * runs complete with it; failed and rejected runs fail with it as the failure's first detail; cancelled
 * runs end Canceled and keep it in their `state` query.
 */
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { ErrorType } from './contract/errors.js';
import type { RunResult } from './contract/run-state.js';
import { stateQuery } from '../workflows/messages.js';

/**
 * Waits for a run to end and returns its RunResult.
 * @throws {WorkflowFailedError} when the run ended otherwise (invalid input, terminated, timed out).
 * @example const result = await runResult(client.workflow.getHandle(workflowId));
 */
export async function runResult(handle: WorkflowHandle): Promise<RunResult> {
  try {
    return (await handle.result()) as RunResult;
  } catch (err) {
    const ended = endedResult(err);
    if (ended) return ended;
    if (err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure) {
      return handle.query(stateQuery);
    }
    throw err;
  }
}

/** The RunResult a failed or rejected run carries in its failure, if `err` is such a failure. */
export function endedResult(err: unknown): RunResult | undefined {
  const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
  if (!(cause instanceof ApplicationFailure)) return undefined;
  if (cause.type !== ErrorType.RunFailed && cause.type !== ErrorType.RunRejected) return undefined;
  return cause.details?.[0] as RunResult | undefined;
}

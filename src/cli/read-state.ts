/**
 * Reading a run's state from the command line without hanging on it: a running run is queried (which needs a
 * worker, so the CLI says at once when none polls), an ended one is read from its result (which needs none).
 */
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import type { RunState } from '../contract/run-state.js';
import { runResult } from '../run-result.js';
import { grpcStatus } from '../temporal/connection.js';
import { stateQuery } from '../../workflows/messages.js';

/** Thrown when a running run's state cannot be read because no worker serves its task queue; exit code 1. */
export class NoWorkerError extends Error {
  override readonly name = 'NoWorkerError';
  constructor(
    readonly workflowId: string,
    readonly taskQueue: string,
    /** `not-polling`: the server knows of no worker on the task queue; `no-answer`: none answered in time. */
    readonly reason: 'not-polling' | 'no-answer',
  ) {
    const why =
      reason === 'not-polling' ? 'no worker is polling task queue' : 'no worker answered in time on task queue';
    super(
      `cannot read the state of run ${workflowId}: ${why} "${taskQueue}". ` +
        'Start one with `planwright worker` (or `planwright dev`); the run waits for it.',
    );
  }
}

/** Thrown when the server refuses a run's state query (its workflow task keeps failing, say); exit code 1. */
export class QueryFailedError extends Error {
  override readonly name = 'QueryFailedError';
}

/** Thrown when a run ended without a result to show: terminated, timed out, or failed outside planwright; exit code 1. */
export class RunEndedError extends Error {
  override readonly name = 'RunEndedError';
}

/** gRPC status codes the CLI tells apart (from @grpc/grpc-js `status`). */
const GRPC = { DEADLINE_EXCEEDED: 4, FAILED_PRECONDITION: 9 } as const;

/**
 * Whether a worker polls the task queue for workflow tasks; undefined when the server does not say.
 * The server lists pollers seen in the last few minutes, so a worker that just stopped still counts.
 */
export async function workerPolling(handle: WorkflowHandle, taskQueue: string): Promise<boolean | undefined> {
  try {
    const { pollers } = await handle.client.workflowService.describeTaskQueue({
      namespace: handle.client.options.namespace,
      taskQueue: { name: taskQueue, kind: 1 }, // TASK_QUEUE_KIND_NORMAL
      taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
    });
    return (pollers ?? []).length > 0;
  } catch {
    return undefined;
  }
}

/**
 * Queries a running run's state, giving up at once when no worker polls its task queue.
 * @throws {NoWorkerError} when no worker polls, or none answered before the server's query timeout.
 * @throws {QueryFailedError} when the server refuses the query.
 */
export async function queryState(handle: WorkflowHandle, taskQueue: string): Promise<RunState> {
  const controller = new AbortController();
  void workerPolling(handle, taskQueue).then((polling) => {
    if (polling === false) controller.abort();
  });
  try {
    return (await handle.client.withAbortSignal(controller.signal, () => handle.query(stateQuery))) as RunState;
  } catch (err) {
    if (controller.signal.aborted) throw new NoWorkerError(handle.workflowId, taskQueue, 'not-polling');
    const status = grpcStatus(err);
    if (status?.code === GRPC.DEADLINE_EXCEEDED) throw new NoWorkerError(handle.workflowId, taskQueue, 'no-answer');
    if (status?.code === GRPC.FAILED_PRECONDITION) {
      throw new QueryFailedError(`cannot read the state of run ${handle.workflowId}: ${status.details}`, {
        cause: err,
      });
    }
    throw err;
  }
}

/**
 * The state of a run, running or ended: queried while it runs (or after it was cancelled, when the query keeps
 * it), else its result, which needs no worker.
 * @throws {NoWorkerError} when the run needs a worker to answer and none polls.
 * @throws {RunEndedError} when the run ended without a result (terminated, timed out).
 * @example const state = await readRunState(client.workflow.getHandle(workflowId));
 */
export async function readRunState(handle: WorkflowHandle): Promise<RunState> {
  const description = await handle.describe();
  const status = description.status.name;
  if (status === 'RUNNING' || status === 'CANCELLED') return queryState(handle, description.taskQueue);
  return endedState(handle);
}

/**
 * The result of a run that ended or will end, as a RunState.
 * @throws {RunEndedError} when the run ended without one.
 */
export async function endedState(handle: WorkflowHandle): Promise<RunState> {
  try {
    return await runResult(handle);
  } catch (err) {
    throw endedRunError(handle.workflowId, err) ?? err;
  }
}

/** The error that says how a run ended without a result, if `err` is the client's word for that. */
export function endedRunError(workflowId: string, err: unknown): RunEndedError | undefined {
  if (!(err instanceof WorkflowFailedError)) return undefined;
  const { cause } = err;
  const options = { cause: err };
  if (cause instanceof TerminatedFailure) {
    const reason = cause.message && cause.message !== 'Workflow execution terminated' ? `: ${cause.message}` : '';
    return new RunEndedError(`run ${workflowId} was terminated${reason}`, options);
  }
  if (cause instanceof TimeoutFailure) return new RunEndedError(`run ${workflowId} timed out`, options);
  if (cause instanceof CancelledFailure) return new RunEndedError(`run ${workflowId} was cancelled`, options);
  return new RunEndedError(`run ${workflowId} failed: ${cause?.message ?? err.message}`, options);
}

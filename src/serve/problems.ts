/**
 * Errors of the HTTP API as RFC 9457 problem details (`application/problem+json`), with the messages the command
 * line prints for the same failures.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { InvalidRunInputError } from '../contract/run-input.js';
import { FollowRunError } from '../stream/follow.js';

/** A problem details object. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
}

/** Thrown by a route for a request it cannot serve as given; becomes a problem with its status. */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

/** The problem details for an error a route failed with. */
export function problemOf(err: unknown, instance: string): Problem {
  const problem = (status: number, title: string, detail: string): Problem => ({
    type: `urn:planwright:problem:${title.toLowerCase().replace(/[^a-z]+/g, '-')}`,
    title,
    status,
    detail,
    instance,
  });
  if (err instanceof HttpProblem) return problem(err.status, err.title, err.message);
  if (err instanceof InvalidRunInputError) return problem(400, 'Invalid run input', err.message);
  if (err instanceof WorkflowUpdateFailedError) {
    return problem(409, 'Refused', `refused: ${err.cause?.message ?? err.message}`);
  }
  if (err instanceof WorkflowNotFoundError || (err instanceof FollowRunError && /no run with id/.test(err.message))) {
    return problem(404, 'No such run', `no run with id "${err.workflowId}"; GET /runs lists runs`);
  }
  return problem(500, 'Internal error', err instanceof Error ? err.message : String(err));
}

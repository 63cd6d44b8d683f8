/**
 * Runs one activity function in Temporal's MockActivityEnvironment, keeping its types.
 */
import { MockActivityEnvironment } from '@temporalio/testing';

/** Calls `fn` as an activity (attempt 1, with a cancellation signal and heartbeats) and returns its result. */
export function runActivity<F extends (...args: never[]) => Promise<unknown>>(
  fn: F,
  ...args: Parameters<F>
): ReturnType<F> {
  return new MockActivityEnvironment().run(
    fn as unknown as (...a: unknown[]) => Promise<unknown>,
    ...args,
  ) as ReturnType<F>;
}

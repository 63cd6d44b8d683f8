/**
 * Asserting on how a promise fails: by the error's class, then its fields.
 */
import { expect } from 'vitest';

/** Waits for `promise` to reject with an instance of `type` and returns the error. */
export async function rejectionOf<E>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  const err = await promise.then(
    () => expect.unreachable(`expected a rejection with ${type.name}`),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  return err as E;
}

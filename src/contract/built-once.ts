/**
 * Values built the first time they are asked for, then kept: how the contract's zod schemas are defined.
 *
 * A worker's runs share the modules that define them (workflows/shared-modules.ts) instead of evaluating them, and
 * building every schema, once per run; the Temporal SDK deep-freezes whatever a shared module's exports reach, and
 * zod completes a schema's members when it is first used. A schema kept inside a function is out of the freeze's
 * reach: built once per worker thread, and used by every run as it is (zod keeps nothing about a run in it).
 */
export function builtOnce<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}

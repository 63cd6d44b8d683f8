/**
 * Whether this run keeps spans and metrics, decided by the workflow bundle, not by the run: a worker with neither
 * tracing nor metrics runs the plain bundle, which holds no telemetry code at all (neither workflows/telemetry.ts nor
 * `@opentelemetry/api`), so its runs spend nothing on it. A worker that traces or exports metrics runs a bundle that
 * adds a workflow interceptor module, workflows/traced.ts or workflows/observed.ts; the SDK loads it for every run
 * before the workflow function starts, and it hands this module the way to make the run's telemetry.
 *
 * Telemetry issues no command, so a run's history is the same under either bundle, and a run may move between
 * workers that differ in this. This module keeps state for the run it belongs to: it must never be preloaded
 * (shared between runs).
 */
import type { RunState } from '../src/contract/run-state.js';

/** What a run tells its telemetry, and how a step's work runs inside the step's span. */
export interface RunObserver {
  /** Called after each transition of the ledger with the run's state. */
  observe(state: RunState): void;
  /** Runs `fn` with the step's span as the active one. */
  inStep<T>(id: string, fn: () => T): T;
}

let makeObserver: ((state: RunState) => RunObserver) | undefined;

/** Makes this run's telemetry with `make` (called by the interceptor module, before the run starts). */
export function observeRunsWith(make: (state: RunState) => RunObserver): void {
  makeObserver = make;
}

/** The run's telemetry, or undefined when the bundle has none. */
export function runObserver(state: RunState): RunObserver | undefined {
  return makeObserver?.(state);
}

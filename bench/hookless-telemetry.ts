/**
 * The `hookless` worker's stand-in for workflows/telemetry.ts in `npm run bench -- traces`: a `RunTelemetry` that does
 * nothing, so the bundle it is put in shows what the tracing hooks cost a worker that does not trace.
 */
import type { RunState } from '../src/contract/run-state.js';

/** Follows nothing: no spans, no metrics. */
export class RunTelemetry {
  constructor(_state: RunState) {}

  observe(_state: RunState): void {}

  inStep<T>(_id: string, fn: () => T): T {
    return fn();
  }
}

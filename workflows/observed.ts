/**
 * The workflow interceptor module of the bundles of workers that trace or export metrics (`OBSERVED_BUNDLE_OPTIONS`
 * and `TRACED_BUNDLE_OPTIONS`, src/telemetry/bundle.ts): it gives each run its `RunTelemetry` (telemetry.ts). The plain
 * bundle leaves it out, and with it the telemetry code and `@opentelemetry/api` (see telemetry-hook.ts).
 */
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { RunTelemetry } from './telemetry.js';
import { observeRunsWith } from './telemetry-hook.js';

/** Adds no interceptor: it only lets the run make its telemetry. */
export const interceptors: WorkflowInterceptorsFactory = () => {
  observeRunsWith((state) => new RunTelemetry(state));
  return {};
};

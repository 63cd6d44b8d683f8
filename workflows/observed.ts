/**
 * The workflow interceptor module of the bundle of workers that export metrics and do not trace
 * (`OBSERVED_BUNDLE_OPTIONS`, src/telemetry/bundle.ts; the traced bundle has traced.ts instead): it gives each run its
 * `RunTelemetry` (telemetry.ts). The plain bundle leaves it out, and with it the telemetry code and
 * `@opentelemetry/api` (see telemetry-hook.ts).
 */
import { trace } from '@opentelemetry/api';
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { TRACER_NAME } from '../src/telemetry/names.js';
import { RunTelemetry } from './telemetry.js';
import { observeRunsWith } from './telemetry-hook.js';

/** Adds no interceptor: it only lets the run make its telemetry (metrics, and spans on the no-op tracer). */
export const interceptors: WorkflowInterceptorsFactory = () => {
  observeRunsWith((state) => new RunTelemetry(state, trace.getTracer(TRACER_NAME)));
  return {};
};

/**
 * The workflow bundles of workers that trace or export metrics: planwright's plain bundle holds no telemetry code, so
 * that its runs spend nothing on it; these add workflows/observed.ts (which gives each run its metrics), or for tracing
 * workflows/traced.ts (Temporal's OpenTelemetry workflow interceptors, and the run's spans and metrics). Each is cached like the plain one, under a key of its
 * own.
 */
import { createRequire } from 'node:module';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import {
  BUNDLE_SOURCES,
  WORKFLOW_BUNDLE_OPTIONS,
  planwrightWorkflowBundle,
  workflowModule,
} from '../workflow-bundle.js';

const require = createRequire(import.meta.url);

/** Bundle options with the run's telemetry (workflows/observed.ts): metrics, and spans on the no-op tracer. */
export const OBSERVED_BUNDLE_OPTIONS = {
  ...WORKFLOW_BUNDLE_OPTIONS,
  workflowInterceptorModules: [...WORKFLOW_BUNDLE_OPTIONS.workflowInterceptorModules, workflowModule('observed')],
};

/**
 * Bundle options with the run's telemetry and Temporal's OpenTelemetry workflow interceptors (workflows/traced.ts:
 * spans exported by a sink).
 */
export const TRACED_BUNDLE_OPTIONS = {
  ...WORKFLOW_BUNDLE_OPTIONS,
  workflowInterceptorModules: [...WORKFLOW_BUNDLE_OPTIONS.workflowInterceptorModules, workflowModule('traced')],
};

/** The versions of the tracing packages these bundles hold, with those of the plain bundle. */
function versions(): Record<string, string> | undefined {
  const plain = BUNDLE_SOURCES.versions();
  if (!plain) return undefined;
  const of = (name: string) => (require(`${name}/package.json`) as { version: string }).version;
  return {
    ...plain,
    ...Object.fromEntries(
      ['@temporalio/interceptors-opentelemetry', '@opentelemetry/api', '@opentelemetry/sdk-trace-base'].map((n) => [
        n,
        of(n),
      ]),
    ),
  };
}

type BundleOptions = typeof OBSERVED_BUNDLE_OPTIONS;

/** Builds a bundle with these options, quietly. */
function build(options: BundleOptions): Promise<WorkflowBundle> {
  return bundleWorkflowCode({
    ...options,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
  });
}

/** A bundle from the cache when this code was bundled with these options before, built and kept otherwise. */
function cached(options: BundleOptions): Promise<WorkflowBundle> {
  return planwrightWorkflowBundle({
    sources: { ...BUNDLE_SOURCES, versions, options },
    build: async () => (await build(options)).code,
  });
}

/** The bundle of a worker that exports metrics but does not trace. */
export const observedWorkflowBundle = (): Promise<WorkflowBundle> => cached(OBSERVED_BUNDLE_OPTIONS);

/** The traced workflow bundle: from the cache when this code was bundled before, built and kept otherwise. */
export const tracedWorkflowBundle = (): Promise<WorkflowBundle> => cached(TRACED_BUNDLE_OPTIONS);

/** Builds the traced bundle (tests build it once per file). */
export const buildTracedBundle = (): Promise<WorkflowBundle> => build(TRACED_BUNDLE_OPTIONS);

/** Builds the bundle with metrics and no tracing (tests). */
export const buildObservedBundle = (): Promise<WorkflowBundle> => build(OBSERVED_BUNDLE_OPTIONS);

/**
 * The workflow bundle of a worker that traces: planwright's bundle with Temporal's OpenTelemetry workflow
 * interceptors added, cached like the plain one (under a key of its own).
 */
import { createRequire } from 'node:module';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { BUNDLE_SOURCES, WORKFLOW_BUNDLE_OPTIONS, planwrightWorkflowBundle } from '../workflow-bundle.js';

const require = createRequire(import.meta.url);

/** Bundle options with the OpenTelemetry workflow interceptors (they export workflow spans through a sink). */
export const TRACED_BUNDLE_OPTIONS = {
  ...WORKFLOW_BUNDLE_OPTIONS,
  workflowInterceptorModules: [
    ...WORKFLOW_BUNDLE_OPTIONS.workflowInterceptorModules,
    require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
  ],
};

/** The versions of the tracing packages the traced bundle holds, with those of the plain bundle. */
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

/** The traced workflow bundle: from the cache when this code was bundled before, built and kept otherwise. */
export function tracedWorkflowBundle(): Promise<WorkflowBundle> {
  return planwrightWorkflowBundle({
    sources: { ...BUNDLE_SOURCES, versions, options: TRACED_BUNDLE_OPTIONS },
    build: async () => (await buildTracedBundle()).code,
  });
}

/** Builds the traced bundle (tests build it once per file). */
export function buildTracedBundle(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({
    ...TRACED_BUNDLE_OPTIONS,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
  });
}

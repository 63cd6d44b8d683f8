/**
 * What a worker adds when the OpenTelemetry variables ask for traces or metrics: a workflow bundle with the runs'
 * telemetry (traced when tracing), Temporal's interceptors and workflow span sink, and a model and tools that report
 * their calls.
 */
import type { WorkerOptions } from '@temporalio/worker';
import type { Model } from '../llm/model.js';
import { DEFAULT_MODEL } from '../llm/config.js';
import type { Tool } from '../tools/define.js';
import { observedWorkflowBundle, tracedWorkflowBundle } from './bundle.js';
import { observedModel, observedTools } from './calls.js';
import { telemetrySettings } from './settings.js';
import { tracingFromEnv, workerTracing } from './tracing.js';

/** The worker's model, tools and extra options, observed or as given. */
export interface ObservedWorker {
  model: Model;
  tools: readonly Tool[];
  /**
   * The loader of the bundle with the run's telemetry (traced when tracing), when tracing or exporting metrics; a
   * worker given a bundle keeps its own.
   */
  bundle?: typeof tracedWorkflowBundle;
  options: Pick<WorkerOptions, 'interceptors' | 'sinks'>;
}

/**
 * Wraps a worker's parts for traces and metrics as the environment asks; with no OpenTelemetry variable set,
 * returns them unchanged.
 * @throws {TelemetryConfigError} for variables planwright cannot follow.
 */
export function observeWorker(
  parts: { model: Model; tools: readonly Tool[] },
  env: NodeJS.ProcessEnv = process.env,
): ObservedWorker {
  const tracing = tracingFromEnv(env);
  if (!tracing && !telemetrySettings(env).metrics) return { ...parts, options: {} };
  const model = observedModel(parts.model, parts.model.name ?? env.PLANWRIGHT_MODEL ?? DEFAULT_MODEL);
  const tools = observedTools(parts.tools);
  if (!tracing) return { model, tools, bundle: observedWorkflowBundle, options: {} };
  return { model, tools, bundle: tracedWorkflowBundle, options: workerTracing(tracing) };
}

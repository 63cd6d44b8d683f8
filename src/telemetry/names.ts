/**
 * The names planwright's traces and metrics use, defined once for the workflow side (workflows/telemetry.ts) and
 * the worker side (src/telemetry/*). Plain constants: the workflow bundle imports this module.
 */

/** The instrumentation scope of planwright's own spans. */
export const TRACER_NAME = 'planwright';

/** planwright's metrics (the SDK's own, prefixed `temporal_`, go to the same exporter). */
export const METRICS = {
  runsStarted: 'planwright_runs_started',
  runsEnded: 'planwright_runs_ended',
  runDuration: 'planwright_run_duration',
  steps: 'planwright_steps',
  stepDuration: 'planwright_step_duration',
  replans: 'planwright_replans',
  escalations: 'planwright_escalations',
  waitsStarted: 'planwright_person_waits_started',
  waitsEnded: 'planwright_person_waits_ended',
  modelCalls: 'planwright_model_calls',
  inputTokens: 'planwright_model_input_tokens',
  outputTokens: 'planwright_model_output_tokens',
  cost: 'planwright_model_cost',
  toolCalls: 'planwright_tool_calls',
} as const;

/** Attributes of planwright's spans beyond the OpenTelemetry GenAI conventions (`gen_ai.*`). */
export const ATTRIBUTES = {
  workflowId: 'planwright.workflow_id',
  goal: 'planwright.goal',
  status: 'planwright.status',
  planVersion: 'planwright.plan.version',
  planReason: 'planwright.plan.reason',
  planSteps: 'planwright.plan.steps',
  stepId: 'planwright.step.id',
  stepTool: 'planwright.step.tool',
  stepAttempts: 'planwright.step.attempts',
  stepOutcome: 'planwright.step.outcome',
  stepCheck: 'planwright.step.check',
  stepError: 'planwright.step.error',
  cost: 'planwright.usage.cost',
  llmCalls: 'planwright.usage.llm_calls',
  toolOutcome: 'planwright.tool.outcome',
} as const;

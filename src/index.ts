/**
 * planwright's public API: the contract types, tools, the model client, and the worker.
 */
export {
  defineTool,
  defineJsonSchemaTool,
  ToolError,
  type Tool,
  type ToolContext,
  type ToolInfo,
  type ToolSource,
} from './tools/define.js';
export { builtinTools } from './tools/builtin.js';
export { closeToolSources } from './tools/sources.js';
export { createSqlQueryTool, type SqlLimits } from './tools/sql-query.js';
export { loadMcpTools, mcpToolsFromConfig, McpToolsError, type McpTools } from './mcp/tools.js';
export { McpConfigError, parseMcpConfig, type McpServerSettings } from './mcp/config.js';
export { parseRunInput, InvalidRunInputError, type RunInput, type ResolvedRunInput } from './contract/run-input.js';
export type { RunState, RunResult, RunStatus, StepState, StepStatus, Usage, RunEvent } from './contract/run-state.js';
export type { Plan, Step, Json, VersionedPlan } from './contract/plan.js';
export { ErrorType, NON_RETRYABLE_ERROR_TYPES } from './contract/errors.js';
export { createModel, modelConfigFromEnv, type Model, type ModelConfig } from './llm/model.js';
export { createPlanwrightWorker, loadTools, WORKFLOWS_PATH } from './worker.js';
export { runResult, endedResult } from './run-result.js';
export { isOutputRef, type OutputRef } from './contract/output.js';
export { temporalConfigFromEnv, connectClient, connectWorker, DEFAULT_TASK_QUEUE } from './temporal/connection.js';
export {
  WORKFLOW_TYPE,
  approvePlanSignal,
  rejectPlanSignal,
  changeGoalSignal,
  resolveEscalationSignal,
  stateQuery,
} from '../workflows/messages.js';

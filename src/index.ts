/**
 * planwright's public API: the contract types, tools, the model client and its prices, schedules of runs, the
 * worker, the messages a run takes, the plan cache and the errors it throws. Tests of your own agent use
 * `planwright/testing` besides.
 */
import type { planAndExecute } from '../workflows/index.js';

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
export type {
  RunState,
  RunResult,
  RunStatus,
  StepState,
  StepStatus,
  Usage,
  CostFields,
  RunEvent,
  PendingCall,
} from './contract/run-state.js';
export type { Plan, Step, Json, VersionedPlan } from './contract/plan.js';
export { ErrorType, NON_RETRYABLE_ERROR_TYPES } from './contract/errors.js';
export { modelConfigFromEnv, ModelConfigError, type ModelConfig } from './llm/config.js';
export { createModel, type Model } from './llm/model.js';
export {
  DEFAULT_PRICES,
  PriceConfigError,
  costOf,
  priceOf,
  priceTableFromEnv,
  type ModelPrice,
  type PriceTable,
} from './llm/prices.js';
export {
  OVERLAP_POLICIES,
  InvalidScheduleError,
  NotARunScheduleError,
  createRunSchedule,
  deleteRunSchedule,
  describeRunSchedule,
  listRunSchedules,
  pauseRunSchedule,
  scheduledRunInput,
  triggerRunSchedule,
  unpauseRunSchedule,
  type OverlapPolicy,
  type RunScheduleDescription,
  type RunScheduleOptions,
  type RunScheduleSpec,
  type ScheduledRun,
} from './schedules.js';
export { createPlanwrightWorker, loadTools, ToolModuleError, WORKFLOWS_PATH } from './worker.js';
export { workerTuningFromEnv, WorkerTuningError, type WorkerTuning } from './worker-tuning.js';
export { runResult, endedResult } from './run-result.js';
export { isOutputRef, type OutputRef } from './contract/output.js';
export { OutputStoreConfigError } from './outputs/config.js';
export type { OutputStore } from './outputs/store.js';
export {
  temporalConfigFromEnv,
  connectClient,
  connectWorker,
  DEFAULT_TASK_QUEUE,
  TemporalUnreachableError,
} from './temporal/connection.js';
export { ProvisioningError } from './provision/temporal.js';
export { createFilePlanCache, type PlanCache } from './plan-cache.js';
export type { PlanCacheQuery } from './plan/cache-key.js';
export {
  WORKFLOW_TYPE,
  approvePlanSignal,
  rejectPlanSignal,
  changeGoalSignal,
  resolveEscalationSignal,
  approveToolCallSignal,
  rejectToolCallSignal,
  approvePlanUpdate,
  rejectPlanUpdate,
  changeGoalUpdate,
  resolveEscalationUpdate,
  approveToolCallUpdate,
  rejectToolCallUpdate,
  stateQuery,
  type ApproveToolCall,
  type RejectToolCall,
  type ApprovePlan,
  type RejectPlan,
  type ChangeGoal,
  type ResolveEscalation,
} from '../workflows/messages.js';
// The workflow function, as a type only: workers run it from the workflow bundle, never from this import.
export type { planAndExecute };
/**
 * The type of the `planAndExecute` workflow function: it types the arguments and the result of
 * `client.workflow.start`/`execute` and of workflow handles (`import type { planAndExecute }` works the same).
 * @example
 * const result = await client.workflow.execute<PlanAndExecute>(WORKFLOW_TYPE, {
 *   taskQueue: DEFAULT_TASK_QUEUE,
 *   workflowId: 'tickets-week-47',
 *   args: [{ goal: 'Summarize last week of tickets' }],
 * }); // a RunResult
 * const handle = client.workflow.getHandle<PlanAndExecute>('tickets-week-47');
 */
export type PlanAndExecute = typeof planAndExecute;
export { followRun, FollowRunError, type FollowOptions } from './stream/follow.js';
export {
  runEventSchema,
  readStreamItem,
  TOPICS,
  EVENT_SCHEMA_VERSION,
  type RunStreamEvent,
  type StreamItem,
  type Topic,
} from './stream/events.js';

/**
 * planwright's public API: the contract types, tools, the model client and its prices, schedules of runs, and the
 * worker.
 */
export { defineTool, ToolError, type Tool, type ToolContext, type ToolInfo } from './tools/define.js';
export { builtinTools } from './tools/builtin.js';
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
} from './contract/run-state.js';
export type { Plan, Step, Json, VersionedPlan } from './contract/plan.js';
export { ErrorType, NON_RETRYABLE_ERROR_TYPES } from './contract/errors.js';
export { createModel, modelConfigFromEnv, type Model, type ModelConfig } from './llm/model.js';
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

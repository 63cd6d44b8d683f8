/**
 * `planwright/testing`: test your own agent offline. `startTestKit` gives a time-skipping Temporal server, a
 * scripted OpenAI-compatible model and a worker with your tools; the builders (`plan`, `step`, `replan`,
 * `answer`, `toolCalls`, `fault`, `verdict`) write the model's answers in the format the real prompts ask for, and
 * `byGoal` answers by the goal a request is about (runs with sub-goals).
 */
export { startTestKit, TestKit, uniqueId, type TestKitOptions, type RecordedToolCall } from './kit.js';
export { TestRun, DecisionRefusedError, WaitError, type Via, type WaitTarget } from './test-run.js';
export { bundleWorkflows, type TestServer } from './environment.js';
export {
  plan,
  step,
  replan,
  verdict,
  answer,
  toolCalls,
  call,
  fault,
  byGoal,
  goalOf,
  type WireStep,
  type StepArgs,
  type StepOptions,
  type PlanOptions,
  type ToolCallRequest,
} from './answers.js';
export {
  startScriptedModel,
  type ScriptedModel,
  type Script,
  type ScriptEntry,
  type ScriptedReply,
  type RecordedRequest,
  type Strictness,
} from './scripted-model.js';

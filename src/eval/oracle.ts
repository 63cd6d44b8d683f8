/**
 * The scripted "oracle" model: a scripted model server that answers the planner of each task with the task's
 * gold sequence as a plan (a one-step open plan for a task without one). Through the real planner path it must
 * score 100 %; anything less is a fault of the harness, not of a model.
 */
import type { WirePlan } from '../contract/plan.js';
import {
  startScriptedModel,
  type RecordedRequest,
  type ScriptedModel,
  type ScriptEntry,
} from '../testing/scripted-model.js';
import { goldPlan } from './nestful.js';
import type { EvalSuite, EvalTask } from './task.js';

/** The name the oracle is reported under. */
export const ORACLE_MODEL = 'oracle';

/** The plan the oracle answers for `task`, as a model writes it. */
export function oraclePlan(task: EvalTask): WirePlan {
  const empty = { description: null, successCriterion: null, critical: null, fallback: null, tools: null };
  if (!task.gold)
    return {
      rationale: null,
      steps: [{ id: 'do', title: 'Carry out the goal', dependsOn: [], tool: null, args: null, ...empty }],
    };
  return {
    rationale: null,
    steps: goldPlan(task.gold).steps.map((s) => ({ ...s, ...empty })),
  };
}

/** The text of a request's messages. */
const textOf = (request: RecordedRequest) =>
  request.messages.map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content))).join('\n');

/**
 * Starts the oracle for these suites: each planner request is answered with the gold plan of the task whose goal
 * it holds (the longest such goal, when one goal is part of another).
 * @example const oracle = await startOracle(suites); const model = createModel({ ...config, baseURL: oracle.url });
 */
export async function startOracle(suites: readonly EvalSuite[]): Promise<ScriptedModel> {
  const tasks = suites.flatMap((s) => s.tasks).sort((a, b) => b.goal.length - a.goal.length);
  const answer: ScriptEntry = (request) => {
    const text = textOf(request);
    const task = tasks.find((t) => text.includes(t.goal));
    if (!task) return { fault: { status: 400, message: 'the oracle knows no task with this goal' } };
    return { content: oraclePlan(task), usage: { prompt_tokens: Math.ceil(text.length / 4), completion_tokens: 0 } };
  };
  const oracle = await startScriptedModel({ strict: { alternation: false } });
  // Enough answers for every task and every revision a run allows, many times over (resumed runs ask again).
  oracle.enqueue({ plan: Array.from({ length: tasks.length * 10 + 10 }, () => answer) });
  return oracle;
}

/**
 * The scripted "oracle" model: a scripted model server that answers the planner of each task with the task's
 * gold sequence as a plan (a one-step open plan for a task without one), and, in whole runs, every other role: the
 * executor and the synthesizer with the text the task's answer checks ask for, the checker with a pass, the
 * replanner with "continue". Through the real planner path and through whole runs it must score 100 %; anything
 * less is a fault of the harness, not of a model.
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

/** What the oracle's executor and synthesizer write for `task`: every text its answer checks look for. */
export function oracleAnswer(task: EvalTask): string {
  return ['Done (oracle).', ...(task.answerIncludes ?? [])].join(' ');
}

/** Answers the oracle gives per role, for the task a request is about. */
const ROLES: Record<'plan' | 'execute' | 'synthesize' | 'check' | 'replan', (task: EvalTask) => object | string> = {
  plan: oraclePlan,
  execute: oracleAnswer,
  synthesize: oracleAnswer,
  check: () => ({ passed: true, reason: 'the oracle passes every output' }),
  replan: () => ({ action: 'continue', reason: 'the oracle keeps the plan', answer: null, steps: null }),
};

/**
 * Starts the oracle for these suites: each request is answered, by its role, for the task whose goal it holds (the
 * longest such goal, when one goal is part of another); `runs` whole runs of each task are provided for.
 * @example const oracle = await startOracle(suites); const model = createModel({ ...config, baseURL: oracle.url });
 */
export async function startOracle(suites: readonly EvalSuite[], runs = 1): Promise<ScriptedModel> {
  const tasks = suites.flatMap((s) => s.tasks).sort((a, b) => b.goal.length - a.goal.length);
  const answer =
    (role: keyof typeof ROLES): ScriptEntry =>
    (request) => {
      const text = textOf(request);
      const task = tasks.find((t) => text.includes(t.goal.trim())); // a run trims its goal
      if (!task) return { fault: { status: 400, message: 'the oracle knows no task with this goal' } };
      return { content: ROLES[role](task), usage: { prompt_tokens: Math.ceil(text.length / 4), completion_tokens: 0 } };
    };
  const oracle = await startScriptedModel({ strict: { alternation: false } });
  // Enough answers for every task, try and revision, many times over (resumed evaluations ask again); a run asks
  // the executor once per open step and the synthesizer once.
  const enough = (tasks.length * 10 + 10) * Math.max(1, runs);
  oracle.enqueue(
    Object.fromEntries(
      (Object.keys(ROLES) as Array<keyof typeof ROLES>).map((role) => [
        role,
        Array.from({ length: enough }, () => answer(role)),
      ]),
    ),
  );
  return oracle;
}

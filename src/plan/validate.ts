/**
 * Plan validation: everything that can be checked before a step runs. Pure; the workflow calls it.
 */
import type { Plan, PlanIssue } from '../contract/plan.js';
import { MAX_STEP_TOOLS, planSchema, zodIssues } from '../contract/plan.js';
import { dependencyTest, findCycle } from './graph.js';
import { findReferences, type Reference } from './references.js';
import { missingPath } from './schema-path.js';
import type { ToolInfo } from '../contract/tools.js';

/** What a plan is checked against. */
export interface PlanLimits {
  /** The tools the worker offers (their output schemas let references be checked before a run). */
  tools: ReadonlyArray<Pick<ToolInfo, 'name' | 'outputSchema'>>;
  /** Most steps one plan may have. */
  maxSteps: number;
  /** Present when the run may start sub-goals: at most `maxFanOut` sub-goal steps in one plan. */
  subgoals?: { maxFanOut: number };
}

/**
 * Lists every problem with a plan: shape, size, unique ids, known tools, sub-goals only where allowed, existing
 * dependencies, no cycles, and references only to steps the referring step depends on. An empty list means valid.
 */
export function validatePlan(plan: unknown, limits: PlanLimits): PlanIssue[] {
  const parsed = planSchema().safeParse(plan);
  if (!parsed.success) {
    const steps = (plan as Partial<Plan> | null)?.steps;
    return zodIssues(parsed.error, Array.isArray(steps) ? steps.map((s) => ({ id: String(s?.id) })) : []);
  }
  const { steps } = parsed.data;
  const issues: PlanIssue[] = [];
  const tools = new Map(limits.tools.map((t) => [t.name, t]));
  const known = new Set(tools.keys());
  const toolList = known.size > 0 ? [...known].join(', ') : 'none';

  if (steps.length > limits.maxSteps) {
    issues.push({ message: `the plan has ${steps.length} steps; at most ${limits.maxSteps} are allowed` });
  }
  const seen = new Set<string>();
  for (const step of steps) {
    if (seen.has(step.id)) issues.push({ stepId: step.id, message: `step id "${step.id}" is used more than once` });
    seen.add(step.id);
  }
  for (const step of steps) {
    const at = { stepId: step.id };
    for (const dep of step.dependsOn) {
      if (dep === step.id) issues.push({ ...at, message: 'a step cannot depend on itself' });
      else if (!seen.has(dep)) issues.push({ ...at, message: `depends on "${dep}", which is not a step of this plan` });
    }
    if (step.tool !== undefined && !known.has(step.tool)) {
      issues.push({ ...at, message: `unknown tool "${step.tool}"; available tools: ${toolList}` });
    }
    if (step.tool === undefined && step.subgoal === undefined && step.args !== undefined) {
      issues.push({ ...at, message: 'has args but no tool; give the tool, or drop args for an open step' });
    }
    if (step.fallback && !known.has(step.fallback.tool)) {
      issues.push({ ...at, message: `unknown fallback tool "${step.fallback.tool}"; available tools: ${toolList}` });
    }
    if (step.subgoal !== undefined)
      issues.push(...subgoalProblems(step, limits).map((message) => ({ ...at, message })));
    issues.push(...stepToolsProblems(step, known, toolList).map((message) => ({ ...at, message })));
  }
  const subgoals = steps.filter((s) => s.subgoal !== undefined).length;
  if (limits.subgoals && subgoals > limits.subgoals.maxFanOut) {
    issues.push({
      message: `the plan has ${subgoals} sub-goal steps; at most ${limits.subgoals.maxFanOut} are allowed (subgoals.maxFanOut): merge some, or make them tool or open steps`,
    });
  }
  const cycle = findCycle(steps);
  if (cycle) issues.push({ stepId: cycle[0], message: `dependency cycle: ${cycle.join(' -> ')}` });
  else {
    const dependsOn = dependencyTest(steps);
    const byId = new Map(steps.map((s) => [s.id, s]));
    for (const step of steps) {
      for (const ref of [...findReferences(step.args), ...findReferences(step.fallback?.args)]) {
        if (!seen.has(ref.stepId)) {
          issues.push({ stepId: step.id, message: `${ref.text} refers to "${ref.stepId}", which is not a step` });
        } else if (!dependsOn(step.id, ref.stepId)) {
          issues.push({
            stepId: step.id,
            message: `${ref.text} refers to "${ref.stepId}", which is not among its dependencies; add it to dependsOn`,
          });
        } else {
          const problem = referencedPathProblem(byId, tools, ref);
          if (problem) issues.push({ stepId: step.id, message: `${ref.text} cannot resolve: ${problem}` });
        }
      }
    }
  }
  return issues;
}

/** What is wrong with a sub-goal step: one made of a sub-goal and a tool, or a sub-goal in a run that may not start one. */
function subgoalProblems(step: Plan['steps'][number], limits: PlanLimits): string[] {
  const problems: string[] = [];
  if (!limits.subgoals)
    problems.push(
      'is a sub-goal, but this run may not start sub-goals (its subgoals.maxDepth is 0): make it a tool step or an open step',
    );
  if (step.tool !== undefined || step.args !== undefined || step.fallback !== undefined)
    problems.push('a sub-goal step has no tool, args or fallback: drop them, or drop "subgoal" to call the tool');
  return problems;
}

/**
 * What is wrong with the tools an open step names: an open step may name up to {@link MAX_STEP_TOOLS} tools the worker
 * offers; a tool step and a sub-goal name none (a tool step calls its own tool).
 */
function stepToolsProblems(step: Plan['steps'][number], known: ReadonlySet<string>, toolList: string): string[] {
  const named = step.tools;
  if (named === undefined) return [];
  if (step.tool !== undefined)
    return [`a tool step calls its own tool "${step.tool}": drop "tools", or drop "tool" to make it an open step`];
  if (step.subgoal !== undefined) return ['a sub-goal step plans its own tools: drop "tools"'];
  const problems = named
    .filter((name, i) => !known.has(name) && named.indexOf(name) === i)
    .map((name) => `"tools" names unknown tool "${name}"; available tools: ${toolList}`);
  if (new Set(named).size < named.length) problems.push('"tools" names a tool more than once');
  if (named.length > MAX_STEP_TOOLS)
    problems.push(
      `"tools" names ${named.length} tools; an open step may use at most ${MAX_STEP_TOOLS}: split the step`,
    );
  return problems;
}

/** Why a reference's path cannot exist in the referenced step's output, if that can be known now. */
function referencedPathProblem(
  steps: ReadonlyMap<string, Plan['steps'][number]>,
  tools: ReadonlyMap<string, Pick<ToolInfo, 'outputSchema'>>,
  ref: Reference,
): string | undefined {
  if (ref.path.length === 0) return undefined;
  const target = steps.get(ref.stepId);
  if (!target) return undefined;
  if (target.subgoal !== undefined)
    return `"${ref.stepId}" is a sub-goal whose output is its answer, text with no fields`;
  if (target.tool === undefined) return `"${ref.stepId}" is an open step whose output is text, with no fields`;
  const schema = tools.get(target.tool)?.outputSchema;
  return schema && !target.fallback ? missingPath(schema, ref.path) : undefined;
}

/** Renders plan issues one per line, for people and for the planner's revision prompt. */
export function formatIssues(issues: readonly PlanIssue[]): string {
  return issues.map((i) => (i.stepId ? `- step "${i.stepId}": ${i.message}` : `- ${i.message}`)).join('\n');
}

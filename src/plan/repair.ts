/**
 * Deterministic repairs of a planner's plan: what needs no judgement is fixed here rather than sent back to the
 * model. Each repair is described, so the run's record can say what was changed. Pure; safe in workflow code.
 */
import type { Json, Plan, Step } from '../contract/plan.js';
import { findCycle } from './graph.js';
import { findReferences, renameReferences } from './references.js';

/** A plan after its repairs, and what they were (empty when the plan needed none). */
export interface Repaired {
  plan: Plan;
  repairs: string[];
}

/** A tool name as a model may misspell it: case, "-" and spaces for "_". */
const loose = (name: string) =>
  name
    .trim()
    .toLowerCase()
    .replace(/[-\s.]+/g, '_');

/**
 * Repairs what needs no model: a self-dependency is dropped; a dependency named twice is kept once; a referenced
 * step missing from `dependsOn` is added (unless that would make a cycle); a tool named with other case or
 * separators than the catalog's is renamed; a tool step's `tools` list is dropped; a dependency or a reference that
 * names no step but the tool of exactly one other step (`{{read_file.text}}`) is pointed at that step. Everything
 * else — a dependency on an id that is neither a step nor such a tool, which may name the step the model meant by
 * another name — is left for validation, and goes back to the model.
 * @example const { plan, repairs } = repairPlan(model's plan, ['read_file', 'search']);
 */
export function repairPlan(plan: Plan, toolNames: readonly string[]): Repaired {
  const repairs: string[] = [];
  const ids = new Set(plan.steps.map((s) => s.id));
  const byLooseName = new Map(toolNames.map((name) => [loose(name), name]));
  const known = new Set(toolNames);
  const rename = (stepId: string, tool: string, what: string) => {
    if (known.has(tool)) return tool;
    const fixed = byLooseName.get(loose(tool));
    if (!fixed) return tool;
    repairs.push(`step "${stepId}": ${what} "${tool}" renamed to "${fixed}"`);
    return fixed;
  };
  const byTool = stepsByTool(plan.steps, ids);
  const steps: Step[] = plan.steps.map((written) => {
    const step = pointedAtSteps(written, byTool, repairs);
    const referenced = [...findReferences(step.args), ...findReferences(step.fallback?.args)].map((r) => r.stepId);
    const dependsOn: string[] = [];
    for (const dep of step.dependsOn) {
      if (dep === step.id) repairs.push(`step "${step.id}": dropped its dependency on itself`);
      else if (dependsOn.includes(dep)) repairs.push(`step "${step.id}": dropped "${dep}", named twice in dependsOn`);
      else dependsOn.push(dep);
    }
    let repaired: Step = { ...step, dependsOn };
    for (const id of referenced) {
      if (id === step.id || !ids.has(id) || repaired.dependsOn.includes(id)) continue;
      repaired = { ...repaired, dependsOn: [...repaired.dependsOn, id] };
      repairs.push(`step "${step.id}": added "${id}" to dependsOn, as its args refer to it`);
    }
    if (repaired.tool !== undefined) repaired = { ...repaired, tool: rename(step.id, repaired.tool, 'tool') };
    if (repaired.fallback)
      repaired = {
        ...repaired,
        fallback: { ...repaired.fallback, tool: rename(step.id, repaired.fallback.tool, 'fallback tool') },
      };
    if (repaired.tool !== undefined && repaired.tools !== undefined) {
      const { tools: _tools, ...rest } = repaired;
      repaired = rest;
      repairs.push(`step "${step.id}": dropped "tools", which only an open step has`);
    }
    return repaired;
  });
  // Added dependencies must not close a cycle the model did not write: then the plan goes back as it was.
  if (findCycle(steps) && !findCycle(plan.steps)) return { plan, repairs: [] };
  return { plan: { ...plan, steps }, repairs };
}

/** The step of each tool that exactly one step of the plan calls, where no step has the tool's name as its id. */
function stepsByTool(steps: readonly Step[], ids: ReadonlySet<string>): Map<string, string> {
  const callers = new Map<string, string[]>();
  for (const s of steps) if (s.tool !== undefined) callers.set(s.tool, [...(callers.get(s.tool) ?? []), s.id]);
  return new Map(
    [...callers].flatMap(([tool, of]) => (of.length === 1 && !ids.has(tool) ? [[tool, of[0]!] as const] : [])),
  );
}

/** A step whose dependencies and references that name a tool (see {@link stepsByTool}) name its step instead. */
function pointedAtSteps(step: Step, byTool: ReadonlyMap<string, string>, repairs: string[]): Step {
  const target = (name: string) => {
    const id = byTool.get(name);
    return id !== undefined && id !== step.id ? id : undefined;
  };
  const said = new Set<string>();
  const say = (name: string, id: string, where: string) => {
    const text = `step "${step.id}": ${where} "${name}", a tool, now names "${id}", the step that calls it`;
    if (!said.has(text)) repairs.push(text);
    said.add(text);
  };
  const rewrite = (value: Json): Json =>
    renameReferences(value, (name) => {
      const id = target(name);
      if (id !== undefined) say(name, id, 'a reference to');
      return id;
    });
  const dependsOn = step.dependsOn.map((dep) => {
    const id = target(dep);
    if (id === undefined) return dep;
    say(dep, id, 'its dependency on');
    return id;
  });
  return {
    ...step,
    dependsOn,
    ...(step.args !== undefined ? { args: rewrite(step.args) } : {}),
    ...(step.fallback
      ? {
          fallback: {
            ...step.fallback,
            ...(step.fallback.args !== undefined ? { args: rewrite(step.fallback.args) } : {}),
          },
        }
      : {}),
  };
}

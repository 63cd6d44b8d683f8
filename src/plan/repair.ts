/**
 * Deterministic repairs of a planner's plan: what needs no judgement is fixed here rather than sent back to the
 * model. Each repair is described, so the run's record can say what was changed. Pure; safe in workflow code.
 */
import type { Plan, Step } from '../contract/plan.js';
import { findCycle } from './graph.js';
import { findReferences } from './references.js';

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
 * separators than the catalog's is renamed; a tool step's `tools` list is dropped. Everything else — a dependency on
 * a step the plan does not have, say, which may name the step the model meant by another name — is left for
 * validation, and goes back to the model.
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
  const steps: Step[] = plan.steps.map((step) => {
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

/**
 * The plan as a graph: steps are nodes, `dependsOn` are edges. Pure functions, safe in workflow code.
 */
import type { Step } from '../contract/plan.js';
import type { StepStatus } from '../contract/run-state.js';

type Node = Pick<Step, 'id' | 'dependsOn'>;

/** Returns one dependency cycle as a list of ids (first id repeated at the end), or undefined. */
export function findCycle(steps: readonly Node[]): string[] | undefined {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const state = new Map<string, 'visiting' | 'done'>();
  const trail: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...trail.slice(trail.indexOf(id)), id];
    state.set(id, 'visiting');
    trail.push(id);
    for (const dep of byId.get(id)?.dependsOn ?? []) {
      if (!byId.has(dep)) continue;
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    trail.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const step of steps) {
    const cycle = visit(step.id);
    if (cycle) return cycle;
  }
  return undefined;
}

/**
 * A test of whether one step depends on another, directly or through other steps, over the graph indexed once.
 * Each test walks the ancestors nearest first and stops at the one it looks for: references mostly point at
 * recent steps, and a plan of a thousand steps is not walked a thousand times over.
 */
export function dependencyTest(steps: readonly Node[]): (id: string, ancestor: string) => boolean {
  const byId = new Map(steps.map((s) => [s.id, s]));
  return (id, ancestor) => {
    const queue = [...(byId.get(id)?.dependsOn ?? [])];
    const seen = new Set(queue);
    for (let i = 0; i < queue.length; i++) {
      const next = queue[i] as string;
      if (next === ancestor) return true;
      for (const dep of byId.get(next)?.dependsOn ?? []) {
        if (!seen.has(dep)) {
          seen.add(dep);
          queue.push(dep);
        }
      }
    }
    return false;
  };
}

/** Steps that are pending and whose dependencies have all succeeded, in plan order. */
export function readySteps(steps: readonly Node[], status: Readonly<Record<string, StepStatus>>): string[] {
  return steps
    .filter((s) => status[s.id] === 'pending' && s.dependsOn.every((dep) => status[dep] === 'succeeded'))
    .map((s) => s.id);
}

/** Orders steps so that every step comes after its dependencies (stable: ties keep plan order). */
export function topologicalOrder(steps: readonly Node[]): string[] {
  const done: Record<string, StepStatus> = {};
  for (const s of steps) done[s.id] = 'pending';
  const order: string[] = [];
  for (let ready = readySteps(steps, done); ready.length > 0; ready = readySteps(steps, done)) {
    for (const id of ready) {
      done[id] = 'succeeded';
      order.push(id);
    }
  }
  return order;
}

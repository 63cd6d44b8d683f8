/**
 * What changed between two versions of a plan, for the person who approves the new one: the steps added, the
 * steps removed, and the steps kept under the same id whose fields changed.
 */
import type { Plan, PlanChanges, Step } from '../contract/plan.js';

export type { PlanChanges };

/** The fields of a step that can change, in the order they are listed. */
const FIELDS = [
  'title',
  'description',
  'tool',
  'args',
  'subgoal',
  'dependsOn',
  'successCriterion',
  'critical',
  'fallback',
  'tools',
] as const satisfies ReadonlyArray<keyof Step>;

/**
 * The changes from `before` to `after`, step by step.
 * @example planChanges({ steps: [a, b] }, { steps: [a, c] }) // { added: ['c'], removed: ['b'], changed: [] }
 */
export function planChanges(before: Pick<Plan, 'steps'>, after: Pick<Plan, 'steps'>): PlanChanges {
  const old = new Map(before.steps.map((s) => [s.id, s]));
  const ids = new Set(after.steps.map((s) => s.id));
  const changed: PlanChanges['changed'] = [];
  for (const step of after.steps) {
    const was = old.get(step.id);
    if (!was) continue;
    const fields = FIELDS.filter((f) => !same(was[f], step[f]));
    if (fields.length > 0) changed.push({ id: step.id, fields });
  }
  return {
    added: after.steps.filter((s) => !old.has(s.id)).map((s) => s.id),
    removed: before.steps.filter((s) => !ids.has(s.id)).map((s) => s.id),
    changed,
  };
}

/** Whether there is no change at all. */
export function unchanged(changes: PlanChanges): boolean {
  return changes.added.length === 0 && changes.removed.length === 0 && changes.changed.length === 0;
}

/**
 * The changes in one line for people: `+ c, d · − b · ~ a (args, dependsOn)`, or `no change`.
 * @example describeChanges({ added: ['c'], removed: ['b'], changed: [] }) // '+ c · − b'
 */
export function describeChanges(changes: PlanChanges): string {
  const parts = [
    changes.added.length > 0 ? `+ ${changes.added.join(', ')}` : '',
    changes.removed.length > 0 ? `− ${changes.removed.join(', ')}` : '',
    changes.changed.length > 0 ? `~ ${changes.changed.map((c) => `${c.id} (${c.fields.join(', ')})`).join(', ')}` : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(' · ') : 'no change';
}

/** Equality of two JSON values (absent and `undefined` are the same), key order aside. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = (o: object) => Object.keys(o).filter((k) => (o as Record<string, unknown>)[k] !== undefined);
  const ka = keys(a);
  const kb = keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

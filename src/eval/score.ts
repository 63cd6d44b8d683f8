/**
 * NESTFUL's metrics of a plan against a gold sequence of calls (arXiv 2409.03797): F1 of the tools called, F1 of
 * the arguments (name and value), partial and full sequence accuracy, and the share of the gold references that
 * the plan resolves to the right earlier step and field. Plans and gold sequences are aligned by position: the
 * n-th step of the plan against the n-th gold call. A reference is compared by the position of the step it names,
 * so `{{search.id}}` in a plan matches `{{var1.id}}` in the gold when `search` is the plan's first step.
 */
import type { Json, Plan } from '../contract/plan.js';
import type { GoldCall } from './task.js';

/** A plan's scores against its gold sequence, each from 0 to 1. */
export interface SequenceScores {
  /** F1 of the multiset of tools called. */
  toolsF1: number;
  /** F1 of the multiset of (tool, argument name, argument value) triples. */
  argsF1: number;
  /** Share of gold calls matched exactly (tool and all arguments) by the step at the same position. */
  partialSequence: number;
  /** 1 when every call matches and the plan has no more steps than the gold, else 0. */
  fullSequence: number;
  /** Share of the gold's references that the plan makes, at the same argument, to the same step and field; 1 with none. */
  references: number;
}

/** A call in the form both sides are compared in. */
interface Call {
  tool: string;
  args: Record<string, Json>;
}

const REFERENCE = /\{\{\s*([a-z][a-z0-9_-]*)((?:\.[^{}.\s]+)*)\s*\}\}/g;

/** A value with references written as positions (`{{#0.field}}`), text trimmed and lower-cased, numbers as text. */
function normalized(value: Json, position: ReadonlyMap<string, number>): string {
  if (typeof value === 'string')
    return value
      .replace(REFERENCE, (_all, id: string, dotted: string) => `{{#${position.get(id) ?? id}${dotted}}}`)
      .trim()
      .toLowerCase();
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return `[${value.map((v) => normalized(v, position)).join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .map((key) => `${key}:${normalized(value[key] as Json, position)}`)
    .join(',')}}`;
}

/** The calls of a plan in order: a tool step calls its tool; an open or sub-goal step counts as a call of no tool. */
function planCalls(plan: Plan): Call[] {
  return plan.steps.map((step) => ({
    tool: step.tool ?? '',
    args: step.args !== null && typeof step.args === 'object' && !Array.isArray(step.args) ? step.args : {},
  }));
}

/** F1 of two multisets. */
function f1(predicted: readonly string[], gold: readonly string[]): number {
  if (predicted.length === 0 && gold.length === 0) return 1;
  const left = new Map<string, number>();
  for (const item of gold) left.set(item, (left.get(item) ?? 0) + 1);
  let hits = 0;
  for (const item of predicted) {
    const count = left.get(item) ?? 0;
    if (count > 0) {
      hits++;
      left.set(item, count - 1);
    }
  }
  if (hits === 0) return 0;
  const precision = hits / predicted.length;
  const recall = hits / gold.length;
  return (2 * precision * recall) / (precision + recall);
}

/** Scores `plan` (undefined: no plan at all, every score 0) against `gold`. */
export function scoreSequence(plan: Plan | undefined, gold: readonly GoldCall[]): SequenceScores {
  if (!plan) return { toolsF1: 0, argsF1: 0, partialSequence: 0, fullSequence: 0, references: 0 };
  const predicted = planCalls(plan);
  const planPosition = new Map(plan.steps.map((s, i) => [s.id, i]));
  const goldPosition = new Map(gold.map((c, i) => [c.id, i]));
  const triples = (calls: readonly Call[], position: ReadonlyMap<string, number>) =>
    calls.flatMap((c) => Object.entries(c.args).map(([k, v]) => `${c.tool}\u0000${k}\u0000${normalized(v, position)}`));
  const same = (p: Call | undefined, g: GoldCall) =>
    p !== undefined &&
    p.tool === g.tool &&
    normalized(p.args, planPosition) === normalized(g.args as Record<string, Json>, goldPosition);
  const matched = gold.filter((g, i) => same(predicted[i], g)).length;

  let goldReferences = 0;
  let resolved = 0;
  gold.forEach((g, i) => {
    for (const [key, value] of Object.entries(g.args)) {
      for (const match of JSON.stringify(value).matchAll(REFERENCE)) {
        goldReferences++;
        const want = `{{#${goldPosition.get(match[1]!) ?? match[1]}${match[2] ?? ''}}}`.toLowerCase();
        const mine = predicted[i]?.args[key];
        if (mine !== undefined && normalized(mine, planPosition).includes(want)) resolved++;
      }
    }
  });
  return {
    toolsF1: f1(
      predicted.map((c) => c.tool),
      gold.map((c) => c.tool),
    ),
    argsF1: f1(triples(predicted, planPosition), triples(gold, goldPosition)),
    partialSequence: gold.length === 0 ? 1 : matched / gold.length,
    fullSequence: matched === gold.length && predicted.length === gold.length ? 1 : 0,
    references: goldReferences === 0 ? 1 : resolved / goldReferences,
  };
}

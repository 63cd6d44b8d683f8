/**
 * Checks a plan's tool arguments against the tools' own input schemas, before anything runs.
 */
import type { PlanIssue, Step } from '../contract/plan.js';
import { findReferences } from '../plan/references.js';
import type { Tool } from './define.js';

/**
 * Lists arguments that break their tool's input schema. Arguments holding references are checked once
 * they are resolved, when the step runs; unknown tools are left to plan validation.
 */
export function checkToolArgs(steps: readonly Step[], tools: readonly Tool[]): PlanIssue[] {
  const byName = new Map(tools.map((t) => [t.name, t]));
  const issues: PlanIssue[] = [];
  const check = (step: Step, toolName: string | undefined, args: Step['args'], what: string) => {
    const tool = toolName === undefined ? undefined : byName.get(toolName);
    if (!tool || findReferences(args).length > 0) return;
    const parsed = tool.input.safeParse(args ?? {});
    if (parsed.success) return;
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
    issues.push({ stepId: step.id, message: `${what} do not fit ${tool.name}'s input schema: ${problems}` });
  };
  for (const step of steps) {
    check(step, step.tool, step.args, 'args');
    if (step.fallback) check(step, step.fallback.tool, step.fallback.args, 'fallback args');
  }
  return issues;
}

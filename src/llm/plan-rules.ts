/**
 * What the planner and the replanner are told about a plan's steps and the tools they may use: each rule once.
 * The response format (`plan-format.ts`) carries the structure and the tools' input schemas; servers that turn it
 * into a grammar never show it to the model, so what the fields mean is said here.
 */
import { MAX_STEP_TOOLS } from '../contract/plan.js';
import type { ToolInfo } from '../contract/tools.js';
import { CHECKABLE_CRITERIA } from '../plan/criterion.js';
import { strictArgs } from './plan-format.js';

/** What the fields of a step mean, and how steps refer to each other. */
const STEP_RULES = [
  'Each step has:',
  '- id: unique; lower-case letters, digits, "_" or "-"; starts with a letter',
  '- title: a few words for people; description: what to do, or null',
  '- dependsOn: ids of earlier steps whose results it needs',
  '- tool, args: a tool below and its input (null for optional fields you do not need); both null in an open step, ' +
    'which a model carries out',
  `- tools: the tools below an open step's model may call (at most ${MAX_STEP_TOOLS}), or null; null in a tool step`,
  `- successCriterion: null, ${CHECKABLE_CRITERIA}, or a sentence a model judges; prefer the check`,
  '- critical: false if the goal can be met without the step, else null',
  '- fallback: {tool, args} to call if the tool fails for good, or null',
  'In args, "{{id}}" or "{{id.field.0.subfield}}" stands for an earlier step\'s result (a string that is only a ' +
    "reference takes the result's type); reference only steps in dependsOn.",
  'Steps that do not depend on each other run in parallel. Prefer tool steps with concrete args. Add no final step ' +
    'that writes the answer: the results are summarized for the user after the last step.',
].join('\n');

/** The step rules, and how to write a sub-goal step when the run may use them. */
export function stepRules(subgoals: { maxFanOut: number } | undefined): string {
  if (!subgoals) return STEP_RULES;
  return (
    `${STEP_RULES}\nA step may instead be a sub-goal (at most ${subgoals.maxFanOut} in a plan), for a large, separate ` +
    'part of the goal: "subgoal" is a goal in words, planned and carried out as a run of its own whose answer is the ' +
    "step's result; it gets the results of the steps it depends on; tool, args, tools and fallback are null. " +
    '"subgoal" is null in other steps.'
  );
}

/**
 * The tools, one a line with its description. The response format carries each tool's input schema; a tool whose
 * schema it cannot carry (its args are JSON text) comes with its schema here.
 */
export function catalogText(tools: readonly ToolInfo[]): string {
  const line = (t: ToolInfo) => {
    if (strictArgs(t.inputSchema as Record<string, unknown>)) return `- ${t.name}: ${t.description}`;
    const { $schema: _$schema, ...schema } = t.inputSchema as Record<string, unknown>;
    return `- ${t.name}: ${t.description}\n  args as JSON text, input schema: ${JSON.stringify(schema)}`;
  };
  return tools.map(line).join('\n') || '(none)';
}

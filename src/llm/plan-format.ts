/**
 * Response formats built from the tool catalog: each step of a plan is one variant per tool, whose `args`
 * follow that tool's own input schema, so a server that enforces `json_schema` (OpenAI, llama.cpp, vLLM,
 * Ollama) can only produce arguments the tool takes. Where a value may come from an earlier step, a
 * reference string ("{{step_id.path}}") is allowed too. Every schema keeps OpenAI's strict-mode rules:
 * objects close with `additionalProperties: false`, every key is required, optional ones are nullable.
 */
import type { ToolInfo } from '../contract/tools.js';

/** A JSON schema node, as built here. */
type Node = Record<string, unknown>;

/** How deep a tool's input schema is followed before its `args` fall back to a JSON string. */
const MAX_DEPTH = 8;

/** A step id, as the plan schema requires it. */
const STEP_ID = { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,63}$' } as const;

const REFERENCE = {
  type: 'string',
  pattern: '^\\{\\{[a-z][a-z0-9_-]*(\\.[A-Za-z0-9_-]+)*\\}\\}$',
  description: 'or a reference to an earlier step\'s output: "{{step_id}}" or "{{step_id.field.0.subfield}}"',
} as const;

const JSON_TEXT = {
  type: 'string',
  description: "the tool's input as a JSON object encoded in a string",
} as const;

const nullable = (node: Node): Node => ({ anyOf: [node, { type: 'null' }] });

/**
 * A tool's input schema in strict form, with references allowed for every value that is not a string;
 * undefined when the schema cannot be written strictly (free-form objects, values of any type).
 */
export function strictArgs(schema: Node, depth = 0, top = true): Node | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const described = typeof schema.description === 'string' ? { description: schema.description } : {};
  if (Array.isArray(schema.anyOf)) {
    const options = schema.anyOf.map((s) => strictArgs(s as Node, depth + 1, false));
    if (options.some((o) => o === undefined)) return undefined;
    return { anyOf: options as Node[], ...described };
  }
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type];
  if (types.length > 1)
    return strictArgs(
      { ...schema, type: undefined as never, anyOf: types.map((type) => ({ ...schema, type })) },
      depth,
      top,
    );
  const [type] = types;
  let node: Node;
  if (type === 'object') {
    if (schema.additionalProperties !== undefined && schema.additionalProperties !== false) return undefined;
    const properties = (schema.properties ?? {}) as Record<string, Node>;
    const required = new Set((schema.required ?? []) as string[]);
    const strict: Record<string, Node> = {};
    for (const [key, value] of Object.entries(properties)) {
      const inner = strictArgs(value, depth + 1, false);
      if (inner === undefined) return undefined;
      strict[key] = required.has(key) ? inner : nullable(inner);
    }
    node = {
      type: 'object',
      properties: strict,
      required: Object.keys(strict),
      additionalProperties: false,
      ...described,
    };
  } else if (type === 'array') {
    const items = schema.items === undefined ? undefined : strictArgs(schema.items as Node, depth + 1, false);
    if (items === undefined) return undefined;
    node = { type: 'array', items, ...described };
  } else if (type === 'string' || type === 'number' || type === 'integer' || type === 'boolean' || type === 'null') {
    node = { type, ...(Array.isArray(schema.enum) ? { enum: schema.enum } : {}), ...described };
    if (type === 'string') return node; // a string already takes a reference
  } else {
    return undefined;
  }
  return top ? node : { anyOf: [node, REFERENCE] };
}

/** One step of a plan that calls `tool`, its arguments shaped by the tool's input schema. */
function toolStep(tool: ToolInfo, names: readonly string[], subgoal: Node | undefined): Node {
  return step(
    { type: 'string', enum: [tool.name] },
    strictArgs(tool.inputSchema as Node) ?? JSON_TEXT,
    names,
    subgoal && NULL,
  );
}

const NULL = { type: 'null' } as const;

/** A step's fields; `subgoal` is there only in runs that may use sub-goals (null but in a sub-goal step). */
function step(tool: Node, args: Node, names: readonly string[], subgoal?: Node): Node {
  const fields: Record<string, Node> = {
    id: { ...STEP_ID, description: 'unique; lower-case letters, digits, "_" or "-", starting with a letter' },
    title: { type: 'string', description: 'a few words for people' },
    description: nullable({ type: 'string', description: 'what to do, for the executor' }),
    dependsOn: { type: 'array', items: STEP_ID, description: 'ids of earlier steps whose results this step needs' },
    tool,
    args,
    successCriterion: nullable({ type: 'string' }),
    critical: nullable({ type: 'boolean' }),
    fallback:
      subgoal?.type === 'string'
        ? NULL
        : nullable({
            type: 'object',
            properties: { tool: { type: 'string', enum: [...names] }, args: JSON_TEXT },
            required: ['tool', 'args'],
            additionalProperties: false,
          }),
    ...(subgoal ? { subgoal } : {}),
  };
  return { type: 'object', properties: fields, required: Object.keys(fields), additionalProperties: false };
}

/** A sub-goal, in the variant of a step that is one. */
const SUBGOAL = { type: 'string', description: 'the sub-goal, in words: planned and carried out as a run of its own' };

/**
 * The steps of a plan: a tool step of any tool in the catalog, or an open step for the executor; with `subgoals`,
 * also a sub-goal step.
 */
export function stepsSchema(tools: readonly ToolInfo[], subgoals = false): Node {
  const names = tools.map((t) => t.name);
  const noSubgoal = subgoals ? NULL : undefined;
  const open = step({ ...NULL, description: 'null: an open task for the executor' }, NULL, names, noSubgoal);
  const variants = [...tools.map((t) => toolStep(t, names, noSubgoal)), open];
  if (subgoals) variants.push(step({ ...NULL, description: 'null: a sub-goal step' }, NULL, names, SUBGOAL));
  return { type: 'array', items: { anyOf: variants } };
}

/** The planner's response format for this catalog (and sub-goal steps, with `subgoals`). */
export function planResponseSchema(tools: readonly ToolInfo[], subgoals = false): Node {
  return {
    type: 'object',
    properties: { rationale: nullable({ type: 'string' }), steps: stepsSchema(tools, subgoals) },
    required: ['rationale', 'steps'],
    additionalProperties: false,
  };
}

/** The replanner's response format for this catalog (and sub-goal steps, with `subgoals`). */
export function replanResponseSchema(tools: readonly ToolInfo[], subgoals = false): Node {
  return {
    type: 'object',
    properties: {
      action: { type: 'string', enum: ['continue', 'revise', 'finish'] },
      reason: { type: 'string' },
      answer: nullable({ type: 'string', description: 'the final answer, when action is finish' }),
      steps: nullable({
        ...stepsSchema(tools, subgoals),
        description: 'the new remaining steps, when action is revise',
      }),
    },
    required: ['action', 'reason', 'answer', 'steps'],
    additionalProperties: false,
  };
}

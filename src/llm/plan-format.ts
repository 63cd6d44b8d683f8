/**
 * Response formats built from the tool catalog: each step of a plan is one variant per tool, whose `args`
 * follow that tool's own input schema, so a server that enforces `json_schema` (OpenAI, llama.cpp, vLLM,
 * Ollama) can only produce arguments the tool takes. Where a value may come from an earlier step, a
 * reference string ("{{step_id.path}}") is allowed too. Every schema keeps OpenAI's strict-mode rules:
 * objects close with `additionalProperties: false`, every key is required, optional ones are nullable.
 * What the fields mean is said once, in the planner's rules (`prompts.ts`): servers that turn a schema into a
 * grammar never show it to the model, so the format carries structure, and descriptions only where a tool's
 * input schema has them.
 */
import type { ToolInfo } from '../contract/tools.js';

/** A JSON schema node, as built here. */
type Node = Record<string, unknown>;

/** How deep a tool's input schema is followed before its `args` fall back to a JSON string. */
const MAX_DEPTH = 8;

/** A step id, as the plan schema requires it. */
const STEP_ID = { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,63}$' } as const;

/** A reference to an earlier step's output: "{{step_id}}" or "{{step_id.field.0.subfield}}". */
const REFERENCE = { type: 'string', pattern: '^\\{\\{[a-z][a-z0-9_-]*(\\.[A-Za-z0-9_-]+)*\\}\\}$' } as const;

/** A tool's input as a JSON object encoded in a string, where its schema cannot be written strictly. */
const JSON_TEXT = { type: 'string' } as const;

const nullable = (node: Node): Node => ({ anyOf: [node, { type: 'null' }] });

/**
 * A tool's input schema in strict form, with references allowed for every value that is not a string;
 * undefined when the schema cannot be written strictly (free-form objects, values of any type). For a `grammar`
 * (a server that turns the schema into one), strings keep their least length.
 */
export function strictArgs(schema: Node, depth = 0, top = true, grammar = false): Node | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const described = typeof schema.description === 'string' ? { description: schema.description } : {};
  if (Array.isArray(schema.anyOf)) {
    const options = schema.anyOf.map((s) => strictArgs(s as Node, depth + 1, false, grammar));
    if (options.some((o) => o === undefined)) return undefined;
    return { anyOf: options as Node[], ...described };
  }
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type];
  if (types.length > 1)
    return strictArgs(
      { ...schema, type: undefined as never, anyOf: types.map((type) => ({ ...schema, type })) },
      depth,
      top,
      grammar,
    );
  const [type] = types;
  let node: Node;
  if (type === 'object') {
    if (schema.additionalProperties !== undefined && schema.additionalProperties !== false) return undefined;
    const properties = (schema.properties ?? {}) as Record<string, Node>;
    const required = new Set((schema.required ?? []) as string[]);
    const strict: Record<string, Node> = {};
    for (const [key, value] of Object.entries(properties)) {
      const inner = strictArgs(value, depth + 1, false, grammar);
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
    const items = schema.items === undefined ? undefined : strictArgs(schema.items as Node, depth + 1, false, grammar);
    if (items === undefined) return undefined;
    node = { type: 'array', items, ...described };
  } else if (type === 'string' || type === 'number' || type === 'integer' || type === 'boolean' || type === 'null') {
    node = { type, ...(Array.isArray(schema.enum) ? { enum: schema.enum } : {}), ...described };
    // A grammar can hold a string to its least length (OpenAI's strict mode takes no minLength).
    if (grammar && type === 'string' && typeof schema.minLength === 'number' && schema.minLength > 0)
      node.minLength = schema.minLength;
    if (type === 'string') return node; // a string already takes a reference
  } else {
    return undefined;
  }
  return top ? node : { anyOf: [node, REFERENCE] };
}

const NULL = { type: 'null' } as const;

/** Where a step's fallback points: one definition in the format's `$defs`, shared by every step variant. */
const FALLBACK_REF = '#/$defs/fallback';

/**
 * A fallback: a tool of the catalog with `args` shaped by that tool's input schema, like a tool step's; defined
 * once and referred to, so the format grows with the catalog rather than with its square.
 */
function fallbackSchema(tools: readonly ToolInfo[], grammar = false): Node {
  return {
    anyOf: tools.map((t) => ({
      type: 'object',
      properties: {
        tool: { type: 'string', enum: [t.name] },
        args: strictArgs(t.inputSchema as Node, 0, true, grammar) ?? JSON_TEXT,
      },
      required: ['tool', 'args'],
      additionalProperties: false,
    })),
  };
}

/** The definitions the steps refer to; none for an empty catalog, whose steps have no fallback. */
function definitions(tools: readonly ToolInfo[]): Node {
  return tools.length > 0 ? { $defs: { fallback: fallbackSchema(tools) } } : {};
}

/** What sets a variant of a step apart: its tool and args, the tools it may use, whether it is a sub-goal. */
interface Variant {
  tool: Node;
  args: Node;
  /** The tools an open step's executor may call; null in other steps. */
  tools: Node;
  /** The goal of a sub-goal step (null in other steps); absent where the run may not use sub-goals. */
  subgoal?: Node;
}

/** The id of the step at `index` (from 1) in the grammar format: `s1`, `s2`, … */
export const positionalId = (index: number): string => `s${index}`;

/** A step's `dependsOn` at a position: ids of earlier steps only (none before the first). */
function earlierIds(index: number): Node {
  if (index === 1) return { type: 'array', items: STEP_ID, maxItems: 0 };
  const ids = Array.from({ length: index - 1 }, (_, i) => positionalId(i + 1));
  return { type: 'array', items: { type: 'string', enum: ids }, maxItems: ids.length };
}

/** A step's fields, with every tool of the catalog as a fallback but in a sub-goal step. */
function step({ tool, args, tools, subgoal }: Variant, names: readonly string[]): Node {
  const fields: Record<string, Node> = {
    id: STEP_ID,
    title: { type: 'string' },
    description: nullable({ type: 'string' }),
    dependsOn: { type: 'array', items: STEP_ID },
    tool,
    args,
    tools,
    successCriterion: nullable({ type: 'string' }),
    critical: nullable({ type: 'boolean' }),
    fallback: subgoal?.type === 'string' || names.length === 0 ? NULL : nullable({ $ref: FALLBACK_REF }),
    ...(subgoal ? { subgoal } : {}),
  };
  return { type: 'object', properties: fields, required: Object.keys(fields), additionalProperties: false };
}

/**
 * The steps of a plan: a tool step of any tool in the catalog (its `args` shaped by the tool's input schema), or an
 * open step for the executor, which may name tools of the catalog; with `subgoals`, also a sub-goal step. Their
 * fallbacks refer to the root's `$defs` (see {@link planResponseSchema}).
 */
export function stepsSchema(tools: readonly ToolInfo[], subgoals = false): Node {
  const names = tools.map((t) => t.name);
  const variants = Object.values(stepKinds(tools, subgoals)).map((kind) => step(kind, names));
  // At least one step: validation refuses an empty plan, so the format does not offer one.
  return { type: 'array', minItems: 1, items: { anyOf: variants } };
}

/** The kinds of step, by name: one per tool (`tool_<name>`, its `args` shaped by its input schema), an open step, a sub-goal step. */
function stepKinds(tools: readonly ToolInfo[], subgoals: boolean, grammar = false): Record<string, Variant> {
  const names = tools.map((t) => t.name);
  const subgoal = subgoals ? NULL : undefined;
  const mayUse = names.length > 0 ? nullable({ type: 'array', items: { type: 'string', enum: names } }) : NULL;
  return {
    ...Object.fromEntries(
      tools.map((t): [string, Variant] => [
        `tool_${t.name}`,
        {
          tool: { type: 'string', enum: [t.name] },
          args: strictArgs(t.inputSchema as Node, 0, true, grammar) ?? JSON_TEXT,
          tools: NULL,
          subgoal,
        },
      ]),
    ),
    open: { tool: NULL, args: NULL, tools: mayUse, subgoal },
    ...(subgoals ? { subgoal: { tool: NULL, args: NULL, tools: NULL, subgoal: { type: 'string' } } } : {}),
  };
}

/** Where the grammar format defines a position's fixed fields, a kind of step's other fields, and a position. */
const HEAD_REF = (index: number) => `#/$defs/head${index}`;
const BODY_REF = (kind: string) => `#/$defs/body_${kind}`;
const STEP_REF = (index: number) => `#/$defs/step${index}`;

/** In the grammar format, a reference names a step by its position: "{{s2}}" or "{{s2.field.0}}". */
const POSITIONAL_REFERENCE = { type: 'string', pattern: '^\\{\\{s[1-9][0-9]?(\\.[A-Za-z0-9_-]+)*\\}\\}$' } as const;

/**
 * The longest texts the grammar format lets a model write, in characters: a small model that starts repeating itself
 * in a title or a rationale otherwise writes until the output cap cuts the plan off. Validation allows more (a
 * title has 200); the format asks for less so that the plan's structure always fits the cap.
 */
export const GRAMMAR_TEXT_LIMITS = { rationale: 400, title: 100, description: 400, successCriterion: 200 } as const;

const text = (maxLength: number, minLength = 0): Node => ({
  type: 'string',
  maxLength,
  ...(minLength ? { minLength } : {}),
});

/** `node` with every reference to an earlier step in the grammar format's form (args and fallbacks). */
function positionalReferences(node: unknown): unknown {
  if (node === REFERENCE) return POSITIONAL_REFERENCE;
  if (Array.isArray(node)) return node.map(positionalReferences);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, positionalReferences(value)]));
}

/**
 * A step's fields without `id` and `dependsOn`, for the grammar format: an object schema that does not close (its
 * position adds those), its texts bounded by {@link GRAMMAR_TEXT_LIMITS}, its references by position.
 */
function body(variant: Variant, names: readonly string[]): Node {
  const {
    id: _id,
    dependsOn: _dependsOn,
    ...fields
  } = (step(variant, names) as { properties: Record<string, Node> }).properties;
  const bounded: Record<string, Node> = {
    ...(positionalReferences(fields) as Record<string, Node>),
    title: text(GRAMMAR_TEXT_LIMITS.title, 1), // validation refuses an empty title
    description: nullable(text(GRAMMAR_TEXT_LIMITS.description)),
    successCriterion: nullable(text(GRAMMAR_TEXT_LIMITS.successCriterion)),
  };
  return { type: 'object', properties: bounded, required: Object.keys(bounded) };
}

/**
 * The planner's response format for servers that turn a JSON schema into a grammar (llama.cpp, Ollama): as
 * {@link planResponseSchema}, and besides, step i's id is `s<i>` and its `dependsOn` names only ids before it, so a
 * dependency on a later step, or on an id that is not a step, cannot be written. A plan of L steps is a tuple
 * (`prefixItems` with exactly L items, which is how llama.cpp reads it) of L position definitions, one tuple per
 * length up to `maxSteps`. A step at a position is `allOf` its position's fixed fields and one kind of step's other
 * fields (llama.cpp merges them into one closed object), each defined once: the format grows with the catalog plus
 * the catalog times `maxSteps` references, never with the catalog's square. References in arguments that are not
 * strings name a step by position (`{{s1.rows}}`), and texts have a length limit ({@link GRAMMAR_TEXT_LIMITS}).
 * OpenAI's strict mode refuses
 * `prefixItems` and `allOf`: servers of that kind get {@link planResponseSchema}.
 */
export function positionalPlanSchema(tools: readonly ToolInfo[], maxSteps: number, subgoals = false): Node {
  const names = tools.map((t) => t.name);
  const kinds = stepKinds(tools, subgoals, true);
  const positions = Array.from({ length: Math.max(1, maxSteps) }, (_, i) => i + 1);
  const head = (index: number): Node => ({
    type: 'object',
    properties: { id: { type: 'string', const: positionalId(index) }, dependsOn: earlierIds(index) },
    required: ['id', 'dependsOn'],
  });
  const at = (index: number): Node => ({
    anyOf: Object.keys(kinds).map((kind) => ({ allOf: [{ $ref: HEAD_REF(index) }, { $ref: BODY_REF(kind) }] })),
  });
  const tuples = positions.map((length) => ({
    type: 'array',
    prefixItems: positions.slice(0, length).map((index) => ({ $ref: STEP_REF(index) })),
    minItems: length,
    maxItems: length,
  }));
  return {
    type: 'object',
    properties: {
      rationale: nullable(text(GRAMMAR_TEXT_LIMITS.rationale)),
      steps: tuples.length === 1 ? tuples[0] : { anyOf: tuples },
    },
    required: ['rationale', 'steps'],
    additionalProperties: false,
    $defs: {
      ...(tools.length > 0 ? { fallback: positionalReferences(fallbackSchema(tools, true)) } : {}),
      ...Object.fromEntries(Object.entries(kinds).map(([kind, variant]) => [`body_${kind}`, body(variant, names)])),
      ...Object.fromEntries(
        positions.flatMap((index) => [
          [`head${index}`, head(index)],
          [`step${index}`, at(index)],
        ]),
      ),
    },
  };
}

/** The planner's response format for this catalog (and sub-goal steps, with `subgoals`). */
export function planResponseSchema(tools: readonly ToolInfo[], subgoals = false): Node {
  return {
    type: 'object',
    properties: { rationale: nullable({ type: 'string' }), steps: stepsSchema(tools, subgoals) },
    required: ['rationale', 'steps'],
    additionalProperties: false,
    ...definitions(tools),
  };
}

/** The replanner's response format for this catalog (and sub-goal steps, with `subgoals`). */
export function replanResponseSchema(tools: readonly ToolInfo[], subgoals = false): Node {
  return {
    type: 'object',
    properties: {
      action: { type: 'string', enum: ['continue', 'revise', 'finish'] },
      reason: { type: 'string' },
      answer: nullable({ type: 'string' }),
      steps: nullable(stepsSchema(tools, subgoals)),
    },
    required: ['action', 'reason', 'answer', 'steps'],
    additionalProperties: false,
    ...definitions(tools),
  };
}

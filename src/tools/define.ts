/**
 * Tools: what plan steps call. A tool is a name, a description for the planner, zod schemas for its
 * input (and optionally its output) and a `run` function. Tools run inside activities.
 */
import { z } from 'zod';
import type { Json } from '../contract/plan.js';
import { TOOL_NAME, type JsonSchemaObject, type ToolCallOptions, type ToolInfo } from '../contract/tools.js';
import { zodFromJsonSchema } from './json-schema.js';

/** What a tool's `run` receives besides its input. */
export interface ToolContext {
  /** Aborted when the activity is cancelled or times out; pass it to fetch and friends. */
  signal: AbortSignal;
  /** Records progress so Temporal knows the tool is alive (and delivers cancellation). */
  heartbeat(details?: unknown): void;
  /** Structured logger tied to the activity. */
  log: ToolLogger;
  /** Directory the tool may read and write; tools must stay inside it. */
  workspace: string;
}

/** The logging methods a tool may use. */
export interface ToolLogger {
  debug(message: string, attrs?: Record<string, unknown>): void;
  info(message: string, attrs?: Record<string, unknown>): void;
  warn(message: string, attrs?: Record<string, unknown>): void;
  error(message: string, attrs?: Record<string, unknown>): void;
}

/** A tool as its author writes it. */
export interface ToolDefinition<I extends z.ZodType, O extends z.ZodType> {
  /** Name used in plans: lower-case letters, digits and `_`. */
  name: string;
  /** One or two sentences telling the planner what the tool does and when to use it. */
  description: string;
  input: I;
  output?: O;
  /** Overrides of the run's step timeout and the tool retry policy, for tools that need them. */
  callOptions?: ToolCallOptions;
  /**
   * Whether a call waits for a person's approval before it runs: `'always'`, or a function of the call's
   * (checked) input that says whether this call needs it. A function that throws counts as "needs approval".
   */
  approval?: 'always' | ((input: z.output<I>) => boolean);
  run(input: z.output<I>, ctx: ToolContext): Promise<z.input<O>> | z.input<O>;
}

/** A registered tool, with its types erased so tools of any shape fit in one list. */
export interface Tool {
  name: string;
  description: string;
  input: z.ZodType;
  output?: z.ZodType;
  /** The input's JSON Schema as declared, for tools declared with one; otherwise it is derived from `input`. */
  inputSchema?: JsonSchemaObject;
  /** The output's JSON Schema as declared, for tools declared with one; otherwise it is derived from `output`. */
  outputSchema?: JsonSchemaObject;
  callOptions?: ToolCallOptions;
  /** Whether its calls wait for a person's approval (see {@link ToolDefinition.approval}). */
  approval?: 'always' | ((input: unknown) => boolean);
  /** What serves the tool when it lives outside the worker (an MCP server): closed when the worker stops. */
  source?: ToolSource;
  run(input: unknown, ctx: ToolContext): Promise<unknown> | unknown;
}

/** Something outside the worker that serves tools (an MCP server connection); one source may serve many tools. */
export interface ToolSource {
  /** For messages: `mcp server "fs"`. */
  readonly name: string;
  /** Lets go of the source (closes its connection, stops its process); it may be opened again by a later call. */
  close(): Promise<void>;
}

/** A tool whose input is described by a JSON Schema rather than zod (a tool of an MCP server, say). */
export interface JsonSchemaToolDefinition {
  /** Name used in plans: lower-case letters, digits and `_`. */
  name: string;
  description: string;
  /** JSON Schema of the input: shown to the planner as is, and checked (by Ajv) before `run`. */
  inputSchema: JsonSchemaObject;
  /** JSON Schema of the output, when known: checked after `run`, and used to check references to it. */
  outputSchema?: JsonSchemaObject;
  callOptions?: ToolCallOptions;
  /** Whether its calls wait for a person's approval (see {@link ToolDefinition.approval}). */
  approval?: 'always' | ((input: Json) => boolean);
  source?: ToolSource;
  run(input: Json, ctx: ToolContext): Promise<unknown> | unknown;
}

export type { ToolInfo } from '../contract/tools.js';

/**
 * Declares a tool.
 * @throws {TypeError} when the name is not lower-case letters, digits and `_`.
 * @example
 * export const wordCount = defineTool({
 *   name: 'word_count',
 *   description: 'Counts the words in a text.',
 *   input: z.object({ text: z.string() }),
 *   run: ({ text }) => ({ words: text.split(/\s+/).filter(Boolean).length }),
 * });
 */
export function defineTool<I extends z.ZodType, O extends z.ZodType = z.ZodType<Json>>(
  definition: ToolDefinition<I, O>,
): Tool {
  checkToolName(definition.name);
  checkApproval(definition);
  return definition as unknown as Tool;
}

/**
 * A tool's `approval` is `'always'`, a function, or absent.
 * @throws {TypeError} naming the tool, otherwise.
 */
function checkApproval({ name, approval }: { name: string; approval?: unknown }): void {
  if (approval === undefined || approval === 'always' || typeof approval === 'function') return;
  throw new TypeError(
    `tool "${name}": approval must be 'always' or a function of the input that says whether a call needs approval`,
  );
}

function checkToolName(name: string): void {
  if (!TOOL_NAME.test(name)) {
    throw new TypeError(`tool name "${name}" must match ${TOOL_NAME} (lower-case letters, digits, "_")`);
  }
}

/**
 * Declares a tool whose input (and output) is described by a JSON Schema: the planner sees the schema as
 * given, and plan arguments and step inputs are checked against it.
 * @throws {TypeError} when the name is not lower-case letters, digits and `_`, or a schema is not valid JSON Schema.
 * @example
 * const echo = defineJsonSchemaTool({
 *   name: 'echo',
 *   description: 'Returns its text.',
 *   inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
 *   run: (input) => input,
 * });
 */
export function defineJsonSchemaTool(definition: JsonSchemaToolDefinition): Tool {
  checkToolName(definition.name);
  checkApproval(definition);
  const check = (schema: JsonSchemaObject, what: string) => {
    try {
      return zodFromJsonSchema(schema);
    } catch (err) {
      throw new TypeError(`tool "${definition.name}": its ${what} ${(err as Error).message}`, { cause: err });
    }
  };
  const { approval, ...rest } = definition;
  return {
    ...rest,
    input: check(definition.inputSchema, 'input schema is'),
    ...(definition.outputSchema ? { output: check(definition.outputSchema, 'output schema is') } : {}),
    run: definition.run as Tool['run'],
    ...(approval ? { approval: approval as NonNullable<Tool['approval']> } : {}),
  };
}

/** A declared schema as the planner sees it: without the `$schema` dialect marker. */
function shown({ $schema: _dialect, ...schema }: JsonSchemaObject): JsonSchemaObject {
  return schema;
}

/** Describes a tool for the planner and the workflow. */
export function toolInfo(tool: Tool): ToolInfo {
  const schema = (type: z.ZodType, io: 'input' | 'output') =>
    z.toJSONSchema(type, { io, unrepresentable: 'any' }) as JsonSchemaObject;
  return {
    name: tool.name,
    description: tool.description,
    inputSchema: tool.inputSchema ? shown(tool.inputSchema) : schema(tool.input, 'input'),
    ...(tool.outputSchema
      ? { outputSchema: shown(tool.outputSchema) }
      : tool.output
        ? { outputSchema: schema(tool.output, 'output') }
        : {}),
    ...(tool.callOptions ? { callOptions: JSON.parse(JSON.stringify(tool.callOptions)) as ToolCallOptions } : {}),
    ...(tool.approval ? { approval: tool.approval === 'always' ? 'always' : 'conditional' } : {}),
  };
}

/**
 * Thrown by a tool to say how its failure should be treated: retryable failures are retried by Temporal,
 * the others fail the step at once (then its fallback, skip, escalation or replan take over).
 * @example
 * if (response.status === 503) throw new ToolError('the ticket service is busy', true);
 * if (response.status === 404) throw new ToolError(`no ticket ${id}`, false);
 */
export class ToolError extends Error {
  override readonly name = 'ToolError';
  constructor(
    message: string,
    /** True when another attempt may succeed (a timeout, a busy service). */
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * What the planner and the workflow know of a tool: plain JSON, carried in the workflow's state.
 */
import type { Json } from './plan.js';

/** A JSON schema, as plain JSON. */
export type JsonSchemaObject = { [key: string]: Json };

/** A tool as described to the planner and the workflow. */
export interface ToolInfo {
  name: string;
  description: string;
  /** JSON schema of the tool's input. */
  inputSchema: JsonSchemaObject;
  /** JSON schema of the tool's output, when the tool declares one; used to check references before a run. */
  outputSchema?: JsonSchemaObject;
}

/**
 * What the planner and the workflow know of a tool: plain JSON, carried in the workflow's state.
 */
import type { Json } from './plan.js';

/** The form of a tool's name: lower-case letters, digits and `_`, starting with a letter, at most 64 characters. */
export const TOOL_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** A JSON schema, as plain JSON. */
export type JsonSchemaObject = { [key: string]: Json };

/** How long one call of a tool may take and how it is retried, when the tool differs from the run's defaults. */
export interface ToolCallOptions {
  /** One attempt's time limit (overrides the run's `stepTimeout`), e.g. '30s'. */
  timeout?: string | number;
  /**
   * How long the worker may go without a heartbeat before the attempt counts as lost (default 10 s). The
   * activity heartbeats while the tool runs; raise this only for a tool that blocks the event loop longer.
   */
  heartbeatTimeout?: string | number;
  retry?: {
    maximumAttempts?: number;
    initialInterval?: string | number;
    maximumInterval?: string | number;
    backoffCoefficient?: number;
  };
}

/** A tool as described to the planner and the workflow. */
export interface ToolInfo {
  name: string;
  description: string;
  /** JSON schema of the tool's input. */
  inputSchema: JsonSchemaObject;
  /** JSON schema of the tool's output, when the tool declares one; used to check references before a run. */
  outputSchema?: JsonSchemaObject;
  /** The tool's own timeout and retry settings. */
  callOptions?: ToolCallOptions;
  /**
   * Whether its calls wait for a person before they run: `always`, or `conditional` when the tool decides from
   * each call's input (see `defineTool`'s `approval`). Absent: only when a run names the tool in `approveTools`.
   */
  approval?: ToolApproval;
}

/** When a tool's calls need a person's approval, as the workflow knows it. */
export type ToolApproval = 'always' | 'conditional';

/**
 * What a run keeps of a tool: its name, its output schema (to check references before a run) and its own call
 * options. Descriptions and input schemas stay on the worker, which gives them to the model itself.
 */
export type ToolSummary = Pick<ToolInfo, 'name' | 'outputSchema' | 'callOptions' | 'approval'>;

/** The summary of a tool a run keeps. */
export function summarizeTool({ name, outputSchema, callOptions, approval }: ToolSummary): ToolSummary {
  return {
    name,
    ...(outputSchema ? { outputSchema } : {}),
    ...(callOptions ? { callOptions } : {}),
    ...(approval ? { approval } : {}),
  };
}

/**
 * Tools of MCP servers as planwright tools: named `<server>__<tool>`, described by the server's own JSON
 * Schemas, results turned into step outputs, failures classified for Temporal's retries.
 */
import { createHash } from 'node:crypto';
import type { CallToolResult, Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';
import type { Json } from '../contract/plan.js';
import type { JsonSchemaObject } from '../contract/tools.js';
import { defineJsonSchemaTool, ToolError, type Tool } from '../tools/define.js';
import { readMcpConfig, type McpServerSettings } from './config.js';
import { McpConnection, type StderrLog } from './connection.js';

/** Thrown when MCP servers cannot give the worker its tools: a server that does not start, clashing names. */
export class McpToolsError extends Error {
  override readonly name = 'McpToolsError';
}

/**
 * The output of a call whose result has no `structuredContent`: its text parts joined, plus the resources
 * and media it returned, if any.
 */
export const CONTENT_OUTPUT_SCHEMA: JsonSchemaObject = {
  type: 'object',
  properties: {
    text: { type: 'string', description: 'the text parts of the result, joined by newlines' },
    resources: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          uri: { type: 'string' },
          name: { type: 'string' },
          mimeType: { type: 'string' },
          text: { type: 'string' },
          blob: { type: 'string', description: 'base64' },
        },
        required: ['uri'],
      },
    },
    media: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          type: { type: 'string', enum: ['image', 'audio'] },
          mimeType: { type: 'string' },
          data: { type: 'string', description: 'base64' },
        },
        required: ['type', 'mimeType', 'data'],
      },
    },
  },
  required: ['text'],
};

const NAME_LIMIT = 64;

/** `my-Server` → `my_server`: lower-case letters, digits and single `_`, starting with a letter. */
function slug(text: string): string {
  const cleaned = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return /^[a-z]/.test(cleaned) ? cleaned : `t${cleaned}`;
}

/**
 * The planwright name of an MCP tool: `<server>__<tool>`, in lower case with `_` for anything else, cut
 * to 64 characters with a short hash of the original names when longer.
 */
export function mcpToolName(server: string, tool: string): string {
  const name = `${slug(server)}__${slug(tool)}`;
  if (name.length <= NAME_LIMIT) return name;
  const hash = createHash('sha256').update(`${server}\0${tool}`).digest('hex').slice(0, 8);
  return `${name.slice(0, NAME_LIMIT - hash.length - 1)}_${hash}`;
}

/**
 * Turns a call's result into a step output: `structuredContent` when the server gave it, otherwise the
 * text, resources and media of `content` ({@link CONTENT_OUTPUT_SCHEMA}).
 * @throws {ToolError} (not retryable) when the result is an error result (`isError`): the tool ran and said no.
 */
export function outputOfResult(result: CallToolResult, toolName: string): Json {
  const text = result.content
    .flatMap((part) => (part.type === 'text' ? [part.text] : []))
    .join('\n')
    .trim();
  if (result.isError) throw new ToolError(`${toolName} reported an error: ${text || '(no message)'}`, false);
  if (result.structuredContent) return result.structuredContent as Json;
  const resources: Json[] = [];
  const media: Json[] = [];
  for (const part of result.content) {
    if (part.type === 'resource') {
      const { uri, mimeType } = part.resource;
      const body: Record<string, string> =
        'text' in part.resource ? { text: part.resource.text } : { blob: String(part.resource.blob) };
      resources.push({ uri, ...(mimeType ? { mimeType } : {}), ...body });
    } else if (part.type === 'resource_link') {
      resources.push({ uri: part.uri, name: part.name, ...(part.mimeType ? { mimeType: part.mimeType } : {}) });
    } else if (part.type === 'image' || part.type === 'audio') {
      media.push({ type: part.type, mimeType: part.mimeType, data: part.data });
    }
  }
  return { text, ...(resources.length > 0 ? { resources } : {}), ...(media.length > 0 ? { media } : {}) };
}

/** One MCP tool of one server as a planwright tool. */
function asTool(connection: McpConnection, tool: McpTool): Tool {
  const name = mcpToolName(connection.settings.name, tool.name);
  const description = tool.description?.trim() || tool.title || tool.annotations?.title || tool.name;
  return defineJsonSchemaTool({
    name,
    description: `${description} (MCP server "${connection.settings.name}", tool "${tool.name}")`,
    inputSchema: tool.inputSchema as JsonSchemaObject,
    outputSchema: (tool.outputSchema as JsonSchemaObject | undefined) ?? CONTENT_OUTPUT_SCHEMA,
    source: connection,
    async run(input, ctx) {
      const result = await connection.callTool(tool.name, (input ?? {}) as Record<string, unknown>, {
        signal: ctx.signal,
        onProgress: (progress) => ctx.heartbeat?.({ progress }),
      });
      return outputOfResult(result, name);
    },
  });
}

/** What {@link loadMcpTools} gives: the tools, and what it could not use (a tool whose schema does not compile). */
export interface McpTools {
  tools: Tool[];
  warnings: string[];
}

/** Options of {@link loadMcpTools}. */
export interface McpToolsOptions {
  /** Where what stdio servers write to stderr goes (default: the worker's log); never into errors or runs. */
  stderrLog?: StderrLog;
}

/**
 * Connects to each server, lists its tools and wraps them. When a server cannot be reached, every
 * connection already opened is closed again.
 * @throws {McpToolsError} naming the server that failed, or the tools whose names clash.
 */
export async function loadMcpTools(
  servers: readonly McpServerSettings[],
  options: McpToolsOptions = {},
): Promise<McpTools> {
  const connections = servers.map((settings) => new McpConnection(settings, options.stderrLog));
  const closeAll = () => Promise.all(connections.map((c) => c.close()));
  const listed = await Promise.allSettled(connections.map(async (c) => ({ c, tools: await c.listTools() })));
  const failed = listed.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
  if (failed.length > 0) {
    await closeAll();
    throw new McpToolsError(`cannot take tools from MCP servers: ${failed.join('; ')}`);
  }
  const tools: Tool[] = [];
  const warnings: string[] = [];
  const origins = new Map<string, string>();
  for (const result of listed) {
    if (result.status !== 'fulfilled') continue;
    for (const tool of result.value.tools) {
      const origin = `"${tool.name}" of MCP server "${result.value.c.settings.name}"`;
      let wrapped: Tool;
      try {
        wrapped = asTool(result.value.c, tool);
      } catch (err) {
        warnings.push(`left out ${origin}: ${(err as Error).message}`);
        continue;
      }
      const clash = origins.get(wrapped.name);
      if (clash) {
        await closeAll();
        throw new McpToolsError(`${origin} and ${clash} would both be named "${wrapped.name}"; rename a server`);
      }
      origins.set(wrapped.name, origin);
      tools.push(wrapped);
    }
  }
  return { tools, warnings };
}

/**
 * Reads `PLANWRIGHT_MCP_CONFIG` and loads the tools of its servers.
 * @throws {McpConfigError} when the configuration is unreadable or wrong.
 * @throws {McpToolsError} when a server cannot be reached or names clash.
 * @example
 * const { tools } = await mcpToolsFromConfig('mcp.json');
 */
export async function mcpToolsFromConfig(config: string): Promise<McpTools> {
  return loadMcpTools(await readMcpConfig(config));
}

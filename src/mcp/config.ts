/**
 * Which MCP servers a worker takes tools from: the `mcpServers` file that Claude Desktop, Cursor and other
 * MCP clients already use, named by `PLANWRIGHT_MCP_CONFIG` (a path, or the JSON itself).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { protoKeyPath, protoKeyProblem } from '../json-config.js';

/** An MCP server run as a child process, spoken to over its stdin and stdout. */
export interface StdioServerSettings {
  kind: 'stdio';
  command: string;
  args: string[];
  /** Added to a minimal environment (PATH, HOME, USER, SHELL, TERM…), as other MCP clients do. */
  env: Record<string, string>;
  cwd?: string;
}

/** An MCP server reached over streamable HTTP. */
export interface HttpServerSettings {
  kind: 'http';
  url: string;
  headers: Record<string, string>;
}

/** One configured server, under its name in the file. */
export type McpServerSettings = (StdioServerSettings | HttpServerSettings) & { name: string };

/** Thrown when the MCP configuration cannot be read or does not describe servers planwright can use. */
export class McpConfigError extends Error {
  override readonly name = 'McpConfigError';
}

const Strings = z.record(z.string(), z.string());

/** One entry of `mcpServers`, as written by people; keys other MCP clients add (`autoApprove`…) are ignored. */
const ServerEntry = z.looseObject({
  type: z.string().optional(),
  command: z.string().min(1, 'must not be empty').optional(),
  args: z.array(z.string()).optional(),
  env: Strings.optional(),
  cwd: z.string().min(1).optional(),
  url: z.string().optional(),
  headers: Strings.optional(),
  disabled: z.boolean().optional(),
});

const ConfigFile = z.object({ mcpServers: z.record(z.string(), ServerEntry) });

const HTTP_TYPES = new Set(['http', 'streamable-http', 'streamableHttp']);

/** Reads one entry, or says what is wrong with it. */
function serverSettings(
  name: string,
  entry: z.output<typeof ServerEntry>,
  origin: string,
  baseDir: string,
): McpServerSettings {
  const where = `${origin}: server "${name}"`;
  if (entry.type === 'sse') {
    throw new McpConfigError(
      `${where}: the SSE transport is not supported; give the server's streamable HTTP endpoint as "url"`,
    );
  }
  if (entry.type !== undefined && entry.type !== 'stdio' && !HTTP_TYPES.has(entry.type)) {
    throw new McpConfigError(`${where}: unknown "type" "${entry.type}"; use "stdio" or "http" (or leave it out)`);
  }
  if (entry.command !== undefined && entry.url !== undefined) {
    throw new McpConfigError(`${where} has both "command" and "url"; give "command" for stdio or "url" for HTTP`);
  }
  if (entry.url !== undefined) {
    let url: URL;
    try {
      url = new URL(entry.url);
    } catch {
      throw new McpConfigError(`${where}: "url" ${JSON.stringify(entry.url)} is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new McpConfigError(`${where}: "url" must be http:// or https://, not ${url.protocol}`);
    }
    return { name, kind: 'http', url: url.href, headers: entry.headers ?? {} };
  }
  if (entry.command === undefined) {
    throw new McpConfigError(`${where} has neither "command" (a local server) nor "url" (a remote one)`);
  }
  return {
    name,
    kind: 'stdio',
    command: entry.command,
    args: entry.args ?? [],
    env: entry.env ?? {},
    ...(entry.cwd ? { cwd: path.resolve(baseDir, entry.cwd) } : {}),
  };
}

/**
 * Parses an MCP configuration: `{"mcpServers": {"<name>": {"command", "args", "env", "cwd"} | {"url", "headers"}}}`.
 * Entries with `"disabled": true` are left out. A relative `cwd` is taken from `baseDir`.
 * @throws {McpConfigError} naming the server and the field that is wrong.
 */
export function parseMcpConfig(text: string, origin: string, baseDir = process.cwd()): McpServerSettings[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new McpConfigError(`${origin} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const unusable = protoKeyPath(data);
  if (unusable !== undefined) throw new McpConfigError(`${origin}: ${protoKeyProblem(unusable)}`);
  const parsed = ConfigFile.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ');
    throw new McpConfigError(
      `${origin} is not an MCP configuration ({"mcpServers": {"name": {"command": …} or {"url": …}}}): ${problems}`,
    );
  }
  return Object.entries(parsed.data.mcpServers)
    .filter(([, entry]) => entry.disabled !== true)
    .map(([name, entry]) => {
      if (!/[a-z0-9]/i.test(name)) {
        throw new McpConfigError(`${origin}: server name "${name}" needs a letter or a digit`);
      }
      return serverSettings(name, entry, origin, baseDir);
    });
}

/**
 * Reads the MCP configuration `PLANWRIGHT_MCP_CONFIG` names: a file path, or the JSON itself when it starts with `{`.
 * @throws {McpConfigError} when the file cannot be read or its content is not a usable configuration.
 */
export async function readMcpConfig(value: string): Promise<McpServerSettings[]> {
  if (value.trim().startsWith('{')) return parseMcpConfig(value, 'PLANWRIGHT_MCP_CONFIG');
  const file = path.resolve(value);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new McpConfigError(`cannot read PLANWRIGHT_MCP_CONFIG=${value}: ${(err as Error).message}`, { cause: err });
  }
  return parseMcpConfig(text, `PLANWRIGHT_MCP_CONFIG=${value}`, path.dirname(file));
}

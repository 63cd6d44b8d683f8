/**
 * MCP tools over streamable HTTP, against a server built with the official SDK: schemas reach the
 * catalog, results become outputs, error results are permanent and lost connections retryable, the
 * AbortSignal cancels the request on the server, and a restarted server is connected to again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadMcpTools, McpToolsError } from '../../src/mcp/tools.js';
import { checkToolArgs } from '../../src/tools/check-args.js';
import { ToolError, toolInfo, type Tool, type ToolContext } from '../../src/tools/define.js';
import { closeToolSources } from '../../src/tools/sources.js';
import { startMcpHttpServer, type McpHttpServer } from '../support/mcp-http-server.js';

let server: McpHttpServer | undefined;
let tools: Tool[] = [];
afterEach(async () => {
  await closeToolSources(tools);
  await server?.close();
  server = undefined;
});

const heartbeats: unknown[] = [];
function ctx(signal = new AbortController().signal): ToolContext {
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  return { signal, heartbeat: (d) => heartbeats.push(d), log, workspace: process.cwd() };
}

async function connect(): Promise<Map<string, Tool>> {
  server = await startMcpHttpServer();
  ({ tools } = await loadMcpTools([{ name: 'remote', kind: 'http', url: server.url, headers: {} }]));
  return new Map(tools.map((t) => [t.name, t]));
}

async function call(tool: Tool | undefined, input: unknown, context = ctx()): Promise<unknown> {
  if (!tool) throw new Error('no such tool');
  return tool.run(tool.input.parse(input), context);
}

describe('MCP tools over streamable HTTP', () => {
  it('lists the tools under <server>__<tool> with their own JSON Schemas', async () => {
    const byName = await connect();
    expect([...byName.keys()].sort()).toEqual([
      'remote__add',
      'remote__echo',
      'remote__refuse',
      'remote__resource',
      'remote__slow',
    ]);
    const add = toolInfo(byName.get('remote__add') as Tool);
    expect(add.description).toBe('Adds two numbers. (MCP server "remote", tool "add")');
    expect(add.inputSchema).toMatchObject({
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
      required: ['a', 'b'],
    });
    expect(add.inputSchema).not.toHaveProperty('$schema');
    expect(add.outputSchema).toMatchObject({ properties: { sum: { type: 'number' } } });
    // Plans are checked against the server's schema before anything runs.
    const issues = checkToolArgs(
      [{ id: 's', title: 's', dependsOn: [], tool: 'remote__add', args: { a: 'x' } }],
      tools,
    );
    expect(issues[0]?.message).toMatch(/args do not fit remote__add's input schema: .*a: must be number/);
    expect(issues[0]?.message).toContain("must have required property 'b'");
  });

  it('turns text, structured content and resources into outputs', async () => {
    const byName = await connect();
    await expect(call(byName.get('remote__echo'), { text: 'hello' })).resolves.toEqual({ text: 'hello' });
    await expect(call(byName.get('remote__add'), { a: 2, b: 3 })).resolves.toEqual({ sum: 5 });
    await expect(call(byName.get('remote__resource'), {})).resolves.toEqual({
      text: 'see attached',
      resources: [{ uri: 'memo://1', mimeType: 'text/plain', text: 'memo body' }],
      media: [{ type: 'image', mimeType: 'image/png', data: 'iVBORw0KGgo=' }],
    });
    expect(server?.calls).toEqual(['echo:hello', 'add:2+3']);
  });

  it('reports an error result as a permanent failure, with the server’s message', async () => {
    const byName = await connect();
    const err = await call(byName.get('remote__refuse'), {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect((err as ToolError).retryable).toBe(false);
    expect((err as ToolError).message).toBe('remote__refuse reported an error: no such customer');
  });

  it('cancels the request on the server when the signal aborts, and heartbeats with progress', async () => {
    const byName = await connect();
    const abort = new AbortController();
    const running = call(byName.get('remote__slow'), { ms: 20_000, label: 'long' }, ctx(abort.signal));
    await expect.poll(() => heartbeats.length, { timeout: 5000 }).toBeGreaterThan(0);
    abort.abort();
    const err = await running.catch((e: unknown) => e);
    expect((err as ToolError).message).toContain('was cancelled');
    await expect.poll(() => server?.cancelled, { timeout: 5000 }).toEqual(['long']);
    expect(heartbeats[0]).toMatchObject({ progress: { total: 20_000 } });
  });

  it('connects again after the server restarted; a server that is gone is a retryable failure', async () => {
    const byName = await connect();
    const echo = byName.get('remote__echo');
    await expect(call(echo, { text: 'one' })).resolves.toEqual({ text: 'one' });
    const port = (server as McpHttpServer).port;
    await server?.close();
    const gone = await call(echo, { text: 'two' }).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(ToolError);
    expect((gone as ToolError).retryable).toBe(true);
    server = await startMcpHttpServer(port); // a new process: the old session is unknown to it
    const outcomes = [];
    for (const text of ['three', 'four'])
      outcomes.push(await call(echo, { text }).catch((e: ToolError) => e.retryable));
    // The first call may meet the forgotten session (a retryable 404); the next one has connected again.
    expect(outcomes.at(-1)).toEqual({ text: 'four' });
    expect(outcomes.filter((o) => o !== true && typeof o !== 'object')).toEqual([]);
  });

  it('says which server could not be reached', async () => {
    await expect(
      loadMcpTools([{ name: 'nowhere', kind: 'http', url: 'http://127.0.0.1:9/mcp', headers: {} }]),
    ).rejects.toThrow(McpToolsError);
    await expect(
      loadMcpTools([{ name: 'nowhere', kind: 'http', url: 'http://127.0.0.1:9/mcp', headers: {} }]),
    ).rejects.toThrow(/^cannot take tools from MCP servers: cannot connect to MCP server "nowhere": /);
  });
});

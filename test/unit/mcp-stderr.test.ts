/**
 * What a stdio MCP server writes to stderr may hold secrets (a connection string, a token in a stack trace): it
 * goes to the worker's log only. Tool errors, which reach the run's events, its state and the model's prompts, say
 * how the server ended and where its stderr is, never what it said.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadMcpTools } from '../../src/mcp/tools.js';
import type { Tool, ToolContext } from '../../src/tools/define.js';
import { closeToolSources } from '../../src/tools/sources.js';

const SECRET = 'postgres://admin:hunter2@db.internal/prod';
const SDK = (module: string) =>
  new URL(`../../node_modules/@modelcontextprotocol/sdk/dist/esm/${module}`, import.meta.url).href;

let dir: string;
let tools: Tool[] = [];
const logged: string[] = [];
const stderrLog = (message: string) => logged.push(message);

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pw-mcp-stderr-'));
});
afterEach(async () => {
  await closeToolSources(tools);
  tools = [];
  logged.length = 0;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A stdio server: a node script of `source`, as its configuration names it. */
async function server(name: string, source: string) {
  const script = path.join(dir, `${name}.mjs`);
  await writeFile(script, source);
  return { name, kind: 'stdio' as const, command: process.execPath, args: [script], env: {} };
}

const ctx: ToolContext = {
  signal: new AbortController().signal,
  heartbeat: () => {},
  log: { debug() {}, info() {}, warn() {}, error() {} },
  workspace: fileURLToPath(new URL('.', import.meta.url)),
};

describe("an MCP server's stderr", () => {
  it('stays out of the error when the server exits before the handshake, and goes to the log', async () => {
    const leaky = await server(
      'leaky',
      `console.error('starting with ${SECRET}');\nconsole.error('Error: cannot connect');\nprocess.exit(1);\n`,
    );
    const failure = await loadMcpTools([leaky], { stderrLog }).catch((err: Error) => err);
    expect((failure as Error).message).toBe(
      'cannot take tools from MCP servers: cannot connect to MCP server "leaky": the server exited (code 1); ' +
        "its stderr is in the worker's log",
    );
    expect(logged).toEqual([
      'cannot connect to MCP server "leaky": the server exited (code 1); the server\'s stderr (last 2 lines):\n' +
        `  starting with ${SECRET}\n  Error: cannot connect`,
    ]);
  });

  it('stays out of the error of a call during which the server died', async () => {
    const crashing = await server(
      'crashing',
      `import { McpServer } from '${SDK('server/mcp.js')}';
import { StdioServerTransport } from '${SDK('server/stdio.js')}';
const server = new McpServer({ name: 'crashing', version: '1.0.0' });
server.registerTool('crash', { description: 'Dies.' }, () => {
  process.stderr.write('Error: lost ${SECRET}\\n', () => process.exit(3));
  return new Promise(() => {});
});
await server.connect(new StdioServerTransport());
`,
    );
    ({ tools } = await loadMcpTools([crashing], { stderrLog }));
    const crash = tools.find((t) => t.name === 'crashing__crash');
    const failure = await Promise.resolve(crash?.run({}, ctx)).catch((err: Error) => err);
    expect((failure as Error).message).toBe(
      'MCP server "crashing" failed calling crash: the server exited (code 3); ' + "its stderr is in the worker's log",
    );
    expect(logged).toEqual([expect.stringContaining(`Error: lost ${SECRET}`)]);
  });

  it('is not mentioned when the server wrote none', async () => {
    const silent = await server('silent', 'process.exit(2);\n');
    await expect(loadMcpTools([silent], { stderrLog })).rejects.toThrow(
      /^cannot take tools from MCP servers: cannot connect to MCP server "silent": the server exited \(code 2\)$/,
    );
    expect(logged).toEqual([]);
  });
});

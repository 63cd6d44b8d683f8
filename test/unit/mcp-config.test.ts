import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { McpConfigError, parseMcpConfig, readMcpConfig } from '../../src/mcp/config.js';
import { mcpToolName, outputOfResult } from '../../src/mcp/tools.js';
import { ToolError } from '../../src/tools/define.js';

const parse = (config: unknown) => parseMcpConfig(JSON.stringify(config), 'mcp.json', '/etc/planwright');

describe('MCP configuration', () => {
  it('reads the mcpServers shape other MCP clients use', () => {
    expect(
      parse({
        mcpServers: {
          fs: { command: 'npx', args: ['-y', 'server-filesystem', '/data'], env: { DEBUG: '1' }, autoApprove: [] },
          local: { command: 'node', cwd: 'servers' },
          remote: { url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer t' } },
          typed: { type: 'http', url: 'http://127.0.0.1:8000/mcp' },
          off: { command: 'x', disabled: true },
        },
      }),
    ).toEqual([
      { name: 'fs', kind: 'stdio', command: 'npx', args: ['-y', 'server-filesystem', '/data'], env: { DEBUG: '1' } },
      { name: 'local', kind: 'stdio', command: 'node', args: [], env: {}, cwd: '/etc/planwright/servers' },
      { name: 'remote', kind: 'http', url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer t' } },
      { name: 'typed', kind: 'http', url: 'http://127.0.0.1:8000/mcp', headers: {} },
    ]);
  });

  it('says what is wrong, naming the server and the field', () => {
    const refused = (config: unknown) => () => parse(config);
    expect(() => parseMcpConfig('{"mcpServers": ', 'mcp.json')).toThrow(/^mcp\.json is not JSON: /);
    expect(refused({ servers: {} })).toThrow('mcp.json is not an MCP configuration');
    expect(refused({ mcpServers: { fs: { command: 'x', args: 'a b' } } })).toThrow('mcpServers.fs.args: ');
    expect(refused({ mcpServers: { fs: {} } })).toThrow('server "fs" has neither "command" (a local server) nor "url"');
    expect(refused({ mcpServers: { fs: { command: 'x', url: 'http://h/' } } })).toThrow('has both "command" and "url"');
    expect(refused({ mcpServers: { r: { url: 'not a url' } } })).toThrow('server "r": "url" "not a url" is not a URL');
    expect(refused({ mcpServers: { r: { url: 'ftp://h/x' } } })).toThrow('"url" must be http:// or https://');
    expect(refused({ mcpServers: { r: { type: 'sse', url: 'http://h/sse' } } })).toThrow(
      'SSE transport is not supported',
    );
    expect(refused({ mcpServers: { r: { type: 'ws', url: 'http://h/' } } })).toThrow('unknown "type" "ws"');
    expect(refused({ mcpServers: { '--': { command: 'x' } } })).toThrow('server name "--" needs a letter or a digit');
    expect(refused({ mcpServers: { fs: { command: 'x' } } })).not.toThrow();
  });

  it('reads a file, or the JSON itself, from PLANWRIGHT_MCP_CONFIG', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pw-mcp-config-'));
    const file = path.join(dir, 'mcp.json');
    await writeFile(file, JSON.stringify({ mcpServers: { s: { command: 'srv', cwd: '.' } } }));
    await expect(readMcpConfig(file)).resolves.toEqual([
      { name: 's', kind: 'stdio', command: 'srv', args: [], env: {}, cwd: dir },
    ]);
    await expect(readMcpConfig('{"mcpServers": {"r": {"url": "http://127.0.0.1:1/"}}}')).resolves.toHaveLength(1);
    await expect(readMcpConfig(path.join(dir, 'missing.json'))).rejects.toThrow(McpConfigError);
    await expect(readMcpConfig(path.join(dir, 'missing.json'))).rejects.toThrow(
      `cannot read PLANWRIGHT_MCP_CONFIG=${path.join(dir, 'missing.json')}: ENOENT`,
    );
  });
});

describe('MCP tool names and results', () => {
  it('names tools <server>__<tool> within the plan’s tool-name rules', () => {
    expect(mcpToolName('fs', 'read_text_file')).toBe('fs__read_text_file');
    expect(mcpToolName('My-Server', 'getIssue.v2')).toBe('my_server__getissue_v2');
    expect(mcpToolName('9lives', 'x')).toBe('t9lives__x');
    const long = mcpToolName('warehouse', 'a'.repeat(80));
    expect(long).toMatch(/^warehouse__a+_[0-9a-f]{8}$/);
    expect(long).toHaveLength(64);
    expect(mcpToolName('warehouse', 'a'.repeat(81))).not.toBe(long);
  });

  it('turns results into outputs, and error results into permanent failures', () => {
    expect(
      outputOfResult(
        {
          content: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        },
        't',
      ),
    ).toEqual({
      text: 'a\nb',
    });
    expect(outputOfResult({ content: [], structuredContent: { n: 1 } }, 't')).toEqual({ n: 1 });
    expect(
      outputOfResult(
        { content: [{ type: 'resource_link', uri: 'file:///a.csv', name: 'a.csv', mimeType: 'text/csv' }] },
        't',
      ),
    ).toEqual({ text: '', resources: [{ uri: 'file:///a.csv', name: 'a.csv', mimeType: 'text/csv' }] });
    const failure = (() => {
      try {
        outputOfResult({ content: [{ type: 'text', text: 'denied' }], isError: true }, 'fs__read');
      } catch (err) {
        return err;
      }
    })();
    expect(failure).toBeInstanceOf(ToolError);
    expect(failure).toMatchObject({ message: 'fs__read reported an error: denied', retryable: false });
  });
});

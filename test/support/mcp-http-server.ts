/**
 * An MCP server over streamable HTTP on loopback, built with the official SDK's server side: tools that
 * answer with text, with structured content, with an error result, slowly (recording cancellations), and
 * with progress notifications. Stateful: sessions are lost when it restarts, as a real server's are.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

/** A running test server; `calls` and `cancelled` record what its tools saw. */
export interface McpHttpServer {
  url: string;
  port: number;
  calls: string[];
  cancelled: string[];
  close(): Promise<void>;
}

function mcpServer(calls: string[], cancelled: string[]): McpServer {
  const server = new McpServer({ name: 'planwright-test-http', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Returns the text it is given.', inputSchema: { text: z.string() } },
    ({ text }) => {
      calls.push(`echo:${text}`);
      return { content: [{ type: 'text', text }] };
    },
  );
  server.registerTool(
    'add',
    {
      description: 'Adds two numbers.',
      inputSchema: { a: z.number(), b: z.number() },
      outputSchema: { sum: z.number() },
    },
    ({ a, b }) => {
      calls.push(`add:${a}+${b}`);
      return { content: [{ type: 'text', text: String(a + b) }], structuredContent: { sum: a + b } };
    },
  );
  server.registerTool('refuse', { description: 'Always reports an error.' }, () => {
    calls.push('refuse');
    return { content: [{ type: 'text', text: 'no such customer' }], isError: true };
  });
  server.registerTool(
    'slow',
    {
      description: 'Waits, reporting progress, until done or cancelled.',
      inputSchema: { ms: z.number(), label: z.string() },
    },
    async ({ ms, label }, extra) => {
      calls.push(`slow:${label}`);
      const started = Date.now();
      while (Date.now() - started < ms) {
        if (extra.signal.aborted) {
          cancelled.push(label);
          return { content: [{ type: 'text', text: 'cancelled' }], isError: true };
        }
        const token = extra._meta?.progressToken;
        if (token !== undefined) {
          await extra.sendNotification({
            method: 'notifications/progress',
            params: { progressToken: token, progress: Date.now() - started, total: ms },
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return { content: [{ type: 'text', text: `waited ${ms} ms` }] };
    },
  );
  server.registerTool('resource', { description: 'Returns an embedded resource and an image.' }, () => ({
    content: [
      { type: 'text', text: 'see attached' },
      { type: 'resource', resource: { uri: 'memo://1', mimeType: 'text/plain', text: 'memo body' } },
      { type: 'image', mimeType: 'image/png', data: 'iVBORw0KGgo=' },
    ],
  }));
  return server;
}

/**
 * Starts the server on loopback (on `port`, when given: to restart one at the same address).
 * @example const server = await startMcpHttpServer(); // server.url is http://127.0.0.1:<port>/mcp
 */
export async function startMcpHttpServer(port = 0): Promise<McpHttpServer> {
  const calls: string[] = [];
  const cancelled: string[] = [];
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const http: Server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown) : undefined;
      const id = req.headers['mcp-session-id'];
      let transport = typeof id === 'string' ? sessions.get(id) : undefined;
      if (!transport) {
        if (id !== undefined || !isInitializeRequest(body)) {
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"unknown session"}');
          return;
        }
        const created = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (sessionId) => void sessions.set(sessionId, created),
        });
        transport = created;
        await mcpServer(calls, cancelled).connect(created);
      }
      await transport.handleRequest(req, res, body);
    })().catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500).end(err.message);
    });
  });
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  const bound = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/mcp`,
    port: bound,
    calls,
    cancelled,
    async close() {
      await Promise.all([...sessions.values()].map((t) => t.close().catch(() => undefined)));
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

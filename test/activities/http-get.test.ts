/**
 * http_get against real HTTP servers on loopback: allowlist, redirects, size cap, timeout, private addresses.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolContext } from '../../src/tools/define.js';
import { ToolError } from '../../src/tools/define.js';
import { createHttpGet, isPrivateAddress, type HttpGetPolicy } from '../../src/tools/http-get.js';
import { rejectionOf } from '../support/rejection.js';

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/hello') return res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
    if (req.url === '/to-hello') return res.writeHead(302, { location: '/hello' }).end();
    if (req.url === '/to-elsewhere') return res.writeHead(302, { location: 'http://elsewhere.example/' }).end();
    if (req.url === '/big') return res.writeHead(200, { 'content-length': '5000' }).end('x'.repeat(5000));
    if (req.url === '/big-chunked') {
      res.writeHead(200);
      res.write('x'.repeat(3000));
      return res.end('x'.repeat(3000));
    }
    if (req.url === '/slow') return; // never answers
    if (req.url === '/busy') return res.writeHead(503).end('busy');
    res.writeHead(404).end('no');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const policy = (over: Partial<HttpGetPolicy> = {}): HttpGetPolicy => ({
  allow: ['127.0.0.1', 'localhost'],
  allowPrivate: true,
  timeoutMs: 1000,
  maxBytes: 4000,
  maxRedirects: 5,
  ...over,
});
const ctx = { signal: new AbortController().signal, heartbeat: () => {} } as unknown as ToolContext;
const get = (url: string, over: Partial<HttpGetPolicy> = {}) => {
  const tool = createHttpGet(() => policy(over));
  return Promise.resolve(tool.run(tool.input.parse({ url }), ctx));
};

const refusal = (promise: Promise<unknown>) => rejectionOf(promise, ToolError);

describe('http_get', () => {
  it('fetches from an allowed host and follows a redirect on it', async () => {
    await expect(get(`${base}/hello`)).resolves.toEqual({
      url: `${base}/hello`,
      status: 200,
      contentType: 'text/plain',
      text: 'hello',
    });
    await expect(get(`${base}/to-hello`)).resolves.toMatchObject({ url: `${base}/hello`, text: 'hello' });
  });

  it('refuses a host that is not allowed, before connecting', async () => {
    const err = await refusal(get('http://example.org/', { allow: ['api.example.com'] }));
    expect(err.message).toBe('host example.org is not allowed; allowed: api.example.com (set PLANWRIGHT_HTTP_ALLOW)');
    expect(err.retryable).toBe(false);
  });

  it('refuses a redirect to a host that is not allowed', async () => {
    const err = await refusal(get(`${base}/to-elsewhere`));
    expect(err.message).toBe(
      'redirect (302) to http://elsewhere.example/ refused: host elsewhere.example is not allowed; allowed: 127.0.0.1, localhost (set PLANWRIGHT_HTTP_ALLOW)',
    );
  });

  it('refuses loopback and private addresses unless allowed explicitly, even for an allowed name', async () => {
    const port = new URL(base).port;
    const err = await refusal(get(`http://localhost:${port}/hello`, { allowPrivate: false }));
    expect(err.message).toMatch(/^localhost resolves to (127\.0\.0\.1|::1), a private or loopback address$/);
    expect(err.retryable).toBe(false);
    expect(
      [
        '127.0.0.1',
        '10.1.2.3',
        '192.168.0.1',
        '172.20.0.1',
        '169.254.169.254',
        '::1',
        'fd00::1',
        '::ffff:10.0.0.1',
      ].every(isPrivateAddress),
    ).toBe(true);
    expect(['93.184.216.34', '2606:4700::1111'].some(isPrivateAddress)).toBe(false);
  });

  it('refuses bodies over the size cap, declared or streamed', async () => {
    expect((await refusal(get(`${base}/big`))).message).toBe('the response has 5000 bytes; at most 4000 are read');
    expect((await refusal(get(`${base}/big-chunked`))).message).toBe('the response is larger than 4000 bytes');
  });

  it('gives up on a silent server after the timeout, as a retryable failure', async () => {
    const err = await refusal(get(`${base}/slow`, { timeoutMs: 200 }));
    expect(err.message).toMatch(/^no answer from 127\.0\.0\.1:\d+ within 200 ms$/);
    expect(err.retryable).toBe(true);
  });

  it('treats 5xx as retryable and refuses other schemes and credentials', async () => {
    expect((await refusal(get(`${base}/busy`))).retryable).toBe(true);
    expect((await refusal(get('file:///etc/passwd'))).message).toBe('only http and https URLs are fetched, not file:');
    expect((await refusal(get('http://user:pw@127.0.0.1/'))).message).toBe('URLs with credentials are refused');
  });
});

/**
 * http_get against real HTTP servers on loopback: allowlist, redirects, size cap, timeout, private addresses.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolContext } from '../../src/tools/define.js';
import { ToolError } from '../../src/tools/define.js';
import { createHttpGet, type HttpGetPolicy } from '../../src/tools/http-get.js';
import { rejectionOf } from '../support/rejection.js';

let server: Server;
let base: string;
/** The same pages on IPv6 loopback (`::1`), to show that `[::1]` literals reach a server unless refused. */
let server6: Server;
let port6: number;

const pages = (req: IncomingMessage, res: ServerResponse) => {
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
  if (req.url === '/to-nowhere') return res.writeHead(302, { location: 'http://[oops' }).end();
  if (req.url === '/drip') {
    // A byte every 50 ms for 3 s: never idle long enough for an idle timeout.
    res.writeHead(200, { 'content-type': 'text/plain' });
    const timer = setInterval(() => res.write('x'), 50);
    const stop = () => clearInterval(timer);
    res.on('close', stop);
    return setTimeout(() => (stop(), res.end()), 3000);
  }
  if (req.url === '/busy') return res.writeHead(503).end('busy');
  res.writeHead(404).end('no');
};

beforeAll(async () => {
  server = createServer(pages);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  server6 = createServer(pages);
  await new Promise<void>((r) => server6.listen(0, '::1', r));
  port6 = (server6.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const s of [server, server6]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
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
    expect(err.message).toMatch(
      /^localhost resolves to (127\.0\.0\.1|::1), a private, loopback, link-local or reserved address, which http_get refuses; set PLANWRIGHT_HTTP_ALLOW_PRIVATE=1 to allow private addresses$/,
    );
    expect(err.retryable).toBe(false);
    await expect(get(`http://localhost:${port}/hello`)).resolves.toMatchObject({ text: 'hello' });
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

  it('refuses a redirect to a Location that is not a URL, as a tool error rather than a crash', async () => {
    const err = await refusal(get(`${base}/to-nowhere`));
    expect(err.message).toBe('redirect (302) to "http://[oops" refused: it is not a URL');
    expect(err.retryable).toBe(false);
  }, 5000);

  it('gives up on a server that answers a byte at a time once the whole call took its time limit', async () => {
    const started = Date.now();
    const err = await refusal(get(`${base}/drip`, { timeoutMs: 400 }));
    expect(Date.now() - started).toBeLessThan(1500);
    expect(err.message).toMatch(/^the answer from 127\.0\.0\.1:\d+ did not end within 400 ms \(\d+ bytes read\)$/);
    expect(err.retryable).toBe(true);
  });

  it('stops at once when the activity is cancelled', async () => {
    const cancel = new AbortController();
    const tool = createHttpGet(() => policy({ timeoutMs: 5000 }));
    const call = Promise.resolve(
      tool.run(tool.input.parse({ url: `${base}/slow` }), { ...ctx, signal: cancel.signal }),
    );
    setTimeout(() => cancel.abort(), 100);
    const err = await refusal(call);
    expect(err.message).toMatch(/^the request to 127\.0\.0\.1:\d+ was cancelled$/);
    expect(err.retryable).toBe(true);
  });

  it('treats 5xx as retryable and refuses other schemes and credentials', async () => {
    expect((await refusal(get(`${base}/busy`))).retryable).toBe(true);
    expect((await refusal(get('file:///etc/passwd'))).message).toBe('only http and https URLs are fetched, not file:');
    expect((await refusal(get('http://user:pw@127.0.0.1/'))).message).toBe('URLs with credentials are refused');
  });
});

describe('http_get refuses private addresses written as IP literals, even when the literal is allowlisted', () => {
  const port = () => Number(new URL(base).port);

  /**
   * Fetches `url` twice with `allow` as the allowlist: with private addresses allowed it must reach the loopback
   * server (so the literal really points at it), and without it must be refused before anything is sent.
   */
  const refusedLiteral = async (url: string, allow: string[]) => {
    await expect(get(url, { allow, allowPrivate: true })).resolves.toMatchObject({ status: 200, text: 'hello' });
    const err = await refusal(get(url, { allow, allowPrivate: false }));
    expect(err.retryable).toBe(false);
    expect(err.message).toBe(
      `${new URL(url).hostname.replace(/^\[|\]$/g, '')} is a private, loopback, link-local or reserved address, ` +
        'which http_get refuses; set PLANWRIGHT_HTTP_ALLOW_PRIVATE=1 to allow private addresses',
    );
  };

  // WHATWG URL parsing rewrites 2130706433, 0x7f000001 and 0x7f.0.0.1 as 127.0.0.1, so both spellings are allowed.
  it.each([
    ['127.0.0.1', () => `http://127.0.0.1:${port()}/hello`, ['127.0.0.1']],
    ['2130706433 (decimal 127.0.0.1)', () => `http://2130706433:${port()}/hello`, ['2130706433', '127.0.0.1']],
    ['0x7f000001 (hex 127.0.0.1)', () => `http://0x7f000001:${port()}/hello`, ['0x7f000001', '127.0.0.1']],
    ['0x7f.0.0.1 (dotted hex 127.0.0.1)', () => `http://0x7f.0.0.1:${port()}/hello`, ['0x7f.0.0.1', '127.0.0.1']],
    ['[::1]', () => `http://[::1]:${port6}/hello`, ['::1']],
    [
      '[::ffff:7f00:1] (IPv4-mapped 127.0.0.1)',
      () => `http://[::ffff:7f00:1]:${port()}/hello`,
      ['::ffff:7f00:1', '::ffff:127.0.0.1'],
    ],
  ] as const)('refuses the loopback literal %s', async (_name, url, allow) => {
    await refusedLiteral(url(), [...allow]);
  });

  it('refuses metadata, link-local, private, reserved and unspecified addresses however they are written', async () => {
    const hosts = [
      '169.254.169.254', // cloud metadata
      '2852039166', // 169.254.169.254, decimal
      '0xa9fea9fe', // 169.254.169.254, hex
      '[::ffff:169.254.169.254]',
      '[::ffff:a9fe:a9fe]',
      '169.254.1.1',
      '[fe80::1]',
      '10.0.0.1',
      '012.0.0.1', // octal 10.0.0.1
      '172.16.0.1',
      '192.168.1.1',
      '100.64.0.1',
      '[fd00::1]',
      '[::ffff:10.0.0.1]',
      '0.0.0.0',
      '0',
      '[::]',
      '127.1',
      '0177.0.0.1',
      '224.0.0.1',
    ];
    const origins = [...hosts.map((host) => `http://${host}`), 'https://127.0.0.1', 'https://[::1]'];
    const outcomes: Record<string, string> = {};
    for (const origin of origins) {
      const url = `${origin}:${port()}/hello`;
      const raw = origin.replace(/^https?:\/\/\[?|\]$/g, '');
      const allow = [raw, new URL(url).hostname.replace(/^\[|\]$/g, '')];
      outcomes[origin] = await get(url, { allow, allowPrivate: false, timeoutMs: 300 }).then(
        (out) => `fetched: ${JSON.stringify(out)}`,
        (err: unknown) =>
          err instanceof ToolError &&
          !err.retryable &&
          /private, loopback/.test(err.message) &&
          err.message.includes('set PLANWRIGHT_HTTP_ALLOW_PRIVATE=1')
            ? 'refused'
            : `other failure: ${String(err)}`,
      );
    }
    expect(outcomes).toEqual(Object.fromEntries(origins.map((o) => [o, 'refused'])));
  });
});

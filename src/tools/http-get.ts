/**
 * `http_get`: fetches a URL from an allowlist of hosts (`PLANWRIGHT_HTTP_ALLOW`), with a timeout and a
 * size cap, following redirects only to allowed hosts, and refusing private and loopback addresses unless
 * allowed explicitly (`PLANWRIGHT_HTTP_ALLOW_PRIVATE=1`). Addresses are checked when the socket connects,
 * so a name that resolves to a private address is refused however it was reached.
 */
import { lookup } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { z } from 'zod';
import { defineTool, ToolError, type Tool } from './define.js';

/** How `http_get` is limited. */
export interface HttpGetPolicy {
  /** Hosts that may be fetched: exact names, or `*.example.com` for its subdomains. Empty: none. */
  allow: readonly string[];
  /** Allow private, loopback and link-local addresses. */
  allowPrivate: boolean;
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
}

/** Reads the policy from `PLANWRIGHT_HTTP_ALLOW`, `PLANWRIGHT_HTTP_ALLOW_PRIVATE`, `PLANWRIGHT_HTTP_MAX_BYTES`. */
export function httpPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): HttpGetPolicy {
  return {
    allow: (env.PLANWRIGHT_HTTP_ALLOW ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
    allowPrivate: env.PLANWRIGHT_HTTP_ALLOW_PRIVATE === '1',
    timeoutMs: 15_000,
    maxBytes: Number(env.PLANWRIGHT_HTTP_MAX_BYTES) > 0 ? Number(env.PLANWRIGHT_HTTP_MAX_BYTES) : 256_000,
    maxRedirects: 5,
  };
}

const privateRanges = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  privateRanges.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  privateRanges.addSubnet(net, prefix, 'ipv6');
}

/** Whether an IP address is private, loopback, link-local or otherwise not on the public internet. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return privateRanges.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    return mapped ? privateRanges.check(mapped, 'ipv4') : privateRanges.check(address, 'ipv6');
  }
  return true;
}

function hostAllowed(host: string, allow: readonly string[]): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  return allow.some((rule) => (rule.startsWith('*.') ? name.endsWith(rule.slice(1)) : name === rule));
}

/** Checks a URL against the policy before anything is sent. @throws {ToolError} (not retryable). */
function checkUrl(raw: string, policy: HttpGetPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ToolError(`"${raw}" is not a URL`, false);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ToolError(`only http and https URLs are fetched, not ${url.protocol}`, false);
  if (url.username || url.password) throw new ToolError('URLs with credentials are refused', false);
  if (!hostAllowed(url.hostname, policy.allow)) {
    throw new ToolError(
      `host ${url.hostname} is not allowed; allowed: ${policy.allow.join(', ') || 'none'} (set PLANWRIGHT_HTTP_ALLOW)`,
      false,
    );
  }
  return url;
}

/** A DNS lookup that refuses private addresses unless the policy allows them. */
function guardedLookup(policy: HttpGetPolicy): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 4);
      const list = addresses as Array<{ address: string; family: number }>;
      const refused = list.find((a) => isPrivateAddress(a.address));
      if (refused && !policy.allowPrivate) {
        return callback(
          Object.assign(new Error(`${hostname} resolves to ${refused.address}, a private or loopback address`), {
            code: 'EPRIVATE',
          }),
          '',
          4,
        );
      }
      if (options.all) return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
      const first = list[0] as { address: string; family: number };
      callback(null, first.address, first.family);
    });
  };
}

interface Fetched {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function fetchOnce(
  url: URL,
  policy: HttpGetPolicy,
  signal: AbortSignal,
): Promise<Fetched | { redirect: string; status: number }> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        method: 'GET',
        lookup: guardedLookup(policy),
        timeout: policy.timeoutMs,
        signal,
        headers: { 'user-agent': 'planwright-http-get' },
      },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location) {
          res.resume();
          return resolve({ redirect: new URL(res.headers.location, url).href, status });
        }
        const declared = Number(res.headers['content-length']);
        if (declared > policy.maxBytes) {
          res.destroy();
          return reject(
            new ToolError(`the response has ${declared} bytes; at most ${policy.maxBytes} are read`, false),
          );
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > policy.maxBytes) {
            res.destroy();
            reject(new ToolError(`the response is larger than ${policy.maxBytes} bytes`, false));
          } else chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({
            status,
            headers: Object.fromEntries(
              Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]),
            ),
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
      },
    );
    request.on('timeout', () =>
      request.destroy(new ToolError(`no answer from ${url.host} within ${policy.timeoutMs} ms`, true)),
    );
    request.on('error', (err: NodeJS.ErrnoException) => {
      if (err instanceof ToolError) return reject(err);
      if (err.code === 'EPRIVATE') return reject(new ToolError(err.message, false));
      reject(new ToolError(`cannot fetch ${url.href}: ${err.message}`, true, { cause: err }));
    });
    request.end();
  });
}

/**
 * Creates `http_get` with a policy (default: read from the environment at each call).
 * @example createHttpGet(() => ({ ...httpPolicyFromEnv(), allow: ['api.example.com'] }))
 */
export function createHttpGet(policy: () => HttpGetPolicy = () => httpPolicyFromEnv()): Tool {
  return defineTool({
    name: 'http_get',
    description:
      'Fetches a web page or API response with GET from an allowed host and returns its status, content type and text ' +
      '(redirects followed only to allowed hosts; size and time are capped).',
    input: z.object({ url: z.string().min(1).max(4000) }),
    output: z.object({ url: z.string(), status: z.number(), contentType: z.string(), text: z.string() }),
    async run({ url: raw }, ctx) {
      const limits = policy();
      let url = checkUrl(raw, limits);
      for (let hop = 0; ; hop++) {
        ctx.heartbeat({ url: url.href });
        const result = await fetchOnce(url, limits, ctx.signal);
        if ('redirect' in result) {
          if (hop >= limits.maxRedirects) throw new ToolError(`more than ${limits.maxRedirects} redirects`, false);
          try {
            url = checkUrl(result.redirect, limits);
          } catch (err) {
            throw new ToolError(
              `redirect (${result.status}) to ${result.redirect} refused: ${(err as Error).message}`,
              false,
            );
          }
          continue;
        }
        if (result.status >= 500 || result.status === 429) {
          throw new ToolError(`${url.href} answered ${result.status}`, true);
        }
        return {
          url: url.href,
          status: result.status,
          contentType: result.headers['content-type'] ?? '',
          text: result.body.toString('utf8'),
        };
      }
    },
  });
}

/** The `http_get` tool, configured from the environment. */
export const httpGet = createHttpGet();

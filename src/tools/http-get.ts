/**
 * `http_get`: fetches a URL from an allowlist of hosts (`PLANWRIGHT_HTTP_ALLOW`), with a timeout and a
 * size cap, following redirects only to allowed hosts, and refusing private and loopback addresses unless
 * allowed explicitly (`PLANWRIGHT_HTTP_ALLOW_PRIVATE=1`). Addresses are checked by `request-filtering-agent`
 * when the socket connects, for IP literals (in any spelling) and resolved names alike, so a private address
 * is refused however it was reached, redirects included.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { useAgent } from 'request-filtering-agent';
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

/**
 * How `request-filtering-agent` words a refusal: "DNS lookup <address>(family:<n>, host:<name>) is not allowed.
 * Because, It is private IP address." (or "meta IP address" for 0.0.0.0 and ::), for IP literals too.
 */
const filteredAddress = /^DNS lookup (.+?)\(family:[^)]*\) is not allowed\./;

/** The refusal of a private address, if `err` is the agent refusing one. */
function privateRefusal(err: Error, url: URL): ToolError | undefined {
  const address = filteredAddress.exec(err.message)?.[1];
  if (address === undefined) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new ToolError(
    `${host === address ? `${address} is` : `${host} resolves to ${address},`} a private, loopback, link-local ` +
      'or reserved address, which http_get refuses; set PLANWRIGHT_HTTP_ALLOW_PRIVATE=1 to allow private addresses',
    false,
    { cause: err },
  );
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
        // Refuses private addresses when the socket connects; the default agent when they are allowed.
        agent: policy.allowPrivate ? undefined : useAgent(url.href),
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
      const refused = policy.allowPrivate ? undefined : privateRefusal(err, url);
      if (refused) return reject(refused);
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

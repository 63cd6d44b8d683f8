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
import { defineTool, ToolError, type Tool, type ToolContext } from './define.js';

/** How `http_get` is limited. */
export interface HttpGetPolicy {
  /** Hosts that may be fetched: exact names, or `*.example.com` for its subdomains. Empty: none. */
  allow: readonly string[];
  /** Allow private, loopback and link-local addresses. */
  allowPrivate: boolean;
  /** How long one call may take in all: connecting, the headers, the whole body, and every redirect. */
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

/** A redirect to follow: where to, and the status that asked for it. */
interface Redirect {
  redirect: string;
  status: number;
}

/** Where a redirect leads: its `Location` read against the URL that answered, or the reason it cannot be followed. */
function redirectTarget(location: string, from: URL, status: number): Redirect {
  try {
    return { redirect: new URL(location, from).href, status };
  } catch (err) {
    throw new ToolError(`redirect (${status}) to ${JSON.stringify(location)} refused: it is not a URL`, false, {
      cause: err,
    });
  }
}

/**
 * One GET, until its body ends. It stops when `signal` aborts: the whole call's time limit (`late` then says so) or
 * the activity's cancellation.
 */
function fetchOnce(
  url: URL,
  policy: HttpGetPolicy,
  signal: AbortSignal,
  late: AbortSignal,
): Promise<Fetched | Redirect> {
  return new Promise((resolve, reject) => {
    /** Bytes of the body read so far, once the headers came. */
    let received: number | undefined;
    const onAbort = (): void =>
      fail(
        late.aborted
          ? received === undefined
            ? new ToolError(`no answer from ${url.host} within ${policy.timeoutMs} ms`, true)
            : new ToolError(
                `the answer from ${url.host} did not end within ${policy.timeoutMs} ms (${received} bytes read)`,
                true,
              )
          : new ToolError(`the request to ${url.host} was cancelled`, true, { cause: signal.reason }),
      );
    const settled = () => signal.removeEventListener('abort', onAbort);
    const succeed = (value: Fetched | Redirect) => {
      settled();
      resolve(value);
    };
    const fail = (err: unknown) => {
      settled();
      request.destroy();
      reject(err);
    };
    // The callbacks run outside this promise, on the socket's events: anything one throws would end the worker
    // process, so it fails this request instead.
    const guarded =
      <A extends unknown[]>(callback: (...args: A) => void) =>
      (...args: A): void => {
        try {
          callback(...args);
        } catch (err) {
          fail(err);
        }
      };
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        method: 'GET',
        // Refuses private addresses when the socket connects; the default agent when they are allowed.
        agent: policy.allowPrivate ? undefined : useAgent(url.href),
        headers: { 'user-agent': 'planwright-http-get' },
      },
      guarded((res: IncomingMessage) => {
        received = 0;
        res.on('error', guarded(fail));
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location) {
          // Its body is not read: a server sending one without end must not keep the socket busy after the call.
          succeed(redirectTarget(res.headers.location, url, status));
          return request.destroy();
        }
        const declared = Number(res.headers['content-length']);
        if (declared > policy.maxBytes) {
          return fail(new ToolError(`the response has ${declared} bytes; at most ${policy.maxBytes} are read`, false));
        }
        const chunks: Buffer[] = [];
        res.on(
          'data',
          guarded((chunk: Buffer) => {
            received = (received ?? 0) + chunk.length;
            if (received > policy.maxBytes)
              fail(new ToolError(`the response is larger than ${policy.maxBytes} bytes`, false));
            else chunks.push(chunk);
          }),
        );
        res.on(
          'end',
          guarded(() =>
            succeed({
              status,
              headers: Object.fromEntries(
                Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]),
              ),
              body: Buffer.concat(chunks),
            }),
          ),
        );
      }),
    );
    request.on(
      'error',
      guarded((err: NodeJS.ErrnoException) => {
        if (err instanceof ToolError) return fail(err);
        const refused = policy.allowPrivate ? undefined : privateRefusal(err, url);
        fail(refused ?? new ToolError(`cannot fetch ${url.href}: ${err.message}`, true, { cause: err }));
      }),
    );
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort);
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
      const url = checkUrl(raw, limits);
      // One time limit for the whole call (connecting, headers, body, redirects), however the server paces it.
      const late = new AbortController();
      const timer = setTimeout(() => late.abort(), limits.timeoutMs);
      try {
        return await follow(url, limits, ctx, late.signal);
      } finally {
        clearTimeout(timer);
      }
    },
  });
}

/** Fetches `url`, following redirects to allowed hosts, until `late` aborts. @throws {ToolError} */
async function follow(url: URL, limits: HttpGetPolicy, ctx: ToolContext, late: AbortSignal) {
  const signal = AbortSignal.any([ctx.signal, late]);
  for (let hop = 0; ; hop++) {
    ctx.heartbeat({ url: url.href });
    const result = await fetchOnce(url, limits, signal, late);
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
}

/** The `http_get` tool, configured from the environment. */
export const httpGet = createHttpGet();

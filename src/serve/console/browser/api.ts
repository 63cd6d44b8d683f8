/**
 * The console's calls to the API: the token kept in sessionStorage and sent as a bearer token, problem details
 * (RFC 9457) turned into errors that carry their message, and a run's stream read as Server-Sent Events that
 * resumes from its last offset (`Last-Event-ID`) when the connection drops.
 */
import { parseSse, type SseMessage } from '../sse.js';

const TOKEN_KEY = 'planwright.token';

/** What the server tells the console (`/console/config.json`). */
export interface ConsoleConfig {
  tokenRequired: boolean;
  webUi?: string;
  namespace: string;
}

/** An error of the API, with the problem's title and its message for people. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

/** The token kept for this tab, if any. */
export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const t = token.get();
  return { ...(t ? { authorization: `Bearer ${t}` } : {}), ...extra };
}

/** The error a response that is not OK stands for: its problem's detail, or its status line. */
async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const problem = JSON.parse(text) as { title?: string; detail?: string };
    if (problem.detail) return new ApiError(response.status, problem.title ?? 'Error', problem.detail);
  } catch {
    // not JSON: fall through to the status line
  }
  return new ApiError(
    response.status,
    response.statusText || 'Error',
    `${response.status} ${response.statusText} ${text.slice(0, 200)}`.trim(),
  );
}

/**
 * A JSON request to the API.
 * @throws {ApiError} with the problem's message when the API answers with an error.
 */
export async function api<T>(path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as T;
}

/** How following a run's stream goes, for the page to show. */
export interface FollowHooks {
  onMessage: (message: SseMessage) => void;
  /** The connection is (re)established or lost (with why). */
  onConnection: (state: 'live' | 'retrying' | 'ended', error?: Error) => void;
}

/**
 * Follows a run's stream from offset `from` until it ends (an `end` event) or `signal` aborts; resumes after the
 * last offset read when the connection drops.
 * @throws {ApiError} for a refusal that retrying does not cure (an unknown run, a wrong token).
 */
export async function follow(workflowId: string, from: number, hooks: FollowHooks, signal: AbortSignal): Promise<void> {
  let next = from;
  let pause = 500;
  while (!signal.aborted) {
    try {
      const response = await fetch(`/runs/${encodeURIComponent(workflowId)}/events`, {
        headers: headers(next > 0 ? { 'Last-Event-ID': String(next - 1) } : {}),
        signal,
      });
      if (!response.ok) throw await errorOf(response);
      hooks.onConnection('live');
      pause = 500;
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const { messages, rest } = parseSse(buffer + value);
        buffer = rest;
        for (const message of messages) {
          if (message.event === 'end') {
            hooks.onConnection('ended');
            return;
          }
          if (message.id !== undefined) next = Number(message.id) + 1;
          hooks.onMessage(message);
        }
      }
      throw new Error('the connection closed');
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && err.status >= 400 && err.status < 500) throw err;
      hooks.onConnection('retrying', err as Error);
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 10_000);
    }
  }
}

/** A link to a run in the Temporal Web UI, when the server knows where it is. */
export function webUiLink(config: ConsoleConfig, workflowId: string): string | undefined {
  if (!config.webUi) return undefined;
  const base = config.webUi.replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/**
 * Failures of model calls, classified once: what Temporal may retry (and when), what it may not, and what to
 * change in the settings when a server refuses a request.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../contract/errors.js';
import type { ModelConfig } from './config.js';

/** Whether a failure is a server refusing JSON-schema structured output (so JSON mode may work). */
export function refusesJsonSchema(err: unknown): boolean {
  const cause = err instanceof ApplicationFailure ? err.cause : err;
  return (
    cause instanceof APIError &&
    (cause.status === 400 || cause.status === 422) &&
    /response_format|json_schema|structured output|grammar/i.test(cause.message)
  );
}

/** Which rule a server's 400 says the request broke, and the setting that avoids it. */
export function badRequestAdvice(serverSays: string): string {
  const rules: Array<[RegExp, string]> = [
    [
      /(max_tokens|max_completion_tokens)\b.*too large|supports at most \d+ (completion|output) tokens/i,
      'the output cap is more than the model may write (the default cap of a plan grows with maxSteps); set ' +
        'PLANWRIGHT_MAX_TOKENS to what it allows, lower maxSteps, or plan in batches with a horizon',
    ],
    [
      /alternate|roles? must|conversation roles|system message/i,
      "the server's chat template requires roles that alternate user/assistant after one system message",
    ],
    [
      /context|too long|exceeds? .*(tokens|length)|n_ctx|maximum .*length/i,
      "the request is longer than the model's context window; lower PLANWRIGHT_CONTEXT_TOKENS or load the model with a larger context",
    ],
    [
      /response_format|json_schema|json schema|grammar|structured output/i,
      'the server does not accept JSON-schema structured output; set PLANWRIGHT_STRUCTURED_OUTPUT=json_object',
    ],
    [
      /tool_choice|tools|function call|tool call/i,
      'the server or model does not support tool calling; set PLANWRIGHT_TOOL_CALLS=json',
    ],
    [
      /max_completion_tokens|max_tokens/i,
      'the server does not take this output cap field; set PLANWRIGHT_MAX_TOKENS_FIELD to max_tokens or max_completion_tokens',
    ],
    [/temperature/i, 'this model does not take a temperature; set PLANWRIGHT_TEMPERATURE=default'],
  ];
  return rules.find(([pattern]) => pattern.test(serverSays))?.[1] ?? 'the server refused the request as malformed';
}

/** Seconds to wait from a `Retry-After` (or `retry-after-ms`) header, if the server sent one. */
function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * Turns an `openai` client error into an `ApplicationFailure` that Temporal's retry policy understands:
 * 408, 409, 429, 5xx, connection errors and timeouts are retryable (429 honors `Retry-After`);
 * other statuses are not, with a message that says what to fix.
 */
export function classifyModelError(err: unknown, config: Pick<ModelConfig, 'model' | 'baseURL'>): ApplicationFailure {
  const where = config.baseURL ?? 'api.openai.com';
  if (err instanceof APIConnectionTimeoutError || err instanceof APIConnectionError) {
    return ApplicationFailure.create({
      type: ErrorType.ModelUnavailable,
      message: `cannot reach the model at ${where}: ${err.message}`,
      cause: err,
    });
  }
  if (err instanceof APIError && err.status !== undefined) {
    const status = err.status;
    const serverSays = err.message;
    if (status === 408 || status === 409 || status === 429 || status >= 500) {
      const delay = retryAfterMs(err.headers);
      return ApplicationFailure.create({
        type: ErrorType.ModelUnavailable,
        message: `the model server at ${where} answered ${status}: ${serverSays}`,
        ...(delay !== undefined ? { nextRetryDelay: delay } : {}),
        cause: err,
      });
    }
    const advice: Record<number, string> = {
      400: badRequestAdvice(serverSays),
      401: 'the API key was refused; set OPENAI_API_KEY to a valid key',
      403: 'the API key may not use this model or endpoint',
      404: `model "${config.model}" or the endpoint was not found; check PLANWRIGHT_MODEL and OPENAI_BASE_URL`,
      422: 'the request was refused as unprocessable',
    };
    return ApplicationFailure.create({
      type: ErrorType.ModelRequestRejected,
      nonRetryable: true,
      message: `${advice[status] ?? 'the model server refused the request'} (${status} from ${where}: ${serverSays})`,
      cause: err,
    });
  }
  if (err instanceof ApplicationFailure) return err;
  return ApplicationFailure.create({
    type: ErrorType.ModelUnavailable,
    message: `model call failed: ${(err as Error)?.message ?? String(err)}`,
    cause: err instanceof Error ? err : undefined,
  });
}

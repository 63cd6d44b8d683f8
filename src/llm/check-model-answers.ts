/**
 * How check-model reads what a server answered: the first choice of a completion and whether its JSON does, with
 * the short quotes a probe's details are written in.
 */
import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { z } from 'zod';

/** How a probe ended, as its run tells it (`skipped` is decided before it runs). */
export type Outcome = { status: 'ok' | 'unsupported' | 'failed'; detail: string; truncated?: true };

/** The first choice of a completion: its text, why it ended, and the tool calls it asks for. */
export interface Answer {
  content: string;
  finish: string;
  toolCalls: Array<{ name: string; arguments: string }>;
}

/**
 * The first choice of a completion.
 * @throws {Error} when the completion has no choice.
 */
export function answerOf(completion: ChatCompletion): Answer {
  const choice = completion.choices?.[0];
  if (!choice) throw new Error('the answer has no choices');
  const toolCalls = (choice.message.tool_calls ?? []).flatMap((c) =>
    c.type === 'function' ? [{ name: c.function.name, arguments: c.function.arguments }] : [],
  );
  return { content: choice.message.content ?? '', finish: String(choice.finish_reason ?? 'none'), toolCalls };
}

/**
 * Why a structured answer does not do, or undefined when it parses and `check` finds nothing wrong (`check`
 * says what is wrong with the JSON: "does not match the schema: …").
 */
export function checkAnswer(
  reply: Answer,
  cap: number,
  check: (value: unknown) => string | undefined,
): Outcome | undefined {
  if (reply.finish === 'length') {
    return {
      status: 'failed',
      detail: `cut off at the cap (${cap} tokens) before the JSON ended: ${quote(reply.content)}`,
      truncated: true,
    };
  }
  const parsed = parseJson(reply.content);
  if (!parsed.ok) return { status: 'failed', detail: `not JSON (${parsed.error}): ${quote(reply.content)}` };
  const problem = check(parsed.value);
  return problem ? { status: 'failed', detail: `the JSON ${shorten(problem, 140)}` } : undefined;
}

/** A zod error's issues, on one line. */
export function issuesOf(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Parses JSON text, or says why it is not JSON. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** Text on one line, cut to `max` characters. */
export function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** Text shortened and quoted, for a probe's detail. */
export function quote(text: string): string {
  return JSON.stringify(shorten(text, 60));
}

/** A duration for people: `850 ms`, `2.3 s`. */
export function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The run events of a run's stream (topic `events`): one zod schema shared by the workflow (as types), the clients
 * (which parse what they read), the HTTP API and the docs. Every event carries `v` (this schema's version) and
 * `kind`; clients pass kinds they do not know through as `note` events, so new kinds never break an old client.
 */
import { z } from 'zod';

import { EVENT_SCHEMA_VERSION, STEP_EVENT_KINDS, TOPICS } from './topics.js';

export { EVENT_SCHEMA_VERSION, STEP_EVENT_KINDS, TOPICS, type Topic } from './topics.js';

const usageSchema = z.object({
  llmCalls: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  toolCalls: z.number(),
  cost: z.number().optional(),
  unpricedCalls: z.number().optional(),
});

const changesSchema = z.object({
  added: z.array(z.string()),
  removed: z.array(z.string()),
  changed: z.array(z.object({ id: z.string(), fields: z.array(z.string()) })),
});

/** A step of a plan as the events show it: enough to draw the plan as a graph. */
const planStepSchema = z.object({
  id: z.string(),
  title: z.string(),
  dependsOn: z.array(z.string()),
  tool: z.string().optional(),
  subgoal: z.boolean().optional(),
});

const base = { v: z.literal(EVENT_SCHEMA_VERSION), at: z.string(), message: z.string() };

/** How a person answers what a run waits for: the message (update and signal of that name) and its argument. */
const answerSchema = z.object({ message: z.string(), args: z.record(z.string(), z.unknown()) });

const planKinds = ['plan-proposed', 'plan-invalid', 'plan-approved', 'plan-rejected'] as const;

/** One event of a run. */
export const runEventSchema = z.discriminatedUnion('kind', [
  z.object({ ...base, kind: z.literal('run-started'), goal: z.string() }),
  z.object({
    ...base,
    kind: z.enum(planKinds),
    /** The plan version it is about (absent for an invalid plan that never got one). */
    version: z.number().optional(),
    steps: z.array(planStepSchema).optional(),
    /** What changed since the previous version (absent for the first). */
    changes: changesSchema.optional(),
  }),
  z.object({
    ...base,
    kind: z.enum(STEP_EVENT_KINDS),
    stepId: z.string(),
    /** A short preview of a succeeded step's output. */
    preview: z.string().optional(),
    error: z.string().optional(),
  }),
  z.object({
    ...base,
    kind: z.literal('step-recovered'),
    stepId: z.string().optional(),
    /** How: a fallback tool, a person's decision, or a replan (its reason is the message). */
    how: z.enum(['fallback', 'escalation', 'replan']),
  }),
  z.object({
    ...base,
    kind: z.literal('waiting'),
    /** What the run asks a person for. */
    asked: z.enum(['plan-approval', 'step-decision', 'tool-call-approval']),
    stepId: z.string().optional(),
    version: z.number().optional(),
    callId: z.string().optional(),
    tool: z.string().optional(),
    args: z.record(z.string(), z.unknown()).optional(),
    /** The ways to answer, each a message of the run with an example argument. */
    answers: z.array(answerSchema),
  }),
  z.object({ ...base, kind: z.literal('goal-changed'), goal: z.string() }),
  z.object({ ...base, kind: z.literal('usage'), usage: usageSchema }),
  z.object({ ...base, kind: z.literal('status'), status: z.string() }),
  z.object({ ...base, kind: z.literal('run-finished'), status: z.string(), answer: z.string().optional() }),
  /** Any other entry of the run's trace (its `type` as the ledger recorded it). */
  z.object({ ...base, kind: z.literal('note'), type: z.string(), stepId: z.string().optional() }),
]);

/** One event of a run (topic `events`). */
export type RunStreamEvent = z.infer<typeof runEventSchema>;

/** A piece of the answer as it is written (topic `answer`). */
export const answerChunkSchema = z.object({
  v: z.literal(EVENT_SCHEMA_VERSION),
  text: z.string(),
  /** The step whose executor writes this text in prose; absent for the run's answer, the synthesizer's. */
  stepId: z.string().optional(),
  /** The answer is being written again from its start (it was cut off at the output cap): forget its text so far. */
  restart: z.literal(true).optional(),
});

/** A piece of the answer as it is written. */
export type AnswerChunk = z.infer<typeof answerChunkSchema>;

/** An item read from a run's stream: its offset, its topic and what it says. */
export type StreamItem =
  { offset: number; topic: 'events'; event: RunStreamEvent } | { offset: number; topic: 'answer'; chunk: AnswerChunk };

/**
 * Reads an item of a run's stream as a client sees it: a known event, or a `note` for a kind this client does not
 * know (so new kinds pass through).
 * @throws {Error} when the item is no run event at all (not an object with `v` and `kind`).
 */
export function readStreamItem(offset: number, topic: string, data: unknown): StreamItem | undefined {
  if (topic === TOPICS.answer) {
    const chunk = answerChunkSchema.safeParse(data);
    return chunk.success ? { offset, topic: 'answer', chunk: chunk.data } : undefined;
  }
  if (topic !== TOPICS.events) return undefined;
  const parsed = runEventSchema.safeParse(data);
  if (parsed.success) return { offset, topic: 'events', event: parsed.data };
  const raw = data as { v?: unknown; kind?: unknown; at?: unknown; message?: unknown; stepId?: unknown };
  if (typeof raw !== 'object' || raw === null || typeof raw.kind !== 'string') {
    throw new Error(`stream item ${offset} is not a run event: ${JSON.stringify(data)?.slice(0, 200)}`);
  }
  return {
    offset,
    topic: 'events',
    event: {
      v: EVENT_SCHEMA_VERSION,
      kind: 'note',
      type: raw.kind,
      at: typeof raw.at === 'string' ? raw.at : '',
      message: typeof raw.message === 'string' ? raw.message : '',
      ...(typeof raw.stepId === 'string' ? { stepId: raw.stepId } : {}),
    },
  };
}

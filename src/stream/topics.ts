/**
 * The stream's names and versions without its schemas: what workflow code needs (workflows/stream.ts and the
 * deriver it runs), kept apart from the event schemas (events.ts in this folder) so that a run does not build those zod
 * schemas, which only clients parse with, each time its workflow modules are loaded.
 */

/** The version of the event schema; a client refuses events of a newer major version it cannot read. */
export const EVENT_SCHEMA_VERSION = 1;

/** The topics of a run's stream. */
export const TOPICS = { events: 'events', answer: 'answer' } as const;

/** A topic of a run's stream. */
export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

/** The kinds of events about one step. */
export const STEP_EVENT_KINDS = [
  'step-started',
  'step-succeeded',
  'step-failed',
  'step-checked',
  'step-skipped',
  'subgoal-started',
  'tool-call-refused',
] as const;

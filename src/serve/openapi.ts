/**
 * The OpenAPI description of `planwright serve`'s routes (served at `/openapi.json`). The run input and the run
 * events are described from the same zod schemas the workflow and the clients use.
 */
import { z } from 'zod';
import { runInputSchema } from '../contract/run-input.js';
import { answerChunkSchema, runEventSchema } from '../stream/events.js';

const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const problem = {
  description: 'Problem details (RFC 9457)',
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
};
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'The run (workflow) id' };
const decision = (summary: string, body: object, extra: object[] = []) => ({
  post: {
    summary,
    parameters: [id, ...extra],
    requestBody: json(body),
    responses: {
      200: { description: "The run's status once the decision took effect" },
      400: problem,
      404: problem,
      409: problem,
    },
  },
});
const schemaOf = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });

/** The OpenAPI 3.1 document. */
export const OPENAPI = {
  openapi: '3.1.0',
  info: { title: 'planwright serve', version: '1' },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    schemas: {
      RunInput: schemaOf(runInputSchema()),
      RunEvent: schemaOf(runEventSchema),
      AnswerChunk: schemaOf(answerChunkSchema),
      Problem: {
        type: 'object',
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
          instance: { type: 'string' },
        },
      },
    },
  },
  security: [{ bearer: [] }],
  paths: {
    '/runs': {
      post: {
        summary: 'Start a run (a RunInput, and an optional "id")',
        requestBody: json({ $ref: '#/components/schemas/RunInput' }),
        responses: { 201: { description: 'Started: { workflowId, runId }' }, 400: problem },
      },
      get: {
        summary: 'Recent runs',
        parameters: [
          { name: 'status', in: 'query', schema: { type: 'string' }, description: 'Only runs with this status' },
        ],
        responses: { 200: { description: '{ runs: [{ workflowId, status, temporalStatus, startTime }] }' } },
      },
    },
    '/runs/{id}': {
      get: {
        summary: "A run's state (RunState)",
        parameters: [id],
        responses: { 200: { description: 'RunState' }, 404: problem },
      },
    },
    '/runs/{id}/events': {
      get: {
        summary: "A run's stream as Server-Sent Events: `event` is the topic (events, answer, end), `id` the offset",
        parameters: [
          id,
          {
            name: 'Last-Event-ID',
            in: 'header',
            schema: { type: 'string' },
            description: 'The last offset seen: resume after it',
          },
          {
            name: 'from',
            in: 'query',
            schema: { type: 'integer', minimum: 0 },
            description: 'The first offset to send',
          },
          { name: 'topics', in: 'query', schema: { type: 'string' }, description: 'Comma-separated: events,answer' },
        ],
        responses: { 200: { description: 'text/event-stream of RunEvent and AnswerChunk' }, 404: problem },
      },
    },
    '/runs/{id}/approve': decision('Approve the plan awaiting approval', {
      type: 'object',
      properties: { version: { type: 'integer' } },
    }),
    '/runs/{id}/reject': decision('Reject the plan awaiting approval', {
      type: 'object',
      required: ['feedback'],
      properties: { version: { type: 'integer' }, feedback: { type: 'string' } },
    }),
    '/runs/{id}/change-goal': decision('Change the goal', {
      type: 'object',
      required: ['goal'],
      properties: { goal: { type: 'string' }, reason: { type: 'string' } },
    }),
    '/runs/{id}/resolve': decision('Decide about an escalated step', {
      type: 'object',
      required: ['stepId', 'decision'],
      properties: {
        stepId: { type: 'string' },
        decision: { enum: ['retry', 'skip', 'replan', 'abort'] },
        note: { type: 'string' },
      },
    }),
    '/runs/{id}/tool-calls/{callId}/approve': decision(
      'Approve a tool call that waits for a person (approveToolCall), with edited arguments if given',
      { type: 'object', properties: { args: { type: 'object' } } },
      [{ name: 'callId', in: 'path', required: true, schema: { type: 'string' } }],
    ),
    '/runs/{id}/tool-calls/{callId}/reject': decision(
      'Reject a tool call that waits for a person (rejectToolCall)',
      { type: 'object', required: ['reason'], properties: { reason: { type: 'string' } } },
      [{ name: 'callId', in: 'path', required: true, schema: { type: 'string' } }],
    ),
  },
} as const;

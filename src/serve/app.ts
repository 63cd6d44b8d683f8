/**
 * `planwright serve`'s HTTP API (Hono): start runs, read them, follow their stream as Server-Sent Events
 * (`Last-Event-ID` is the stream offset, so a browser's `EventSource` resumes by itself), and send every decision a
 * run waits for. Errors are RFC 9457 problem details; with a token, every route but `/openapi.json` needs it.
 */
import type { Client } from '@temporalio/client';
import { Hono, type Context } from 'hono';
import { cors } from 'hono/cors';
import { streamSSE } from 'hono/streaming';
import { parseRunInput } from '../contract/run-input.js';
import { STATUS_ATTRIBUTE } from '../contract/search-attributes.js';
import { readRunState } from '../cli/read-state.js';
import { followRun } from '../stream/follow.js';
import { TOPICS, type Topic } from '../stream/events.js';
import type { planAndExecute } from '../../workflows/index.js';
import {
  approvePlanUpdate,
  changeGoalUpdate,
  rejectPlanUpdate,
  resolveEscalationUpdate,
  WORKFLOW_TYPE,
} from '../../workflows/messages.js';
import { addConsole } from './console.js';
import { OPENAPI } from './openapi.js';
import { HttpProblem, problemOf } from './problems.js';

/** What the API serves with. */
export interface ServeOptions {
  client: Client;
  /** The task queue runs are started on. */
  taskQueue: string;
  /** The bearer token every request must carry; none: no check (serve on loopback only). */
  token?: string;
  /** Origins allowed to call the API from a browser; none: no CORS headers. */
  corsOrigins?: string[];
  /** The Temporal Web UI's base URL, for the console's links to a run; none: no links. */
  webUi?: string;
}

/** The names of the tool-call approval messages (update and signal) of `planAndExecute`. */
const TOOL_CALL_MESSAGES = { approve: 'approveToolCall', reject: 'rejectToolCall' } as const;

/** The API as a Hono app (`app.fetch` serves a `Request`). */
export function createApi(options: ServeOptions): Hono {
  const { client } = options;
  const app = new Hono();
  if (options.corsOrigins?.length) {
    app.use(
      '*',
      cors({
        origin: options.corsOrigins,
        exposeHeaders: ['Location'],
        allowHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID'],
      }),
    );
  }
  app.onError((err, c) => {
    const problem = problemOf(err, new URL(c.req.url).pathname);
    return c.body(JSON.stringify(problem), problem.status as 400, { 'content-type': 'application/problem+json' });
  });
  app.get('/openapi.json', (c) => c.json(OPENAPI));
  addConsole(app, {
    tokenRequired: options.token !== undefined,
    namespace: client.options.namespace,
    ...(options.webUi ? { webUi: options.webUi } : {}),
  });
  app.use('/runs/*', bearer(options.token));
  app.use('/runs', bearer(options.token));

  app.post('/runs', async (c) => {
    const body = (await c.req.json().catch(() => {
      throw new HttpProblem(400, 'Invalid run input', 'the body must be a JSON RunInput, like {"goal": "..."}');
    })) as { id?: string } & Record<string, unknown>;
    const { id, ...raw } = body;
    const input = parseRunInput(raw);
    const workflowId = typeof id === 'string' && id ? id : `run-${Date.now().toString(36)}`;
    const handle = await client.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
      taskQueue: options.taskQueue,
      workflowId,
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      args: [raw as Parameters<typeof planAndExecute>[0]],
      staticSummary: input.goal.slice(0, 190),
      staticDetails: input.goal,
    });
    c.header('Location', `/runs/${encodeURIComponent(workflowId)}`);
    return c.json({ workflowId, runId: handle.firstExecutionRunId }, 201);
  });

  app.get('/runs', async (c) => {
    const wanted = c.req.query('status');
    const runs: { workflowId: string; status: string; temporalStatus: string; startTime: string }[] = [];
    const query = `WorkflowType = '${WORKFLOW_TYPE}'`;
    for await (const info of client.workflow.list({ query })) {
      const shown = info.typedSearchAttributes.get(STATUS_ATTRIBUTE);
      const status = shown ?? info.status.name.toLowerCase();
      if (!wanted || wanted === status) {
        runs.push({
          workflowId: info.workflowId,
          status,
          temporalStatus: info.status.name,
          startTime: info.startTime.toISOString(),
        });
      }
      if (runs.length >= 100) break;
    }
    return c.json({ runs });
  });

  app.get('/runs/:id', async (c) => c.json(await readRunState(client.workflow.getHandle(c.req.param('id')))));

  app.get('/runs/:id/events', (c) => {
    const from = offsetFrom(c);
    const topics = (c.req.query('topics')?.split(',') ?? [TOPICS.events, TOPICS.answer]) as Topic[];
    const workflowId = c.req.param('id');
    return streamSSE(c, async (sse) => {
      const stop = new AbortController();
      sse.onAbort(() => stop.abort());
      for await (const item of followRun(client, workflowId, { from, topics, signal: stop.signal })) {
        const data = item.topic === 'events' ? item.event : item.chunk;
        await sse.writeSSE({ id: String(item.offset), event: item.topic, data: JSON.stringify(data) });
      }
      await sse.writeSSE({ event: 'end', data: '{}' });
    });
  });

  const decide = (path: string, send: (c: Context, body: Record<string, unknown>) => Promise<unknown>) =>
    app.post(`/runs/:id/${path}`, async (c) => {
      const body = (await c.req.json().catch(() => ({}))) as Record<string, unknown>;
      const status = await send(c, body);
      return c.json({ workflowId: c.req.param('id'), status });
    });
  const handleOf = (c: Context) => client.workflow.getHandle(c.req.param('id') ?? '');
  const planVersion = async (c: Context, body: Record<string, unknown>): Promise<number> => {
    if (typeof body.version === 'number') return body.version;
    const version = (await readRunState(handleOf(c))).plan?.version;
    if (version === undefined)
      throw new HttpProblem(409, 'Refused', `run ${c.req.param('id')} has no plan yet; try again in a moment`);
    return version;
  };
  decide('approve', async (c, body) =>
    handleOf(c).executeUpdate(approvePlanUpdate, { args: [{ version: await planVersion(c, body) }] }),
  );
  decide('reject', async (c, body) => {
    if (typeof body.feedback !== 'string' || !body.feedback)
      throw new HttpProblem(400, 'Invalid decision', 'reject needs "feedback" saying what to change');
    const args = { version: await planVersion(c, body), feedback: body.feedback };
    return handleOf(c).executeUpdate(rejectPlanUpdate, { args: [args] });
  });
  decide('change-goal', async (c, body) => {
    if (typeof body.goal !== 'string' || !body.goal.trim())
      throw new HttpProblem(400, 'Invalid decision', 'change-goal needs the new "goal"');
    const args = { goal: body.goal, ...(typeof body.reason === 'string' ? { reason: body.reason } : {}) };
    return handleOf(c).executeUpdate(changeGoalUpdate, { args: [args] });
  });
  decide('resolve', async (c, body) => {
    const { stepId, decision, note } = body;
    if (typeof stepId !== 'string' || !['retry', 'skip', 'replan', 'abort'].includes(String(decision))) {
      throw new HttpProblem(
        400,
        'Invalid decision',
        'resolve needs "stepId" and "decision": retry, skip, replan or abort',
      );
    }
    const args = { stepId, decision: decision as 'retry', ...(typeof note === 'string' ? { note } : {}) };
    return handleOf(c).executeUpdate(resolveEscalationUpdate, { args: [args] });
  });
  decide('tool-calls/:callId/approve', async (c, body) => {
    const args = body.args !== undefined ? { args: body.args } : {};
    return handleOf(c).executeUpdate(TOOL_CALL_MESSAGES.approve, {
      args: [{ callId: c.req.param('callId') ?? '', ...args }],
    });
  });
  decide('tool-calls/:callId/reject', async (c, body) => {
    if (typeof body.reason !== 'string' || !body.reason)
      throw new HttpProblem(400, 'Invalid decision', 'rejecting a tool call needs a "reason"');
    return handleOf(c).executeUpdate(TOOL_CALL_MESSAGES.reject, {
      args: [{ callId: c.req.param('callId') ?? '', reason: body.reason }],
    });
  });
  return app;
}

/** The offset to follow from: `Last-Event-ID` (the last offset the client saw) plus one, or `?from=N`, or 0. */
function offsetFrom(c: Context): number {
  const last = c.req.header('Last-Event-ID');
  if (last !== undefined && /^\d+$/.test(last)) return Number(last) + 1;
  const from = c.req.query('from');
  if (from === undefined) return 0;
  if (!/^\d+$/.test(from))
    throw new HttpProblem(400, 'Invalid offset', `"from" must be a stream offset (0 or more), not "${from}"`);
  return Number(from);
}

/** Checks the bearer token when there is one. */
function bearer(token: string | undefined) {
  return async (c: Context, next: () => Promise<void>) => {
    if (token !== undefined && c.req.header('Authorization') !== `Bearer ${token}`) {
      throw new HttpProblem(
        401,
        'Unauthorized',
        'this API needs "Authorization: Bearer <token>" with the token it was started with (PLANWRIGHT_SERVE_TOKEN)',
      );
    }
    await next();
  };
}

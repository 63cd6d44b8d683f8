/**
 * `planwright serve`'s HTTP API end to end on the dev server: a run started over HTTP, its stream read as
 * Server-Sent Events and resumed with Last-Event-ID, its plan approved with a POST, and errors as problem details.
 */
import { serve, type ServerType } from '@hono/node-server';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/free-port.js';
import { createApi } from '../../src/serve/app.js';
import { builtinTools } from '../../src/tools/builtin.js';
import { startScriptedModel } from '../../src/testing/scripted-model.js';
import { planReply, scriptedModelWorker, waitTool, wireStep } from '../support/e2e.js';
import { devServerEnv, unique } from '../support/temporal.js';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await devServerEnv();
});
afterAll(async () => {
  await env?.teardown();
});

/** One Server-Sent Event. */
interface Sse {
  id?: string;
  event?: string;
  data: string;
}

/** Reads Server-Sent Events from a response until `until` says stop (or the stream ends). */
async function readSse(response: Response, until: (e: Sse) => boolean = () => false): Promise<Sse[]> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const out: Sse[] = [];
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return out;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const e: Sse = { data: '' };
      for (const line of block.split('\n')) {
        const [field, ...rest] = line.split(':');
        const text = rest.join(':').replace(/^ /, '');
        if (field === 'id') e.id = text;
        else if (field === 'event') e.event = text;
        else if (field === 'data') e.data += text;
      }
      out.push(e);
      if (until(e)) {
        await reader.cancel();
        return out;
      }
    }
  }
}

async function withApi<T>(
  options: { token?: string },
  body: (base: string, taskQueue: string) => Promise<T>,
): Promise<T> {
  const model = await startScriptedModel({
    script: {
      plan: [
        planReply(
          wireStep('a', 'wait', { label: 'a', ms: 100 }),
          wireStep('b', 'wait', { label: 'b', ms: 100 }, { dependsOn: ['a'] }),
        ),
      ],
      synthesize: [{ content: 'Both waited.' }],
    },
  });
  const taskQueue = unique('serve');
  const worker = await scriptedModelWorker(env, { taskQueue, url: model.url, tools: [...builtinTools, waitTool] });
  const port = await freePort();
  const app = createApi({ client: env.client, taskQueue, ...options });
  const server: ServerType = serve({ fetch: app.fetch, hostname: '127.0.0.1', port });
  try {
    return await worker.runUntil(body(`http://127.0.0.1:${port}`, taskQueue));
  } finally {
    await new Promise((r) => server.close(r));
    await model.close();
  }
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('planwright serve', () => {
  it('starts a run, streams its events as SSE, takes an approval by POST, and resumes from Last-Event-ID', async () => {
    await withApi({}, async (base) => {
      const started = await post(`${base}/runs`, { goal: 'Wait twice', approval: 'plan', id: unique('serve-run') });
      expect(started.status).toBe(201);
      const { workflowId } = (await started.json()) as { workflowId: string };
      const first = await readSse(await fetch(`${base}/runs/${workflowId}/events`), (e) =>
        e.data.includes('"waiting"'),
      );
      const waiting = JSON.parse(first.at(-1)!.data) as { asked: string; version: number };
      expect(waiting).toMatchObject({ asked: 'plan-approval', version: 1 });
      expect(first.map((e) => Number(e.id))).toEqual(first.map((_, i) => i));

      const approved = await post(`${base}/runs/${workflowId}/approve`, {});
      expect(await approved.json()).toEqual({ workflowId, status: 'running' });

      const rest = await readSse(
        await fetch(`${base}/runs/${workflowId}/events`, { headers: { 'Last-Event-ID': first.at(-1)!.id! } }),
      );
      expect(rest.at(-1)).toEqual({ event: 'end', data: '{}' });
      const events = rest.slice(0, -1);
      expect(Number(events[0]!.id)).toBe(first.length);
      const kinds = events.map((e) => (JSON.parse(e.data) as { kind: string }).kind);
      expect(kinds).toContain('plan-approved');
      expect(kinds.at(-1)).toBe('run-finished');

      const state = (await (await fetch(`${base}/runs/${workflowId}`)).json()) as { status: string; answer: string };
      expect(state).toMatchObject({ status: 'completed', answer: 'Both waited.' });
      type Listed = { runs: { workflowId: string; status: string }[] };
      const completed = (await (await fetch(`${base}/runs?status=completed`)).json()) as Listed;
      expect(completed.runs.every((r) => r.status === 'completed')).toBe(true);
      await expect
        .poll(async () => ((await (await fetch(`${base}/runs`)).json()) as Listed).runs.map((r) => r.workflowId))
        .toContain(workflowId);
    });
  });

  it('answers bad input, unknown runs, refused decisions and missing tokens with problem details', async () => {
    await withApi({ token: 'sesame' }, async (base) => {
      const auth = { authorization: 'Bearer sesame' };
      const unauthorized = await fetch(`${base}/runs`);
      expect(unauthorized.status).toBe(401);
      expect(unauthorized.headers.get('content-type')).toBe('application/problem+json');

      const invalid = await post(`${base}/runs`, { goal: '' }, auth);
      expect(invalid.status).toBe(400);
      const problem = (await invalid.json()) as { title: string; detail: string; status: number };
      expect(problem).toMatchObject({ title: 'Invalid run input', status: 400 });
      expect(problem.detail).toMatch(/goal/);

      const missing = await fetch(`${base}/runs/no-such-run`, { headers: auth });
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { detail: string }).detail).toMatch(/no run with id "no-such-run"/);

      const started = await post(`${base}/runs`, { goal: 'Wait twice', approval: 'plan' }, auth);
      const { workflowId } = (await started.json()) as { workflowId: string };
      await readSse(await fetch(`${base}/runs/${workflowId}/events`, { headers: auth }), (e) =>
        e.data.includes('"waiting"'),
      );
      const stale = await post(`${base}/runs/${workflowId}/approve`, { version: 7 }, auth);
      expect(stale.status).toBe(409);
      expect(((await stale.json()) as { detail: string }).detail).toMatch(/^refused: /);
      const noFeedback = await post(`${base}/runs/${workflowId}/reject`, {}, auth);
      expect(noFeedback.status).toBe(400);
      expect((await post(`${base}/runs/${workflowId}/reject`, { feedback: 'no' }, auth)).status).toBe(200);
      await fetch(`${base}/runs/${workflowId}`, { headers: auth });
      const spec = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, unknown> };
      expect(Object.keys(spec.paths)).toContain('/runs/{id}/tool-calls/{callId}/approve');
    });
  });
});

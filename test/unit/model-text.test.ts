/**
 * Model answers stream: `onText` of `Model.text` and `Model.converse` hears each piece as the server writes it, a
 * slow server that keeps writing is not cut off while a silent one is, and every request sent counts, with its tokens
 * when the server reports them.
 */
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { z } from 'zod';
import { ErrorType } from '../../src/contract/errors.js';
import { createModel } from '../../src/llm/model.js';
import { usageOfFailure } from '../../src/llm/usage.js';
import { startScriptedModel, type ScriptedModel } from '../../src/testing/scripted-model.js';
import { rejectionOf } from '../support/rejection.js';

let server: ScriptedModel;
beforeAll(async () => {
  server = await startScriptedModel();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

const modelWith = (timeoutMs = 5000) => createModel({ apiKey: 'none', baseURL: server.url, model: 'm', timeoutMs });
const ask = [{ role: 'user' as const, content: 'Write it' }];
const tools = [{ type: 'function' as const, function: { name: 'search', parameters: { type: 'object' } } }];

it('tells onText each piece as it arrives, and nothing for an answer of tool calls only', async () => {
  server.enqueue({
    synthesize: [{ content: 'The report is ready.', chunkChars: 5, chunkDelayMs: 40 }],
    execute: [{ content: 'Done.' }, { toolCalls: [{ name: 'search', arguments: { q: 'x' } }] }],
  });
  const model = modelWith();
  const heard: Array<{ delta: string; at: number }> = [];
  const onText = (delta: string) => heard.push({ delta, at: Date.now() });
  const text = await model.text({ phase: 'synthesize', messages: ask, onText });
  const done = Date.now();
  expect(text.value).toBe('The report is ready.');
  expect(heard.map((h) => h.delta)).toEqual(['The r', 'eport', ' is r', 'eady.']);
  // The first piece came while the server was still writing the rest.
  expect(done - heard[0]!.at).toBeGreaterThanOrEqual(90);
  heard.length = 0;
  await model.converse({ phase: 'execute', messages: ask, tools, onText });
  const calls = await model.converse({ phase: 'execute', messages: ask, tools, onText });
  expect(heard.map((h) => h.delta).join('')).toBe('Done.');
  expect(calls.value.toolCalls).toEqual([{ id: expect.any(String), name: 'search', arguments: '{"q":"x"}' }]);
  // Every request streamed, and asked for its usage.
  expect(server.requests.map((r) => [r.body.stream, r.body.stream_options])).toEqual(
    Array(3).fill([true, { include_usage: true }]),
  );
  server.assertDone({ all: true });
});

it('does not cut off a slow server that keeps writing, and counts its tokens', async () => {
  const long = 'word '.repeat(40);
  server.enqueue({
    synthesize: [
      { content: long, chunkChars: 10, chunkDelayMs: 60, usage: { prompt_tokens: 7, completion_tokens: 50 } },
    ],
  });
  const started = Date.now();
  // 20 chunks 60 ms apart: over a second in all, against a silence limit of 400 ms.
  const answer = await modelWith(400).text({ phase: 'synthesize', messages: ask });
  expect(Date.now() - started).toBeGreaterThan(1000);
  expect(answer.value).toBe(long);
  expect(answer.usage).toMatchObject({ llmCalls: 1, inputTokens: 7, outputTokens: 50 });
});

it('cuts off a server that goes silent mid-answer, and counts the request', async () => {
  server.enqueue({ synthesize: [{ content: 'a'.repeat(100), chunkChars: 10, stallAfterChunks: 3 }] });
  const heard: string[] = [];
  const started = Date.now();
  const failure = await rejectionOf(
    modelWith(300).text({ phase: 'synthesize', messages: ask, onText: (d) => heard.push(d) }),
    ApplicationFailure,
  );
  expect(Date.now() - started).toBeLessThan(3000);
  expect([failure.type, failure.nonRetryable]).toEqual([ErrorType.ModelUnavailable, false]);
  expect(failure.message).toMatch(/sent nothing for 0.3 s and was cut off/);
  expect(heard.join('')).toBe('a'.repeat(20));
  expect(usageOfFailure(failure)).toMatchObject({ llmCalls: 1 });
});

it('counts every request of an answer: a silent one, a failed one and the one that answered', async () => {
  server.enqueue({
    check: [
      { hang: true },
      { fault: { status: 503 } },
      { content: { passed: true, reason: 'ok' }, usage: { prompt_tokens: 3, completion_tokens: 4 } },
    ],
  });
  const model = modelWith(300);
  const request = {
    phase: 'check' as const,
    name: 'verdict',
    schema: z.object({ passed: z.boolean(), reason: z.string() }),
    messages: ask,
  };
  const silent = await rejectionOf(model.structured(request), ApplicationFailure);
  const failed = await rejectionOf(model.structured(request), ApplicationFailure);
  const answered = await model.structured(request);
  expect([usageOfFailure(silent).llmCalls, usageOfFailure(failed).llmCalls]).toEqual([1, 1]);
  expect(answered).toEqual({
    value: { passed: true, reason: 'ok' },
    usage: expect.objectContaining({ llmCalls: 1, inputTokens: 3, outputTokens: 4 }),
  });
  // Structured answers stream too, with their schema.
  expect(server.requests.map((r) => [r.body.stream, r.responseFormat])).toEqual(Array(3).fill([true, 'verdict']));
});

it('asks again without stream_options when the server refuses them, and counts both requests', async () => {
  server.enqueue({
    synthesize: [
      { fault: { status: 400, message: 'Unrecognized request argument supplied: stream_options' } },
      { content: 'Hello.' },
      { content: 'Again.' },
    ],
  });
  const model = modelWith();
  const first = await model.text({ phase: 'synthesize', messages: ask });
  const second = await model.text({ phase: 'synthesize', messages: ask });
  expect([first.value, second.value]).toEqual(['Hello.', 'Again.']);
  expect([first.usage.llmCalls, second.usage.llmCalls]).toEqual([2, 1]);
  // Without usage in the stream, the tokens are unknown: counted as none.
  expect([first.usage.outputTokens, second.usage.outputTokens]).toEqual([0, 0]);
  expect(server.requests.map((r) => r.body.stream_options ?? null)).toEqual([{ include_usage: true }, null, null]);
});

it('fails, retryably, a stream that ends before the answer is complete', async () => {
  server.enqueue({ synthesize: [{ malformed: '<html>502 Bad Gateway</html>' }] });
  const failure = await rejectionOf(modelWith().text({ phase: 'synthesize', messages: ask }), ApplicationFailure);
  expect([failure.type, failure.nonRetryable]).toEqual([ErrorType.ModelUnavailable, false]);
  expect(failure.message).toMatch(/ended its answer before it was complete/);
  expect(usageOfFailure(failure).llmCalls).toBe(1);
});

it('tells listeners that an answer cut off at the cap is written again from its start', async () => {
  server.enqueue({ synthesize: [{ content: 'Long answer.', truncated: true }, { content: 'Short.' }] });
  const heard: Array<[string, boolean | undefined]> = [];
  const answer = await modelWith().text({
    phase: 'synthesize',
    messages: ask,
    onText: (delta, restarted) => heard.push([delta, restarted]),
  });
  expect(answer.value).toBe('Short.');
  expect(heard.filter(([, restarted]) => restarted)).toEqual([['Short.', true]]);
  expect(heard.map(([d]) => d).join('')).toBe('Long aShort.');
});

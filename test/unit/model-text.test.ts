/**
 * `onText` of `Model.text` and `Model.converse`: each is told the answer's text.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createModel } from '../../src/llm/model.js';
import { startScriptedModel, type ScriptedModel } from '../../src/testing/scripted-model.js';

let server: ScriptedModel;
beforeAll(async () => {
  server = await startScriptedModel();
});
afterAll(() => server.close());

it('tells onText the text of an answer, and nothing for an answer of tool calls only', async () => {
  server.enqueue({
    synthesize: [{ content: 'The report is ready.' }],
    execute: [{ content: 'Done.' }, { toolCalls: [{ name: 'search', arguments: { q: 'x' } }] }],
  });
  const model = createModel({ apiKey: 'none', baseURL: server.url, model: 'm', timeoutMs: 5000 });
  const heard: string[] = [];
  const onText = (delta: string) => heard.push(delta);
  const text = await model.text({ phase: 'synthesize', messages: [{ role: 'user', content: 'Write it' }], onText });
  expect(text.value).toBe('The report is ready.');
  const tools = [{ type: 'function' as const, function: { name: 'search', parameters: { type: 'object' } } }];
  const messages = [{ role: 'user' as const, content: 'Go' }];
  await model.converse({ phase: 'execute', messages, tools, onText });
  await model.converse({ phase: 'execute', messages, tools, onText });
  expect(heard.join('|')).toBe('The report is ready.|Done.');
  server.assertDone({ all: true });
});

/**
 * Activities over stored outputs: runTool loads the outputs its arguments reference and resolves them itself,
 * stores a large result and returns a reference; executeStep and synthesize load stored outputs and cut them
 * to fit the model's context budget.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createActivities } from '../../activities/index.js';
import { ErrorType } from '../../src/contract/errors.js';
import { isOutputRef } from '../../src/contract/output.js';
import type { Json } from '../../src/contract/plan.js';
import { createModel, type Model } from '../../src/llm/model.js';
import { createFileOutputStore } from '../../src/outputs/file.js';
import { createOutputKeeper, PREVIEW_CHARS, type OutputKeeper } from '../../src/outputs/keeper.js';
import { startScriptedModel, type RecordedRequest, type ScriptedModel } from '../../src/testing/scripted-model.js';
import { defineTool } from '../../src/tools/define.js';
import { runActivity } from '../support/activity-env.js';
import { rejectionOf } from '../support/rejection.js';

/** The run MockActivityEnvironment's activities belong to. */
const scope = { namespace: 'default', workflowId: 'test' };

/** Inputs each call of `inspect` received, in order. */
let received: unknown[] = [];
const inspect = defineTool({
  name: 'inspect',
  description: 'returns a summary of the item it is given',
  input: z.object({ item: z.object({ id: z.number(), name: z.string() }), label: z.string() }),
  output: z.object({ seen: z.string() }),
  run: (input) => {
    received.push(input);
    return { seen: `${input.item.id}:${input.item.name}` };
  },
});
const bigResult = defineTool({
  name: 'big_result',
  description: 'returns about 100 kB of rows',
  input: z.object({}),
  run: () => ({
    rows: Array.from({ length: 1000 }, (_, i) => ({ id: i, text: `row ${i} ${'é'.repeat(40)} ${'x'.repeat(40)}` })),
  }),
});

/** Inputs each call of `echo` received, in order. */
const echo = defineTool({
  name: 'echo',
  description: 'returns what it is given',
  input: z.object({ value: z.unknown() }),
  run: (input) => {
    received.push(input);
    return { echoed: true };
  },
});

/** An object of about `bytes` bytes of JSON text, whose `items.1` is `{ id: 1, name: 'item 1' }`. */
function rowsOf(bytes: number): { count: number; items: Array<{ id: number; name: string; note: string }> } {
  const note = 'a "quoted" note, with commas, braces {} and ünïcödé ✓';
  const count = Math.ceil(bytes / (JSON.stringify({ id: 0, name: 'item 0', note }).length + 1));
  return { count, items: Array.from({ length: count }, (_, id) => ({ id, name: `item ${id}`, note })) };
}

let dir: string;
let keeper: OutputKeeper;

beforeEach(async () => {
  received = [];
  dir = await mkdtemp(path.join(os.tmpdir(), 'planwright-stored-'));
  keeper = createOutputKeeper(createFileOutputStore(dir), { inlineBytes: 2048 });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Stores `value` as a step output of the test run and returns the reference to it. */
async function stored(value: Json): Promise<Json> {
  const ref = await keeper.keep(value, scope);
  if (!isOutputRef(ref)) throw new Error('expected the value to be stored');
  return ref;
}

describe('runTool with stored outputs', () => {
  const activities = () =>
    createActivities({ model: {} as Model, tools: [inspect, bigResult, echo], workspace: dir, outputs: keeper });

  it('loads a stored output and resolves the references into it before calling the tool', async () => {
    const big = rowsOf(300_000);
    const ref = await stored(big);
    expect(Buffer.byteLength(JSON.stringify(big))).toBeGreaterThan(300_000);

    const out = await runActivity(activities().runTool, {
      stepId: 'b',
      tool: 'inspect',
      args: { item: '{{a.items.1}}', label: 'item {{a.items.1.id}} of {{a.count}}' },
      outputs: { a: ref },
    });

    expect(received).toEqual([
      // The tool's input schema keeps only the fields it declares.
      { item: { id: 1, name: 'item 1' }, label: `item 1 of ${big.count}` },
    ]);
    expect(out).toEqual({ output: { seen: '1:item 1' }, attempt: 1 });
  });

  it('gives a tool another run’s reference as it is, never the output that run stored', async () => {
    const theirs = await keeper.keep(rowsOf(300_000), { namespace: 'default', workflowId: 'another-run' });
    expect(isOutputRef(theirs)).toBe(true);
    // A step's tool returned it: small, so the run holds it inline, and the workflow takes it for a reference.
    const out = await runActivity(activities().runTool, {
      stepId: 'b',
      tool: 'echo',
      args: { value: '{{a}}' },
      outputs: { a: theirs },
    });
    expect(received).toEqual([{ value: theirs }]);
    expect(out.output).toEqual({ echoed: true });
  });

  it('resolves references into inline outputs given alongside stored ones', async () => {
    const out = await runActivity(activities().runTool, {
      stepId: 'b',
      tool: 'inspect',
      args: { item: '{{a.items.0}}', label: '{{c}}' },
      outputs: { a: await stored(rowsOf(10_000)), c: 'inline label' },
    });
    expect(received).toEqual([{ item: expect.objectContaining({ id: 0 }), label: 'inline label' }]);
    expect(out.output).toEqual({ seen: '0:item 0' });
  });

  it('fails for good with UnresolvedReference when the path is not in the stored output', async () => {
    const big = rowsOf(300_000);
    const ref = await stored(big);
    const failure = await rejectionOf(
      runActivity(activities().runTool, {
        stepId: 'b',
        tool: 'inspect',
        args: { item: `{{a.items.${big.count}}}`, label: 'x' },
        outputs: { a: ref },
      }),
      ApplicationFailure,
    );
    expect([failure.type, failure.nonRetryable]).toEqual([ErrorType.UnresolvedReference, true]);
    expect(failure.message).toBe(
      `cannot resolve {{a.items.${big.count}}}: items is a list of ${big.count}, it has no item "${big.count}"`,
    );

    const noStep = await rejectionOf(
      runActivity(activities().runTool, {
        stepId: 'b',
        tool: 'inspect',
        args: { item: '{{z.items.0}}', label: 'x' },
        outputs: { a: ref },
      }),
      ApplicationFailure,
    );
    expect([noStep.type, noStep.nonRetryable]).toEqual([ErrorType.UnresolvedReference, true]);
    expect(noStep.message).toBe('cannot resolve {{z.items.0}}: step "z" has no output');
    expect(received).toEqual([]);
  });

  it('fails for good with OutputMissing when the stored output is gone', async () => {
    const ref = await stored(rowsOf(300_000));
    // Swept by retention, as a worker would a minute after storing it.
    expect(await createFileOutputStore(dir, () => Date.now() + 60_000).sweep(1000)).toBe(1);

    const failure = await rejectionOf(
      runActivity(activities().runTool, {
        stepId: 'b',
        tool: 'inspect',
        args: { item: '{{a.items.1}}', label: 'x' },
        outputs: { a: ref },
      }),
      ApplicationFailure,
    );
    expect([failure.type, failure.nonRetryable]).toEqual([ErrorType.OutputMissing, true]);
    expect(failure.message).toContain((ref as { ref: string }).ref);
    expect(failure.message).toContain('PLANWRIGHT_OUTPUT_STORE');
    expect(received).toEqual([]);
  });

  it('stores a large result and returns a reference that loads back whole', async () => {
    const out = await runActivity(activities().runTool, { stepId: 'rows', tool: 'big_result', args: {} });
    const whole = bigResult.run({}, {} as never) as Json;
    const text = JSON.stringify(whole);
    expect(Buffer.byteLength(text)).toBeGreaterThan(100_000);

    expect(out.attempt).toBe(1);
    expect(out.output).toEqual({
      ref: expect.stringMatching(/^default\/test\/[0-9a-f]{32,64}$/),
      bytes: Buffer.byteLength(text),
      preview: `${text.slice(0, PREVIEW_CHARS)}…`,
    });
    expect(JSON.stringify(out).length).toBeLessThan(500);
    expect(await keeper.load(out.output)).toEqual(whole);
  });
});

describe('model activities over stored outputs', () => {
  const CONTEXT_TOKENS = 2000;
  /** Longest request the budget allows, with a little slack for estimates. */
  const MAX_CHARS = CONTEXT_TOKENS * 4 * 1.05;
  /** A request cut far below the budget wastes it: outputs should fill most of what the rest leaves. */
  const MIN_CHARS = CONTEXT_TOKENS * 4 * 0.75;
  let model: ScriptedModel;

  beforeEach(async () => {
    model = await startScriptedModel();
  });
  afterEach(async () => {
    await model.close();
  });

  const activities = () =>
    createActivities({
      model: createModel({ apiKey: 'test-key', baseURL: model.url, model: 'scripted', timeoutMs: 10_000 }),
      tools: [inspect, bigResult, echo],
      workspace: dir,
      outputs: keeper,
      contextTokens: CONTEXT_TOKENS,
    });

  /** A turn of the step "describe", over the output of the step "items" and an earlier call of `tool`. */
  const describeItems = (items: Json, tool: string, result: Json) =>
    runActivity(activities().executeStep, {
      goal: 'Describe the items',
      step: { id: 'describe', title: 'Describe the items' },
      inputs: [{ id: 'items', title: 'List items', status: 'succeeded', output: items }],
      turns: [
        { role: 'assistant', toolCalls: [{ id: 'call_1', tool, args: {} }] },
        { role: 'tool', callId: 'call_1', tool, output: result },
      ],
    });

  /** Characters of text the request's messages carry. */
  const lengthOf = (request: RecordedRequest | undefined) =>
    (request?.messages ?? []).reduce((sum, m) => sum + (typeof m.content === 'string' ? m.content.length : 0), 0);
  const textOf = (request: RecordedRequest | undefined) =>
    (request?.messages ?? []).map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n');

  it('executeStep cuts a stored 500 kB input to the context budget, saying how to get the rest', async () => {
    const big = rowsOf(500_000);
    const ref = await stored(big);
    model.enqueue({ execute: [{ content: 'The first item is item 0.' }] });

    const out = await runActivity(activities().executeStep, {
      goal: 'Describe the items',
      step: { id: 'describe', title: 'Describe the items' },
      inputs: [{ id: 'items', title: 'List items', status: 'succeeded', output: ref }],
    });

    expect(out).toMatchObject({ kind: 'answer', output: 'The first item is item 0.', attempt: 1 });
    const [request] = model.requests;
    expect(request?.phase).toBe('execute');
    expect(lengthOf(request)).toBeLessThan(MAX_CHARS);
    expect(lengthOf(request)).toBeGreaterThan(MIN_CHARS);
    const text = textOf(request);
    // The stored output itself was loaded (not the reference's preview), then cut.
    expect(text).toContain('item 3');
    expect(text).not.toContain('"preview"');
    expect(text).toMatch(/\[cut: \d+ of \d+ characters not shown;/);
    expect(text).toContain('{{items}}');
    model.assertDone({ all: true });
  });

  it('executeStep fits stored inputs and stored tool results together', async () => {
    const [input, result] = [await stored(rowsOf(500_000)), await stored({ text: 'ü'.repeat(200_000) })];
    model.enqueue({ execute: [{ content: 'done' }] });

    await describeItems(input, 'big_result', result);

    const [request] = model.requests;
    expect(lengthOf(request)).toBeLessThan(MAX_CHARS);
    expect(lengthOf(request)).toBeGreaterThan(MIN_CHARS);
    const text = textOf(request);
    expect(text.match(/\[cut: /g)).toHaveLength(2);
    expect(text).toContain('{{items}}');
    expect(text).toContain('call big_result again for another part of its result');
    expect(text).toContain('üüü');
  });

  it('synthesize cuts a stored 500 kB output to the context budget, saying how to get the rest', async () => {
    const ref = await stored(rowsOf(500_000));
    model.enqueue({ synthesize: [{ content: 'There are many items.' }] });

    const out = await runActivity(activities().synthesize, {
      goal: 'Describe the items',
      steps: [
        { id: 'items', title: 'List items', status: 'succeeded', output: ref },
        { id: 'count', title: 'Count items', status: 'succeeded', output: { total: 9000 } },
      ],
    });

    expect(out.answer).toBe('There are many items.');
    const [request] = model.requests;
    expect(request?.phase).toBe('synthesize');
    expect(lengthOf(request)).toBeLessThan(MAX_CHARS);
    expect(lengthOf(request)).toBeGreaterThan(MIN_CHARS);
    const text = textOf(request);
    expect(text).toContain('item 3');
    expect(text).toMatch(/\[cut: \d+ of \d+ characters not shown;/);
    expect(text).toContain('{{items}}');
    // A small output keeps its structure.
    expect(text).toMatch(/"output": \{\s*"total": 9000\s*\}/);
    model.assertDone({ all: true });
  });

  it('checkOutput and executeStep see another run’s reference as plain data, not the output it names', async () => {
    const theirs = await keeper.keep(rowsOf(300_000), { namespace: 'default', workflowId: 'another-run' });
    const check = await runActivity(activities().checkOutput, {
      goal: 'Count the items',
      step: { id: 'items', title: 'List items' },
      output: theirs,
      criterion: '$.count > 0',
    });
    expect(check.passed).toBe(false);

    model.enqueue({ execute: [{ content: 'done' }] });
    await describeItems(theirs, 'echo', theirs);
    const text = textOf(model.requests[0]);
    expect(text).toContain('another-run');
    expect(text).not.toContain('item 3');
  });

  it('synthesize fails for good with OutputMissing when a stored output is gone, before asking the model', async () => {
    const ref = await stored(rowsOf(500_000));
    expect(await createFileOutputStore(dir, () => Date.now() + 60_000).sweep(1000)).toBe(1);
    const failure = await rejectionOf(
      runActivity(activities().synthesize, {
        goal: 'Describe the items',
        steps: [{ id: 'items', title: 'List items', status: 'succeeded', output: ref }],
      }),
      ApplicationFailure,
    );
    expect([failure.type, failure.nonRetryable]).toEqual([ErrorType.OutputMissing, true]);
    expect(model.requests).toEqual([]);
  });
});

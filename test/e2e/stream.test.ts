/**
 * A run's live stream end to end on the dev server: followed from start to end, resumed after a cut, kept across
 * continue-as-new, and unchanged by a worker that stops mid-run.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { followThroughWorkerKill } from '../../bench/durability.js';
import type { RunResult } from '../../src/contract/run-state.js';
import { runResult } from '../../src/run-result.js';
import type { RunStreamEvent, StreamItem } from '../../src/stream/events.js';
import { followRun } from '../../src/stream/follow.js';
import { builtinTools } from '../../src/tools/builtin.js';
import { startScriptedModel } from '../../src/testing/scripted-model.js';
import type { planAndExecute } from '../../workflows/index.js';
import { WORKFLOW_TYPE } from '../../workflows/messages.js';
import { planReply, runScenario, scriptedModelWorker, waitTool, wireStep } from '../support/e2e.js';
import { devServerEnv, unique } from '../support/temporal.js';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await devServerEnv();
});
afterAll(async () => {
  await env?.teardown();
});

const wait = (label: string, ms: number, dependsOn: string[] = []) =>
  wireStep(label, 'wait', { label, ms }, { dependsOn });
const chain = (n: number, ms: number) =>
  Array.from({ length: n }, (_, i) => wait(`s${i + 1}`, ms, i === 0 ? [] : [`s${i}`]));
const done = { synthesize: [{ content: 'All waited.' }] };

/** Reads the whole stream of a run into a list. */
async function collect(items: AsyncIterable<StreamItem>): Promise<StreamItem[]> {
  const out: StreamItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const eventsOf = (items: StreamItem[]): RunStreamEvent[] =>
  items.flatMap((i) => (i.topic === 'events' ? [i.event] : []));

/** The events that stand for entries of the run's trace, as the trace's types would name them. */
function traceKinds(result: RunResult): string[] {
  const as: Record<string, string> = {
    'plan-adopted': 'plan-proposed',
    fallback: 'step-recovered',
    'escalation-resolved': 'step-recovered',
    replanned: 'step-recovered',
    escalated: 'waiting',
  };
  return result.events.map((e) => as[e.type] ?? e.type);
}

/** A six-step run (s1…s6) read whole: completed, every offset once, each step's success once, every trace entry. */
function expectEachStepOnce(items: StreamItem[], result: RunResult): void {
  expect(result.status).toBe('completed');
  expectContiguous(items);
  const succeeded = eventsOf(items)
    .filter((e) => e.kind === 'step-succeeded')
    .map((e) => (e as { stepId: string }).stepId);
  expect(succeeded).toEqual(['s1', 's2', 's3', 's4', 's5', 's6']);
  expect(eventsOf(items).filter((e) => e.kind !== 'status' && e.kind !== 'usage')).toHaveLength(result.events.length);
}

/** Every offset once, from the first on, with no gap. */
function expectContiguous(items: StreamItem[], from = 0): void {
  expect(items.map((i) => i.offset)).toEqual(items.map((_, i) => from + i));
}

describe('a run followed live on the dev server', () => {
  it('gives every event of a run in order, from its start to its end, and then ends', async () => {
    // Followed while the worker runs: a run that ended answers the reader's last query through a worker.
    let items: StreamItem[] = [];
    let again: StreamItem[] = [];
    const { result } = await runScenario(env, 'stream-followed', {
      script: { plan: [planReply(...chain(4, 100))], ...done },
      input: { goal: 'Wait four times' },
      record: false,
      during: async (h) => {
        items = await collect(followRun(env.client, h.workflowId));
        again = await collect(followRun(env.client, h.workflowId));
      },
    });
    expectContiguous(items);
    const events = eventsOf(items);
    const fromTrace = events
      .filter((e) => !['status', 'usage'].includes(e.kind))
      .map((e) => (e.kind === 'note' ? e.type : e.kind));
    expect(fromTrace).toEqual(traceKinds(result));
    expect(events.filter((e) => e.kind === 'step-succeeded').map((e) => (e as { stepId: string }).stepId)).toEqual([
      's1',
      's2',
      's3',
      's4',
    ]);
    expect(events.at(-1)).toMatchObject({ kind: 'run-finished', status: 'completed', answer: 'All waited.' });
    // Read again after the end: the same items, from the run's query.
    expect(again).toEqual(items);
  });

  it("publishes the synthesizer's answer to the answer topic in batches as the model writes it", async () => {
    const answer = 'The four waits are over; each took about a tenth of a second and none failed. '.repeat(2);
    let items: StreamItem[] = [];
    let answerOnly: StreamItem[] = [];
    await runScenario(env, 'stream-answer', {
      // 40 pieces 40 ms apart: the answer takes about 1.6 s to write.
      script: {
        plan: [planReply(...chain(2, 10))],
        synthesize: [{ content: answer, chunkChars: 4, chunkDelayMs: 40 }],
      },
      input: { goal: 'Wait twice' },
      record: false,
      during: async (h) => {
        [items, answerOnly] = await Promise.all([
          collect(followRun(env.client, h.workflowId)),
          collect(followRun(env.client, h.workflowId, { topics: ['answer'] })),
        ]);
      },
    });
    const chunks = items.flatMap((i) => (i.topic === 'answer' ? [i.chunk] : []));
    expect(chunks.map((c) => c.text).join('')).toBe(answer);
    // Batches, not one item (or one signal) per piece, and more than one: the text came as it was written.
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.length).toBeLessThan(10);
    expect(chunks.every((c) => c.stepId === undefined && c.restart === undefined)).toBe(true);
    const finished = items.findIndex((i) => i.topic === 'events' && i.event.kind === 'run-finished');
    expect(items.map((i) => i.topic).lastIndexOf('answer')).toBeLessThan(finished);
    expect(answerOnly.map((i) => i.offset)).toEqual(items.filter((i) => i.topic === 'answer').map((i) => i.offset));
  });

  it('replaces the part of an answer a failed attempt published when the synthesizer is asked again', async () => {
    const answer = 'The two waits are over; each took about a tenth of a second and neither failed. '.repeat(2);
    let items: StreamItem[] = [];
    await runScenario(env, 'stream-answer-retry', {
      // The first attempt writes 15 pieces, then its server falls silent and the attempt fails; the second writes all.
      script: {
        plan: [planReply(...chain(2, 10))],
        synthesize: [
          { content: answer, chunkChars: 4, chunkDelayMs: 40, stallAfterChunks: 15 },
          { content: answer, chunkChars: 4, chunkDelayMs: 40 },
        ],
      },
      model: { timeoutMs: 1500 },
      input: { goal: 'Wait twice' },
      record: false,
      during: async (h) => {
        items = await collect(followRun(env.client, h.workflowId));
      },
    });
    const chunks = items.flatMap((i) => (i.topic === 'answer' ? [i.chunk] : []));
    expect(chunks.length).toBeGreaterThan(1);
    // A reader rebuilds the text as docs/live.md says: a chunk marked `restart` replaces what came before it.
    const text = chunks.reduce((told, c) => (c.restart ? '' : told) + c.text, '');
    expect(text).toBe(answer);
    expect(chunks.filter((c) => c.restart)).toHaveLength(1);
  });

  it('resumes a subscriber cut off mid-run from its offset, missing nothing', async () => {
    const first: StreamItem[] = [];
    let rest: StreamItem[] = [];
    let whole: StreamItem[] = [];
    await runScenario(env, 'stream-resumed', {
      script: { plan: [planReply(...chain(5, 200))], ...done },
      input: { goal: 'Wait five times' },
      record: false,
      during: async (h) => {
        const cut = new AbortController();
        for await (const item of followRun(env.client, h.workflowId, { signal: cut.signal })) {
          first.push(item);
          if (item.topic === 'events' && item.event.kind === 'step-succeeded') cut.abort();
        }
        await new Promise((r) => setTimeout(r, 500));
        rest = await collect(followRun(env.client, h.workflowId, { from: first.at(-1)!.offset + 1 }));
        whole = await collect(followRun(env.client, h.workflowId));
      },
    });
    expect(first.length).toBeGreaterThan(0);
    expect([...first, ...rest]).toEqual(whole);
    expect(eventsOf(whole).at(-1)?.kind).toBe('run-finished');
  });

  // A reader reads with the run's query while items flow, so no poll of its own can race the rollover.
  it('keeps its stream and its offsets when the run continues as new', async () => {
    let items: StreamItem[] = [];
    let again: StreamItem[] = [];
    const { result } = await runScenario(env, 'stream-continued', {
      script: { plan: [planReply(...chain(12, 10))], ...done },
      input: { goal: 'Wait twelve times', historyLimit: 50 },
      record: false,
      during: async (h) => {
        items = await collect(followRun(env.client, h.workflowId));
        again = await collect(followRun(env.client, h.workflowId));
      },
    });
    expectContiguous(items);
    const kinds = eventsOf(items).map((e) => (e.kind === 'note' ? e.type : e.kind));
    expect(kinds.filter((k) => k === 'continued-as-new').length).toBeGreaterThan(0);
    expect(kinds.filter((k) => k === 'step-succeeded')).toHaveLength(12);
    expect(kinds.filter((k) => k === 'run-started')).toHaveLength(1);
    expect(result.status).toBe('completed');
    expect(again).toEqual(items);
  });

  it('neither loses nor repeats events when the worker is killed (SIGKILL) mid-run and another takes over', async () => {
    const { items, result } = await followThroughWorkerKill({
      address: inject('devServerAddress'),
      client: env.client,
    });
    expectEachStepOnce(items, result);
  }, 240_000);

  it('neither loses nor repeats events when the worker stops mid-run and another takes over', async () => {
    const model = await startScriptedModel({ script: { plan: [planReply(...chain(6, 300))], ...done } });
    const taskQueue = unique('stream-worker');
    const tools = [...builtinTools, waitTool];
    try {
      const first = await scriptedModelWorker(env, { taskQueue, url: model.url, tools });
      const firstRunning = first.run();
      const handle = await env.client.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
        taskQueue,
        workflowId: unique('stream-worker'),
        args: [{ goal: 'Wait six times' }],
      });
      const seen: StreamItem[] = [];
      const following = (async () => {
        for await (const item of followRun(env.client, handle.workflowId)) seen.push(item);
      })();
      await expect
        .poll(() => eventsOf(seen).filter((e) => e.kind === 'step-succeeded').length, { timeout: 30_000 })
        .toBeGreaterThanOrEqual(2);
      first.shutdown();
      await firstRunning;
      const second = await scriptedModelWorker(env, { taskQueue, url: model.url, tools });
      await second.runUntil(following);
      expectEachStepOnce(seen, await runResult(handle));
    } finally {
      await model.close();
    }
  });
});

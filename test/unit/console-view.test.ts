import { describe, expect, it } from 'vitest';
import { runEventSchema, type RunStreamEvent } from '../../src/stream/events.js';
import {
  adoptRunState,
  emptyRunView,
  foldItem,
  needsPlanFromState,
  restoreRunView,
  settle,
  type ConsoleItem,
  type RunView,
} from '../../src/serve/console/view.js';

const at = '2026-12-07T03:00:00.000Z';
const step = (id: string, dependsOn: string[] = []) => ({ id, title: `Step ${id}`, dependsOn });

/** An event without its version and time (the test adds them). */
type Bare = RunStreamEvent extends infer E ? (E extends RunStreamEvent ? Omit<E, 'v' | 'at'> : never) : never;

/** Folds events (checked against the stream's schema, so they are events a run can send) from offset 0 on. */
function fold(events: Bare[], view: RunView = emptyRunView('run-1')): RunView {
  return events.reduce((v, event) => {
    const parsed = runEventSchema.parse({ v: 1, at, ...event });
    return foldItem(v, { offset: v.lastOffset + 1, topic: 'events', event: parsed });
  }, view);
}

const proposed: Bare = {
  kind: 'plan-proposed',
  message: 'plan v1: 2 steps',
  version: 1,
  steps: [step('a'), step('b', ['a'])],
};

describe('the console view of a run', () => {
  it("writes the run's answer from the synthesizer's chunks, starting again at a restart, without steps' prose", () => {
    const chunks: Omit<Extract<ConsoleItem, { topic: 'answer' }>, 'offset' | 'topic'>[] = [
      { text: 'Two wai' },
      { text: 'checking a file', stepId: 'a' },
      { text: 'Two waits, ', restart: true },
      { text: 'both done.' },
    ];
    const view = chunks.reduce(
      (v, chunk) => foldItem(v, { offset: v.lastOffset + 1, topic: 'answer', ...chunk }),
      emptyRunView('run-1'),
    );
    expect(view.answer).toBe('Two waits, both done.');
  });

  it('draws the plan, marks steps as they start and end, and keeps the log in offset order', () => {
    const view = fold([
      { kind: 'run-started', goal: 'Wait twice', message: 'run started' },
      proposed,
      { kind: 'step-started', stepId: 'a', message: 'a started' },
      { kind: 'step-succeeded', stepId: 'a', preview: '{"waited":100}', message: 'a succeeded' },
      { kind: 'step-started', stepId: 'b', message: 'b started' },
      { kind: 'step-failed', stepId: 'b', error: 'boom', message: 'b failed' },
    ]);
    expect(view.goal).toBe('Wait twice');
    expect(view.steps.map((s) => [s.id, s.mark])).toEqual([
      ['a', 'succeeded'],
      ['b', 'failed'],
    ]);
    expect(view.steps[0]?.preview).toBe('{"waited":100}');
    expect(view.steps[1]?.error).toBe('boom');
    expect(view.log.map((l) => l.offset)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(view.lastOffset).toBe(5);
  });

  it('ignores an item read twice (a resumed stream that overlaps)', () => {
    const view = fold([proposed, { kind: 'step-started', stepId: 'a', message: 'a started' }]);
    const again = foldItem(view, {
      offset: 1,
      topic: 'events',
      event: runEventSchema.parse({ v: 1, at, kind: 'step-succeeded', stepId: 'a', message: 'x' }),
    });
    expect(again).toBe(view);
  });

  it('shows a replan as a new version with its diff, keeping the state of the steps it kept', () => {
    const view = fold([
      proposed,
      { kind: 'step-started', stepId: 'a', message: 'a started' },
      { kind: 'step-succeeded', stepId: 'a', message: 'a succeeded' },
      {
        kind: 'plan-proposed',
        message: 'plan v2: b replaced by c',
        version: 2,
        steps: [step('a'), step('c', ['a'])],
        changes: { added: ['c'], removed: ['b'], changed: [] },
      },
    ]);
    expect(view.plans).toEqual([
      { version: 1, message: 'plan v1: 2 steps', added: [], removed: [], changed: [] },
      { version: 2, message: 'plan v2: b replaced by c', added: ['c'], removed: ['b'], changed: [] },
    ]);
    expect(view.steps.map((s) => [s.id, s.mark, s.change])).toEqual([
      ['a', 'succeeded', undefined],
      ['c', 'pending', 'added'],
    ]);
  });

  it("takes a replanner's revision from the run's state, where the stream only names it", () => {
    const before = fold([
      proposed,
      { kind: 'step-succeeded', stepId: 'a', message: 'a succeeded' },
      { kind: 'step-failed', stepId: 'b', error: 'no such file', message: 'b failed' },
    ]);
    const replanned = fold([{ kind: 'step-recovered', how: 'replan', stepId: 'b', message: 'plan v2: use c' }], before);
    expect(
      needsPlanFromState({
        offset: 9,
        topic: 'events',
        event: runEventSchema.parse({ v: 1, at, kind: 'step-recovered', how: 'replan', message: 'm' }),
      }),
    ).toBe(true);
    expect(needsPlanFromState({ offset: 9, topic: 'answer', text: 'x' })).toBe(false);
    const state = {
      plan: {
        version: 2,
        steps: [
          { id: 'a', title: 'Step a' },
          { id: 'c', title: 'Step c', dependsOn: ['a'] },
        ],
      },
      planHistory: [
        { version: 1, reason: 'initial plan', steps: [] },
        { version: 2, reason: 'use c', steps: [], changes: { added: ['c'], removed: ['b'], changed: [] } },
      ],
      steps: [
        { id: 'a', title: 'Step a', status: 'succeeded', attempts: 1 },
        { id: 'c', title: 'Step c', status: 'succeeded', attempts: 1, output: { top: 'billing' } },
      ],
    } as unknown as Parameters<typeof adoptRunState>[1];
    const adopted = adoptRunState(replanned, state);
    expect(adopted.plans.at(-1)).toEqual({
      version: 2,
      message: 'plan v2: use c',
      added: ['c'],
      removed: ['b'],
      changed: [],
    });
    expect(adopted.steps.map((s) => [s.id, s.mark, s.change])).toEqual([
      ['a', 'succeeded', undefined],
      ['c', 'succeeded', 'added'],
    ]);
    expect(adopted.steps[1]?.preview).toBe('{"top":"billing"}');
    // A version the view already has (the stream listed it) is left as it is.
    expect(adoptRunState(adopted, state)).toBe(adopted);
  });

  it('lists what waits for a person until it is answered, by anyone', () => {
    const waiting = fold([
      proposed,
      { kind: 'status', status: 'awaiting-approval', message: 'run awaiting-approval' },
      {
        kind: 'waiting',
        asked: 'plan-approval',
        version: 1,
        message: 'plan v1 awaits approval',
        answers: [{ message: 'approvePlan', args: { version: 1 } }],
      },
    ]);
    expect(waiting.waits).toEqual([
      { key: 'plan:1', asked: 'plan-approval', version: 1, message: 'plan v1 awaits approval' },
    ]);
    expect(fold([{ kind: 'plan-approved', version: 1, message: 'approved' }], waiting).waits).toEqual([]);
    expect(settle(waiting, 'plan:1').waits).toEqual([]);

    const call: Bare & { kind: 'waiting' } = {
      kind: 'waiting',
      asked: 'tool-call-approval',
      stepId: 'save',
      callId: 'save-call-1',
      tool: 'write_file',
      args: { path: 'draft.txt' },
      message: 'save asks to call write_file',
      answers: [],
    };
    const calls = fold([call, { ...call, stepId: 'post', callId: 'post-call-2' }]);
    expect(calls.waits.map((w) => w.key)).toEqual(['call:save-call-1', 'call:post-call-2']);
    expect(calls.waits[0]?.args).toEqual({ path: 'draft.txt' });
    // While a tool call waits, the run is awaiting-approval, and the plan-approval wait its stream adds is not one.
    const withPlan = fold(
      [{ kind: 'waiting', asked: 'plan-approval', version: 1, message: 'plan v1 awaits approval', answers: [] }],
      calls,
    );
    expect(withPlan.waits.map((w) => w.key)).toEqual(['call:save-call-1', 'call:post-call-2']);
    const one = fold([{ kind: 'note', type: 'tool-call-approved', stepId: 'save', message: 'approved' }], calls);
    expect(one.waits.map((w) => w.key)).toEqual(['call:post-call-2']);
    expect(fold([{ kind: 'status', status: 'running', message: 'run running' }], one).waits).toEqual([]);
  });

  it('writes the answer as it arrives, then takes the one the run finished with', () => {
    const chunk = (offset: number, text: string): ConsoleItem => ({ offset, topic: 'answer', text });
    const streaming = foldItem(foldItem(emptyRunView('run-1'), chunk(0, 'Both ')), chunk(1, 'waited'));
    expect(streaming.answer).toBe('Both waited');
    const done = fold(
      [{ kind: 'run-finished', status: 'completed', answer: 'Both waited.', message: 'run completed' }],
      streaming,
    );
    expect(done).toMatchObject({
      answer: 'Both waited.',
      status: 'completed',
      finished: true,
      outcome: 'run completed',
      waits: [],
    });
  });

  it('restores a kept view of the same run only', () => {
    const view = fold([proposed]);
    expect(restoreRunView('run-1', JSON.stringify(view))).toEqual(view);
    expect(restoreRunView('run-2', JSON.stringify(view))).toBeUndefined();
    expect(restoreRunView('run-1', '{not json')).toBeUndefined();
    expect(restoreRunView('run-1', null)).toBeUndefined();
  });
});

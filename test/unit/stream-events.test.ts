import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { describe, expect, inject, it } from 'vitest';
import type { Plan } from '../../src/contract/plan.js';
import { parseRunInput, type RunInput } from '../../src/contract/run-input.js';
import { RunLedger } from '../../src/run/ledger.js';
import { newMemory } from '../../src/run/state.js';
import { RunEventDeriver } from '../../src/stream/derive.js';
import { readStreamItem, runEventSchema, type RunStreamEvent } from '../../src/stream/events.js';

/** A ledger whose every transition goes through the deriver, as the workflow's stream does. */
function streamed(input: Partial<RunInput> = {}) {
  const resolved = parseRunInput({ goal: 'Count the tickets', ...input });
  const events: RunStreamEvent[] = [];
  const memory = newMemory(resolved.goal);
  const deriver = new RunEventDeriver(memory.state);
  const book = new (class extends RunLedger {
    protected override changed(): void {
      events.push(...deriver.next(this.state));
    }
  })(resolved, memory);
  return { book, events };
}

const plan: Plan = {
  steps: [
    { id: 'load', title: 'Load', tool: 'read_file', args: {}, dependsOn: [] },
    { id: 'count', title: 'Count', tool: 'calculator', args: {}, dependsOn: ['load'] },
  ],
};

describe('run events derived from the ledger', () => {
  it('says what happened in order, each event valid against the schema', () => {
    const { book, events } = streamed();
    book.note('run-started', 'goal: Count the tickets');
    const version = book.adopt(plan, 'initial plan');
    book.note('plan-adopted', `plan v${version}`);
    book.approvalAsked();
    book.setStatus('running');
    book.note('plan-approved', 'plan v1 approved');
    book.stepStarted({ id: 'load', title: 'Load' }, 'step 1/2');
    book.stepEnded({ id: 'load', title: 'Load' }, 'step 1/2', {
      ok: true,
      output: { rows: 3 },
      attempts: 1,
      usage: { toolCalls: 1 },
    });
    book.stepStarted({ id: 'count', title: 'Count' }, 'step 2/2');
    book.stepEnded({ id: 'count', title: 'Count' }, 'step 2/2', { ok: false, error: 'boom', attempts: 2, usage: {} });
    book.answer('three tickets');
    book.end('partial');
    expect(events.map((e) => e.kind)).toEqual([
      'run-started',
      'plan-proposed',
      'status',
      'waiting',
      'status',
      'plan-approved',
      'step-started',
      'step-succeeded',
      'usage',
      'step-started',
      'step-failed',
      'run-finished',
    ]);
    for (const e of events) expect(runEventSchema.parse(e)).toEqual(e);
    const proposed = events[1] as { steps?: { id: string; dependsOn: string[] }[] };
    expect(proposed.steps?.map((s) => [s.id, s.dependsOn])).toEqual([
      ['load', []],
      ['count', ['load']],
    ]);
    expect(events[3]).toMatchObject({ asked: 'plan-approval', version: 1, answers: [{ message: 'approvePlan' }, {}] });
    expect(events[7]).toMatchObject({ stepId: 'load', preview: '{"rows":3}' });
    expect(events[10]).toMatchObject({ stepId: 'count', error: 'boom' });
    expect(events[11]).toMatchObject({ status: 'partial', answer: 'three tickets' });
  });

  it('gives a replanned plan the diff from the version before it', () => {
    const { book, events } = streamed();
    book.adopt(plan, 'initial plan');
    book.note('plan-adopted', 'plan v1');
    book.adopt({ steps: [plan.steps[0]!, { ...plan.steps[1]!, id: 'sum' }] }, 'the count failed');
    // As the replanner's revision is recorded (workflows/replan.ts): the new version, then why.
    book.note('replanned', 'plan v2: the count failed');
    book.note('replanned', 'continue as planned: the sum holds');
    expect(events.filter((e) => e.kind === 'plan-proposed').map((e) => (e as { version: number }).version)).toEqual([
      1, 2,
    ]);
    expect(events.at(-1)).toMatchObject({ kind: 'step-recovered', how: 'replan' });
    for (const e of events) expect(runEventSchema.parse(e)).toEqual(e);
    expect(events.at(-3)).toMatchObject({
      kind: 'step-recovered',
      how: 'replan',
      message: 'plan v2: the count failed',
    });
    expect(events.at(-2)).toMatchObject({
      kind: 'plan-proposed',
      version: 2,
      changes: { added: ['sum'], removed: ['count'], changed: [] },
    });
  });

  it('asks for a tool call, not for the plan, when a call waits for approval', () => {
    const { book, events } = streamed();
    book.adopt(plan, 'initial plan');
    book.note('plan-adopted', 'plan v1');
    book.setStatus('running');
    book.stepStarted({ id: 'load', title: 'Load' }, 'step 1/2');
    book.toolCallAwaitingApproval({ stepId: 'load', tool: 'read_file', args: { path: 'a.txt' } }, 'always asked');
    const waits = events.filter((e) => e.kind === 'waiting');
    expect(waits).toEqual([expect.objectContaining({ asked: 'tool-call-approval', callId: 'load-call-1' })]);
  });

  it('asks for a decision about an escalated step with the ways to answer', () => {
    const { book, events } = streamed();
    book.adopt(plan, 'initial plan');
    book.escalationAsked('load', 'the file is missing');
    expect(events.at(-1)).toMatchObject({ kind: 'waiting', asked: 'step-decision', stepId: 'load' });
    expect(events.filter((e) => e.kind === 'status')).toEqual([]);
  });

  it('starts after what a continued run already published', () => {
    const { book } = streamed();
    book.note('run-started', 'goal');
    const later = new RunEventDeriver(book.state);
    book.note('step-started', 'x', 'load');
    expect(later.next(book.state).map((e) => e.kind)).toEqual(['step-started']);
  });

  it('passes kinds a client does not know through as notes', () => {
    const item = readStreamItem(7, 'events', { v: 1, kind: 'tool-call-approved', at: 't', message: 'ok', stepId: 's' });
    expect(item).toEqual({
      offset: 7,
      topic: 'events',
      event: { v: 1, kind: 'note', type: 'tool-call-approved', at: 't', message: 'ok', stepId: 's' },
    });
    expect(() => readStreamItem(8, 'events', 'text')).toThrow(/not a run event/);
  });
});

describe('the workflow bundle with Workflow Streams', () => {
  it('holds exactly one copy of @temporalio/workflow, the one the worker uses', async () => {
    const code = await readFile(inject('workflowBundlePath'), 'utf8');
    const copies = new Set(code.match(/node_modules\/(?:[^'"\s]*\/node_modules\/)?@temporalio\/workflow\//g));
    expect([...copies]).toEqual(['node_modules/@temporalio/workflow/']);
    expect(code).toContain('node_modules/@temporalio/workflow-streams/lib/workflow.js');
    const fromStreams = createRequire(createRequire(import.meta.url).resolve('@temporalio/workflow-streams/workflow'));
    const used = createRequire(import.meta.url)('@temporalio/workflow/package.json') as { version: string };
    expect((fromStreams('@temporalio/workflow/package.json') as { version: string }).version).toBe(used.version);
    expect(fromStreams.resolve('@temporalio/workflow')).toBe(
      createRequire(import.meta.url).resolve('@temporalio/workflow'),
    );
  });

  it("leaves the events' zod schemas out: a run would build them each time its modules load", async () => {
    const code = await readFile(inject('workflowBundlePath'), 'utf8');
    expect(code).toContain('src/stream/topics.ts');
    expect(code).not.toContain('src/stream/events.ts');
  });
});

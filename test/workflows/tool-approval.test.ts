/**
 * Approval of single tool calls: a call of a tool that asks for it (or that the run names in `approveTools`) waits
 * for a person; approved (with edited arguments), rejected, or unanswered in time. On the time-skipping server
 * with typed activity mocks.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { Activities, ExecuteStepInput, RunToolInput } from '../../activities/index.js';
import type { Plan } from '../../src/contract/plan.js';
import type { ToolApproval } from '../../src/contract/tools.js';
import { builtinTools } from '../../src/tools/builtin.js';
import { toolInfo } from '../../src/tools/define.js';
import {
  approvePlanUpdate,
  approveToolCallSignal,
  approveToolCallUpdate,
  rejectToolCallUpdate,
} from '../../workflows/messages.js';
import { ONE_CALL, mockActivities, planned } from '../support/mock-activities.js';
import { rejectionOf } from '../support/rejection.js';
import { timeSkippingSuite, toolsAnswering, until } from '../support/run-workflow.js';

const { run } = timeSkippingSuite();
const synthesize = async () => ({ answer: 'done', usage: ONE_CALL });

/** The built-in tools, with `approval` set on some, as a worker describes them. */
function describedWith(approval: Record<string, ToolApproval>): Pick<Activities, 'describeWorker'> {
  return {
    describeWorker: async () => ({
      tools: builtinTools.map(toolInfo).map((t) => (approval[t.name] ? { ...t, approval: approval[t.name] } : t)),
      searchAttributes: [],
    }),
  };
}

const writeStep = (id: string, path: string, extra: Partial<Plan['steps'][number]> = {}) => ({
  id,
  title: `Write ${path}`,
  dependsOn: [],
  tool: 'write_file',
  args: { path, content: 'hello' },
  ...extra,
});

async function refusal(promise: Promise<unknown>): Promise<string> {
  return (await rejectionOf(promise, WorkflowUpdateFailedError)).cause?.message ?? '';
}

describe('a tool call that needs approval', () => {
  it('waits with its arguments in pendingCalls; an approval with edited arguments runs it with those', async () => {
    const tools = toolsAnswering({ write: { written: true } });
    const checked: unknown[] = [];
    const result = await run(
      mockActivities({
        ...describedWith({ write_file: 'always' }),
        createPlan: async () => planned({ steps: [writeStep('write', 'notes.txt')] }),
        runTool: tools.runTool,
        checkToolInput: async ({ args }) => {
          checked.push(args);
          return (args as { path?: unknown }).path === 42 ? { problem: 'path: expected string' } : {};
        },
        synthesize,
      }),
      { goal: 'Write the notes' },
      async (handle) => {
        const waiting = await until(handle, (s) => s.status === 'awaiting-approval');
        expect(waiting.pendingCalls).toEqual([
          {
            callId: 'write-call-1',
            stepId: 'write',
            tool: 'write_file',
            args: { path: 'notes.txt', content: 'hello' },
            reason: "write_file asks for a person's approval of every call",
            askedAt: expect.any(String),
          },
        ]);
        expect(tools.calls).toEqual([]);
        // Refused at once: an unknown call, a plan approval, edited arguments that do not fit.
        expect(await refusal(handle.executeUpdate(approveToolCallUpdate, { args: [{ callId: 'nope' }] }))).toBe(
          'no tool call "nope" is waiting for approval (waiting: "write-call-1")',
        );
        expect(await refusal(handle.executeUpdate(approvePlanUpdate, { args: [{ version: 1 }] }))).toContain(
          'no plan is awaiting approval: tool calls are',
        );
        expect(
          await refusal(
            handle.executeUpdate(approveToolCallUpdate, { args: [{ callId: 'write-call-1', args: { path: 42 } }] }),
          ),
        ).toBe('the edited arguments of write-call-1 were not taken: path: expected string');
        const edited = { path: 'notes-reviewed.txt', content: 'hello, reviewed' };
        expect(
          await handle.executeUpdate(approveToolCallUpdate, { args: [{ callId: 'write-call-1', args: edited }] }),
        ).toBe('running');
      },
    );
    expect(result.status).toBe('completed');
    expect(tools.calls.map((c) => c.args)).toEqual([{ path: 'notes-reviewed.txt', content: 'hello, reviewed' }]);
    expect(checked).toHaveLength(2);
    expect(result.pendingCalls).toBeUndefined();
    expect(result.events.filter((e) => e.type.startsWith('tool-call')).map((e) => e.message)).toEqual([
      'write waits for approval of write_file {"path":"notes.txt","content":"hello"} (call write-call-1): write_file asks for a person\'s approval of every call',
      'write_file call write-call-1 approved with edited arguments {"path":"notes-reviewed.txt","content":"hello, reviewed"}',
    ]);
  });

  it('fails its step when rejected, and recovery takes over (the fallback runs)', async () => {
    const tools = toolsAnswering({ write: { written: 'elsewhere' } });
    const result = await run(
      mockActivities({
        ...describedWith({ write_file: 'always' }),
        createPlan: async () =>
          planned({
            steps: [
              writeStep('write', 'notes.txt', {
                fallback: { tool: 'calculator', args: { expression: '1 + 1' } },
              }),
            ],
          }),
        runTool: tools.runTool,
        synthesize,
      }),
      { goal: 'Write the notes' },
      async (handle) => {
        await until(handle, (s) => s.status === 'awaiting-approval');
        expect(
          await handle.executeUpdate(rejectToolCallUpdate, { args: [{ callId: 'write-call-1', reason: 'not now' }] }),
        ).toBe('running');
      },
    );
    expect(result.status).toBe('completed');
    expect(tools.calls.map((c) => c.tool)).toEqual(['calculator']);
    expect(result.events.find((e) => e.type === 'fallback')?.message).toBe(
      'write failed (a person rejected this write_file call: not now); trying fallback tool calculator',
    );
  });

  it('counts as rejected when no one answers within approvalTimeout', async () => {
    const result = await run(
      mockActivities({
        ...describedWith({ write_file: 'always' }),
        createPlan: async () => planned({ steps: [writeStep('write', 'notes.txt')] }),
        synthesize,
      }),
      { goal: 'Write the notes', approvalTimeout: '2h', maxReplans: 0 },
    );
    expect(result.status).toBe('failed');
    expect(result.steps[0]).toMatchObject({ status: 'failed', attempts: 0 });
    expect(result.steps[0]?.error).toBe('a person rejected this write_file call: no answer within 2h');
    expect(result.events.find((e) => e.type === 'tool-call-rejected')?.message).toBe(
      'write_file call write-call-1 rejected: no answer within 2h',
    );
  });

  it('waits for each of several calls on its own; a signal answers one, a refused signal is recorded', async () => {
    const tools = toolsAnswering({ a: { ok: 1 }, b: { ok: 2 } });
    const result = await run(
      mockActivities({
        createPlan: async () =>
          planned({
            steps: [
              { id: 'a', title: 'A', dependsOn: [], tool: 'calculator', args: { expression: '1' } },
              { id: 'b', title: 'B', dependsOn: [], tool: 'calculator', args: { expression: '2' } },
            ],
          }),
        runTool: tools.runTool,
        synthesize,
      }),
      { goal: 'Count twice', approveTools: ['calculator'] },
      async (handle) => {
        const waiting = await until(handle, (s) => (s.pendingCalls?.length ?? 0) === 2);
        expect(waiting.pendingCalls?.map((c) => [c.callId, c.reason])).toEqual([
          ['a-call-1', 'this run asks for approval of every calculator call'],
          ['b-call-2', 'this run asks for approval of every calculator call'],
        ]);
        await handle.signal(approveToolCallSignal, { callId: 'b-call-2' });
        await handle.signal(approveToolCallSignal, { callId: 'b-call-2', extra: true } as never);
        const one = await until(handle, (s) => s.pendingCalls?.length === 1);
        expect(one.status).toBe('awaiting-approval');
        expect(one.pendingCalls?.[0]?.callId).toBe('a-call-1');
        await handle.executeUpdate(rejectToolCallUpdate, { args: [{ callId: 'a-call-1', reason: 'no' }] });
      },
    );
    expect(tools.calls.map((c) => c.stepId)).toEqual(['b']);
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['a', 'failed'],
      ['b', 'succeeded'],
    ]);
    expect(result.events.find((e) => e.type === 'signal-ignored')?.message).toContain('unknown field "extra"');
  });

  it('asks a tool whose approval depends on the input, and tells an executor of a rejection', async () => {
    const seen: ExecuteStepInput[] = [];
    const asked: RunToolInput[] = [];
    const tools = toolsAnswering({ fetch: { page: 'ok' } });
    const result = await run(
      mockActivities({
        ...describedWith({ http_get: 'conditional' }),
        createPlan: async () =>
          planned({ steps: [{ id: 'fetch', title: 'Fetch the pages', dependsOn: [], tools: ['http_get'] }] }),
        askApproval: async (input) => {
          asked.push(input);
          const url = (input.args as { url: string }).url;
          return url.includes('internal') ? { needed: true, reason: 'an internal address' } : { needed: false };
        },
        runTool: tools.runTool,
        executeStep: async (input) => {
          seen.push(structuredClone(input));
          if (seen.length > 1) return { kind: 'answer', output: 'one page', attempt: 1, usage: ONE_CALL };
          return {
            kind: 'tool-calls',
            calls: [
              { id: 'c1', tool: 'http_get', args: { url: 'http://public.test/' } },
              { id: 'c2', tool: 'http_get', args: { url: 'http://internal.test/admin' } },
            ],
            attempt: 1,
            usage: ONE_CALL,
          };
        },
        synthesize,
      }),
      { goal: 'Fetch two pages' },
      async (handle) => {
        const waiting = await until(handle, (s) => s.status === 'awaiting-approval');
        expect(waiting.pendingCalls?.map((c) => [c.callId, c.args, c.reason])).toEqual([
          ['fetch-call-1', { url: 'http://internal.test/admin' }, 'an internal address'],
        ]);
        await handle.executeUpdate(rejectToolCallUpdate, {
          args: [{ callId: 'fetch-call-1', reason: 'stay off the internal network' }],
        });
      },
    );
    expect(result.status).toBe('completed');
    // Both calls were asked about (side by side, in either order); only the one not needing approval ran.
    expect(asked.map((a) => (a.args as { url: string }).url).sort()).toEqual([
      'http://internal.test/admin',
      'http://public.test/',
    ]);
    expect(tools.calls.map((c) => c.args)).toEqual([{ url: 'http://public.test/' }]);
    expect(seen[1]?.turns?.slice(1)).toEqual([
      { role: 'tool', callId: 'c1', tool: 'http_get', output: { page: 'ok' } },
      {
        role: 'tool',
        callId: 'c2',
        tool: 'http_get',
        error: 'a person rejected this http_get call: stay off the internal network',
      },
    ]);
  });

  it('fails a run whose approveTools names a tool the worker does not have, before any step runs', async () => {
    const result = await run(
      mockActivities({ createPlan: async () => planned({ steps: [writeStep('write', 'notes.txt')] }) }),
      { goal: 'Write the notes', approveTools: ['write_fil'] },
    );
    expect(result.status).toBe('failed');
    expect(result.failure?.message).toMatch(
      /^approveTools names "write_fil", which this worker does not have \(it has: .*write_file.*\); fix the name$/,
    );
    expect(result.steps.map((s) => s.status)).toEqual([]);
  });
});

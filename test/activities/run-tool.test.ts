/**
 * runTool: input checked against the tool's schema, errors classified, output checked.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { runActivity } from '../support/activity-env.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createActivities } from '../../activities/index.js';
import { ErrorType } from '../../src/contract/errors.js';
import { DEMO_WORKSPACE } from '../../src/demo/support-report.js';
import type { Model } from '../../src/llm/model.js';
import { builtinTools } from '../../src/tools/builtin.js';
import { defineTool, ToolError } from '../../src/tools/define.js';
import { rejectionOf } from '../support/rejection.js';

const noModel = {} as Model;
const flaky = defineTool({
  name: 'flaky',
  description: 'fails as told',
  input: z.object({ mode: z.enum(['transient', 'permanent', 'crash', 'bad-output']) }),
  output: z.object({ ok: z.boolean() }),
  run: ({ mode }) => {
    if (mode === 'transient') throw new ToolError('service busy', true);
    if (mode === 'permanent') throw new ToolError('no such record', false);
    if (mode === 'crash') throw new TypeError('cannot read x of undefined');
    return { ok: 'yes' as unknown as boolean };
  },
});
const { runTool } = createActivities({ model: noModel, tools: [...builtinTools, flaky], workspace: DEMO_WORKSPACE });

const failureOf = (args: Parameters<typeof runTool>[0]) => rejectionOf(runActivity(runTool, args), ApplicationFailure);

describe('runTool', () => {
  it('runs a tool on the workspace and returns plain JSON with the attempt', async () => {
    const out = await runActivity(runTool, {
      stepId: 's',
      tool: 'data_query',
      args: { file: 'support-tickets.csv', groupBy: 'intent', limit: 1 },
    });
    expect(out).toEqual({
      output: { file: 'support-tickets.csv', matched: 318, groups: [{ key: 'billing_refund', value: 92, rows: 92 }] },
      attempt: 1,
    });
  });

  it('refuses unknown tools and invalid input for good', async () => {
    const unknown = await failureOf({ stepId: 's', tool: 'web_search', args: {} });
    expect([unknown.type, unknown.nonRetryable]).toEqual([ErrorType.UnknownTool, true]);
    expect(unknown.message).toContain(
      'this worker has: data_query, sql_query, calculator, read_file, write_file, list_files, http_get, flaky',
    );

    const invalid = await failureOf({ stepId: 's', tool: 'calculator', args: { expr: '1+1' } });
    expect([invalid.type, invalid.nonRetryable]).toEqual([ErrorType.InvalidToolInput, true]);
    expect(invalid.message).toMatch(/^invalid input for calculator: expression: /);
  });

  it('classifies tool errors: ToolError decides; unknown errors are retried', async () => {
    const transient = await failureOf({ stepId: 's', tool: 'flaky', args: { mode: 'transient' } });
    expect([transient.type, transient.nonRetryable, transient.details]).toEqual([
      ErrorType.ToolUnavailable,
      false,
      [{ attempt: 1 }],
    ]);

    const permanent = await failureOf({ stepId: 's', tool: 'flaky', args: { mode: 'permanent' } });
    expect([permanent.type, permanent.nonRetryable]).toEqual([ErrorType.ToolFailed, true]);
    expect(permanent.cause?.message).toBe('no such record');

    const crash = await failureOf({ stepId: 's', tool: 'flaky', args: { mode: 'crash' } });
    expect([crash.type, crash.nonRetryable]).toEqual([ErrorType.ToolUnavailable, false]);
    expect(crash.cause).toBeInstanceOf(TypeError);
  });

  it('refuses output that breaks the tool’s output schema', async () => {
    const failure = await failureOf({ stepId: 's', tool: 'flaky', args: { mode: 'bad-output' } });
    expect([failure.type, failure.nonRetryable]).toEqual([ErrorType.InvalidToolOutput, true]);
  });

  it('reports the calculator’s parse errors as permanent', async () => {
    const failure = await failureOf({ stepId: 's', tool: 'calculator', args: { expression: '2 +* 3' } });
    expect([failure.type, failure.nonRetryable]).toEqual([ErrorType.ToolFailed, true]);
    expect(failure.message).toBe('calculator failed: unexpected "*" at position 4');
  });
});

describe('heartbeats', () => {
  it('heartbeats for a tool that never does, and passes on the details of one that does', async () => {
    const silent = defineTool({
      name: 'silent',
      description: 'works for a while without heartbeating',
      input: z.object({ ms: z.number(), details: z.string().optional() }),
      run: async ({ ms, details }, ctx) => {
        if (details) ctx.heartbeat(details);
        await new Promise((r) => setTimeout(r, ms));
        return { done: true };
      },
    });
    const activities = createActivities({ model: noModel, tools: [silent], workspace: DEMO_WORKSPACE });
    const beats: unknown[] = [];
    const env = new MockActivityEnvironment();
    env.on('heartbeat', (d: unknown) => beats.push(d ?? null));
    await env.run(activities.runTool, { stepId: 's', tool: 'silent', args: { ms: 2_500 } });
    expect(beats.length).toBeGreaterThanOrEqual(2);

    const kept: unknown[] = [];
    const withDetails = new MockActivityEnvironment();
    withDetails.on('heartbeat', (d: unknown) => kept.push(d));
    await withDetails.run(activities.runTool, { stepId: 's', tool: 'silent', args: { ms: 1_500, details: 'page 3' } });
    expect(kept.length).toBeGreaterThanOrEqual(2);
    expect(kept.every((d) => d === 'page 3')).toBe(true);
  });
});

describe('tools that ask for approval', () => {
  const send = defineTool({
    name: 'send_email',
    description: 'Sends an email.',
    input: z.object({ to: z.string(), body: z.string() }),
    approval: ({ to }) => !to.endsWith('@example.test'),
    run: () => ({ sent: true }),
  });
  const shaky = defineTool({
    name: 'shaky',
    description: 'Its approval check throws.',
    input: z.object({}),
    approval: () => {
      throw new Error('oops');
    },
    run: () => ({}),
  });
  const activities = createActivities({ model: noModel, tools: [send, shaky, flaky], workspace: DEMO_WORKSPACE });

  it('says what the workflow needs to know: always, or conditional on the input', async () => {
    const described = await activities.describeWorker();
    expect(described.tools.find((t) => t.name === 'send_email')?.approval).toBe('conditional');
    expect(described.tools.find((t) => t.name === 'flaky')?.approval).toBeUndefined();
    const always = defineTool({ ...send, name: 'always_send', approval: 'always' });
    const alone = await createActivities({
      model: noModel,
      tools: [always],
      workspace: DEMO_WORKSPACE,
    }).describeWorker();
    expect(alone.tools[0]?.approval).toBe('always');
  });

  it('asks the tool about one call without running it; a check that throws means yes', async () => {
    const ask = (tool: string, args: Record<string, unknown>) =>
      runActivity(activities.askApproval, { stepId: 's', tool, args: args as never });
    expect(await ask('send_email', { to: 'team@example.test', body: 'hi' })).toEqual({ needed: false });
    expect(await ask('send_email', { to: 'ceo@elsewhere.test', body: 'hi' })).toEqual({
      needed: true,
      reason: "send_email asks for a person's approval of this call",
    });
    expect(await ask('shaky', {})).toMatchObject({ needed: true });
    // Input that breaks the schema needs no approval: it fails when it runs.
    expect(await ask('send_email', { to: 1 })).toEqual({ needed: false });
    expect(await ask('flaky', { mode: 'transient' })).toEqual({ needed: false });
  });

  it('checks arguments a person edited against the input schema', async () => {
    const check = (args: Record<string, unknown>) =>
      runActivity(activities.checkToolInput, { tool: 'send_email', args: args as never });
    expect(await check({ to: 'a@b.test', body: 'hi' })).toEqual({});
    expect((await check({ to: 'a@b.test' })).problem).toMatch(/^they do not fit send_email's input schema: body: /);
    expect(await runActivity(activities.checkToolInput, { tool: 'nope', args: {} })).toEqual({
      problem: 'this worker has no tool "nope"',
    });
  });

  it('refuses an approval that is neither always nor a function', () => {
    expect(() => defineTool({ ...send, approval: 'sometimes' as never })).toThrow(
      'tool "send_email": approval must be \'always\' or a function of the input that says whether a call needs approval',
    );
  });
});

/**
 * People in the loop: escalations, approval of revised plans, goal changes, and updates that refuse
 * a decision at once. On the time-skipping server with typed activity mocks.
 */
import { Context } from '@temporalio/activity';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../../src/contract/errors.js';
import { describe, expect, it } from 'vitest';
import type { ReplanInput } from '../../activities/index.js';
import type { Plan } from '../../src/contract/plan.js';
import {
  approvePlanSignal,
  approvePlanUpdate,
  changeGoalSignal,
  changeGoalUpdate,
  resolveEscalationSignal,
  resolveEscalationUpdate,
} from '../../workflows/messages.js';
import { ONE_CALL, mockActivities, planned } from '../support/mock-activities.js';
import { callsPerStep, toolsAnswering, until, timeSkippingSuite, calcStep } from '../support/run-workflow.js';
import { rejectionOf } from '../support/rejection.js';

const { run } = timeSkippingSuite();

const calc = calcStep;
const twoSteps: Plan = { steps: [calc('a'), calc('b', ['a'])] };
const synthesize = async () => ({ answer: 'done', usage: ONE_CALL });
/** Activities for a two-step plan whose steps both succeed. */
const twoStepsThatWork = () =>
  mockActivities({
    createPlan: async () => planned(twoSteps),
    runTool: toolsAnswering({ a: { value: 1 }, b: { value: 2 } }).runTool,
    synthesize,
  });

async function refusal(promise: Promise<unknown>): Promise<string> {
  return (await rejectionOf(promise, WorkflowUpdateFailedError)).cause?.message ?? '';
}

describe('escalation to a person', () => {
  it('waits in awaiting-decision; a refused decision fails at once; skip lets the run go on', async () => {
    const tools = toolsAnswering({ a: { value: 1 }, c: { value: 3 } });
    const result = await run(
      mockActivities({
        createPlan: async () => planned({ steps: [calc('a'), calc('b', ['a']), calc('c', ['a'])] }),
        runTool: tools.runTool,
        synthesize,
      }),
      { goal: 'Ask me', escalation: 'human', maxParallel: 1 },
      async (handle) => {
        const waiting = await until(handle, (s) => s.status === 'awaiting-decision');
        expect(waiting.escalation).toEqual({ stepId: 'b', message: 'b is broken' });
        expect(
          await refusal(handle.executeUpdate(resolveEscalationUpdate, { args: [{ stepId: 'a', decision: 'skip' }] })),
        ).toBe('step "a" is not awaiting a decision; "b" is');
        expect(
          await handle.executeUpdate(resolveEscalationUpdate, {
            args: [{ stepId: 'b', decision: 'skip', note: 'not needed' }],
          }),
        ).toBe('running'); // the status after the decision took effect
      },
    );
    expect(result.status).toBe('partial');
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['a', 'succeeded'],
      ['b', 'skipped'],
      ['c', 'succeeded'],
    ]);
    expect(result.events.find((e) => e.type === 'escalation-resolved')?.message).toBe('skip b: not needed');
  });

  it('retries the step when the person says retry', async () => {
    let attemptsOfB = 0;
    const result = await run(
      mockActivities({
        createPlan: async () => planned(twoSteps),
        runTool: async (input) => {
          if (input.stepId === 'b' && ++attemptsOfB === 1) {
            throw ApplicationFailure.create({ type: ErrorType.ToolFailed, nonRetryable: true, message: 'disk full' });
          }
          return { output: { value: 1 }, attempt: Context.current().info.attempt };
        },
        synthesize,
      }),
      { goal: 'Ask me', escalation: 'human', maxReplans: 0 },
      async (handle) => {
        await until(handle, (s) => s.status === 'awaiting-decision');
        await handle.signal(resolveEscalationSignal, { stepId: 'b', decision: 'retry' });
      },
    );
    expect(result.status).toBe('completed');
    expect(attemptsOfB).toBe(2);
  });

  it('ends the run when the person aborts, with an answer from what was done', async () => {
    const result = await run(
      mockActivities({
        createPlan: async () => planned(twoSteps),
        runTool: toolsAnswering({ a: { value: 1 } }).runTool,
        synthesize,
      }),
      { goal: 'Ask me', escalation: 'human' },
      async (handle) => {
        await until(handle, (s) => s.status === 'awaiting-decision');
        await handle.signal(resolveEscalationSignal, { stepId: 'b', decision: 'abort', note: 'wrong approach' });
      },
    );
    expect(result.status).toBe('partial');
    expect(result.failure).toEqual({ stepId: 'b', message: 'aborted by a person after: b is broken' });
    expect(result.answer).toBe('done');
  });

  it('replans when the person says replan, and when nobody answers in time', async () => {
    const seen: ReplanInput[] = [];
    const replan = async (input: ReplanInput) => {
      seen.push(input);
      return {
        decision: { action: 'finish' as const, answer: 'Enough.', reason: 'a suffices' },
        issues: [],
        usage: ONE_CALL,
      };
    };
    const activities = mockActivities({
      createPlan: async () => planned(twoSteps),
      runTool: toolsAnswering({ a: { value: 1 } }).runTool,
      replan,
    });

    const decided = await run(activities, { goal: 'Ask me', escalation: 'human' }, async (handle) => {
      await until(handle, (s) => s.status === 'awaiting-decision');
      await handle.signal(resolveEscalationSignal, { stepId: 'b', decision: 'replan' });
    });
    expect(decided).toMatchObject({ status: 'partial', answer: 'Enough.', replans: 1 });

    const unanswered = await run(activities, { goal: 'Ask me', escalation: 'human', approvalTimeout: '2h' });
    expect(unanswered).toMatchObject({ status: 'partial', answer: 'Enough.' });
    expect(unanswered.events.find((e) => e.type === 'escalation-resolved')?.message).toBe(
      'no decision about b within 2h; replanning',
    );
    expect(seen).toHaveLength(2);
  });
});

describe('malformed messages', () => {
  it('are refused by updates as non-retryable, naming the field; unknown signal names are recorded', async () => {
    const result = await run(twoStepsThatWork(), { goal: 'Approve me', approval: 'plan' }, async (handle) => {
      await until(handle, (s) => s.status === 'awaiting-approval');
      const typo = await rejectionOf(
        handle.executeUpdate(approvePlanUpdate, { args: [{ versoin: 1 } as never] }),
        WorkflowUpdateFailedError,
      );
      expect(typo.cause).toBeInstanceOf(ApplicationFailure);
      expect(typo.cause).toMatchObject({ type: 'MessageRefused', nonRetryable: true });
      expect(typo.cause?.message).toBe(
        'version: Invalid input: expected number, received undefined; unknown field "versoin"',
      );
      await handle.signal('aprovePlan', { version: 1 }); // a typo in the name
      expect(await handle.executeUpdate(approvePlanUpdate, { args: [{ version: 1 }] })).toBe('running');
    });
    expect(result.status).toBe('completed');
    expect(result.events.find((e) => e.type === 'signal-ignored')?.message).toBe(
      'unknown signal "aprovePlan" ignored; this run takes approvePlan, rejectPlan, changeGoal, resolveEscalation, approveToolCall, rejectToolCall',
    );
  });

  it('are ignored and recorded, and the run goes on', async () => {
    const result = await run(twoStepsThatWork(), { goal: 'Approve me', approval: 'plan' }, async (handle) => {
      await until(handle, (s) => s.status === 'awaiting-approval');
      await handle.signal(approvePlanSignal, undefined as never);
      await handle.signal(changeGoalSignal, { goal: 42 } as never);
      await until(handle, (s) => s.events.filter((e) => e.type === 'signal-ignored').length === 2);
      await handle.signal(approvePlanSignal, { version: 1 });
    });
    expect(result.status).toBe('completed');
    expect(result.events.filter((e) => e.type === 'signal-ignored').map((e) => e.message)).toEqual([
      'approvePlan undefined ignored: the message has no argument object',
      'changeGoal {"goal":42} ignored: goal: Invalid input: expected string, received number',
    ]);
  });

  it('are ignored and recorded when nested too deeply to read, and the run goes on', async () => {
    // Deeper than JSON.stringify can walk: sent as raw JSON, as any client may.
    const depth = 20_000;
    const json = `${'{"inner":'.repeat(depth)}{"version":1}${'}'.repeat(depth)}`;
    const result = await run(twoStepsThatWork(), { goal: 'Approve me', approval: 'plan' }, async (handle) => {
      await until(handle, (s) => s.status === 'awaiting-approval');
      await handle.client.workflowService.signalWorkflowExecution({
        namespace: handle.client.options.namespace,
        workflowExecution: { workflowId: handle.workflowId },
        signalName: approvePlanSignal.name,
        input: { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(json) }] },
      });
      await until(handle, (s) => s.events.some((e) => e.type === 'signal-ignored'));
      await handle.signal(approvePlanSignal, { version: 1 });
    });
    expect(result.status).toBe('completed');
    expect(result.events.find((e) => e.type === 'signal-ignored')?.message).toMatch(
      /^approvePlan \(an argument too deeply nested to show\) ignored: the message is malformed: /,
    );
  });
});

describe('approval', () => {
  it('refuses an update for a stale plan version at once, and accepts the current one', async () => {
    const result = await run(twoStepsThatWork(), { goal: 'Approve me', approval: 'plan' }, async (handle) => {
      await until(handle, (s) => s.status === 'awaiting-approval');
      expect(await refusal(handle.executeUpdate(approvePlanUpdate, { args: [{ version: 2 }] }))).toBe(
        'plan v2 is not the plan awaiting approval (v1)',
      );
      await handle.executeUpdate(approvePlanUpdate, { args: [{ version: 1 }] });
    });
    expect(result.status).toBe('completed');
    expect(result.events.some((e) => e.type === 'signal-ignored')).toBe(false);
  });

  it("with approval 'replans', waits for approval of every revised plan", async () => {
    const result = await run(
      mockActivities({
        createPlan: async () => planned(twoSteps),
        runTool: toolsAnswering({ a: { value: 1 }, b2: { value: 2 } }).runTool,
        replan: async () => ({
          decision: { action: 'revise', steps: [calc('b2', ['a'])], reason: 'b is down' },
          issues: [],
          usage: ONE_CALL,
        }),
        synthesize,
      }),
      { goal: 'Approve me', approval: 'replans' },
      async (handle) => {
        await until(handle, (s) => s.status === 'awaiting-approval' && s.plan?.version === 1);
        await handle.signal(approvePlanSignal, { version: 1 });
        const revised = await until(handle, (s) => s.status === 'awaiting-approval' && s.plan?.version === 2);
        expect(revised.steps.map((s) => [s.id, s.status])).toEqual([
          ['a', 'succeeded'],
          ['b2', 'pending'],
        ]);
        await handle.signal(approvePlanSignal, { version: 2 });
      },
    );
    expect(result.status).toBe('completed');
    expect(result.events.filter((e) => e.type === 'plan-approved').map((e) => e.message)).toEqual([
      'plan v1 approved',
      'plan v2 approved',
    ]);
  });
});

describe('changing the goal', () => {
  it('replans for the new goal after the running step, keeping what was done', async () => {
    const seen: ReplanInput[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const tools = toolsAnswering({ a: { value: 1 }, b: { value: 2 }, c: { value: 3 } });
    const result = await run(
      mockActivities({
        createPlan: async () => planned(twoSteps),
        runTool: async (input) => {
          if (input.stepId === 'a') await gate;
          return tools.runTool(input);
        },
        replan: async (input) => {
          seen.push(input);
          return {
            decision: { action: 'revise', steps: [calc('c', ['a'])], reason: 'c answers the new goal' },
            issues: [],
            usage: ONE_CALL,
          };
        },
        synthesize,
      }),
      { goal: 'Old goal' },
      async (handle) => {
        await until(handle, (s) => s.steps[0]?.status === 'running');
        expect(await refusal(handle.executeUpdate(changeGoalUpdate, { args: [{ goal: '   ' }] }))).toBe(
          'the new goal is empty',
        );
        await handle.signal(changeGoalSignal, { goal: 'New goal', reason: 'priorities moved' });
        release();
      },
    );
    expect(result.status).toBe('completed');
    expect(result.goal).toBe('New goal');
    expect(seen[0]).toMatchObject({ goal: 'New goal', reason: 'the goal changed to "New goal" (priorities moved)' });
    expect(seen[0]?.done.map((s) => s.id)).toEqual(['a']);
    expect(callsPerStep(tools.calls)).toEqual({ a: 1, c: 1 });
    expect(result.steps.map((s) => s.id)).toEqual(['a', 'c']);
  });

  it('plans again for the new goal while the first plan awaits approval', async () => {
    const goals: string[] = [];
    const result = await run(
      mockActivities({
        createPlan: async (input) => (goals.push(input.goal), planned(twoSteps)),
        runTool: toolsAnswering({ a: { value: 1 }, b: { value: 2 } }).runTool,
        synthesize,
      }),
      { goal: 'Old goal', approval: 'plan' },
      async (handle) => {
        await until(handle, (s) => s.status === 'awaiting-approval');
        await handle.executeUpdate(changeGoalUpdate, { args: [{ goal: 'New goal' }] });
        await until(handle, (s) => s.status === 'awaiting-approval' && s.plan?.version === 2);
        await handle.signal(approvePlanSignal, { version: 2 });
      },
    );
    expect(goals).toEqual(['Old goal', 'New goal']);
    expect(result.status).toBe('completed');
  });
});

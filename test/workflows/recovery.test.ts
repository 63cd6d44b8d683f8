/**
 * Recovery after a step's retries are spent, and replanning that keeps finished work: every branch on
 * the time-skipping server with typed activity mocks.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { CreatePlanInput, ReplanInput, RunToolInput } from '../../activities/index.js';
import { ErrorType } from '../../src/contract/errors.js';
import { builtinTools } from '../../src/tools/builtin.js';
import { toolInfo } from '../../src/tools/define.js';
import type { Plan } from '../../src/contract/plan.js';
import type { ReplanDecision } from '../../src/contract/replan.js';
import { ONE_CALL, mockActivities, planned } from '../support/mock-activities.js';
import { callsPerStep, toolsAnswering, timeSkippingSuite, calcStep } from '../support/run-workflow.js';

const { run, env: currentEnv } = timeSkippingSuite();

const calc = calcStep;

const synthesize = async () => ({ answer: 'done', usage: ONE_CALL });

/** A replan mock answering from a list of decisions, recording what it was asked. */
function replanner(decisions: ReplanDecision[], seen: ReplanInput[] = []) {
  return {
    seen,
    replan: async (input: ReplanInput) => {
      seen.push(input);
      const decision = decisions.shift();
      if (!decision) throw ApplicationFailure.nonRetryable('no more scripted replan decisions');
      return { decision, issues: [], usage: ONE_CALL };
    },
  };
}

describe('recovery after retries are spent', () => {
  it('runs the fallback tool with its own arguments when the tool fails for good', async () => {
    const calls: RunToolInput[] = [];
    const plan: Plan = {
      steps: [
        {
          ...calc('total'),
          tool: 'data_query',
          args: { file: 'new.csv' },
          fallback: { tool: 'data_query', args: { file: 'backup.csv' } },
        },
      ],
    };
    const result = await run(
      mockActivities({
        createPlan: async () => planned(plan),
        runTool: async (input) => {
          calls.push(input);
          if ((input.args as { file: string }).file === 'new.csv') {
            throw ApplicationFailure.create({
              type: ErrorType.ToolFailed,
              nonRetryable: true,
              message: 'no such file',
            });
          }
          return { output: { value: 7 }, attempt: 1 };
        },
        synthesize,
      }),
      { goal: 'Count' },
    );
    expect(result.status).toBe('completed');
    expect(calls.map((c) => c.args)).toEqual([{ file: 'new.csv' }, { file: 'backup.csv' }]);
    expect(result.steps[0]).toMatchObject({ status: 'succeeded', output: { value: 7 }, attempts: 2 });
    expect(result.events.find((e) => e.type === 'fallback')?.message).toBe(
      'total failed (no such file); trying fallback tool data_query',
    );
  });

  it('skips a failed non-critical step and the non-critical steps after it; the run ends partial', async () => {
    const tools = toolsAnswering({ a: { value: 1 }, d: { value: 4 } });
    const result = await run(
      mockActivities({
        createPlan: async () =>
          planned({
            steps: [
              calc('a'),
              calc('b', [], { critical: false }),
              calc('c', ['b'], { critical: false }),
              calc('d', ['a']),
            ],
          }),
        runTool: tools.runTool,
        synthesize,
      }),
      { goal: 'Best effort', maxParallel: 1 },
    );
    expect(result.status).toBe('partial');
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['a', 'succeeded'],
      ['b', 'skipped'],
      ['c', 'skipped'],
      ['d', 'succeeded'],
    ]);
    expect(result.steps[2]?.error).toBe('depends on skipped step "b"');
    expect(callsPerStep(tools.calls)).toEqual({ a: 1, b: 1, d: 1 });
  });

  it('replans when a critical step depends on a skipped one', async () => {
    const { replan, seen } = replanner([
      {
        action: 'revise',
        steps: [calc('c2', ['a'], { args: { expression: '{{a.value}} + 1' } })],
        reason: 'work around b',
      },
    ]);
    const tools = toolsAnswering({ a: { value: 1 }, c2: { value: 2 } });
    const result = await run(
      mockActivities({
        createPlan: async () =>
          planned({ steps: [calc('a'), calc('b', ['a'], { critical: false }), calc('c', ['b'])] }),
        runTool: tools.runTool,
        replan,
        synthesize,
      }),
      { goal: 'Chain' },
    );
    // b stays skipped in the revision: the answer is partial.
    expect(result.status).toBe('partial');
    expect(seen[0]?.failure).toEqual({ stepId: 'b', message: 'critical steps c depend on skipped step "b"' });
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['a', 'succeeded'],
      ['b', 'skipped'],
      ['c2', 'succeeded'],
    ]);
    expect(tools.calls.find((c) => c.stepId === 'c2')?.args).toEqual({ expression: '1 + 1' });
  });

  it('replans after two failures in a row, even for non-critical steps', async () => {
    const { replan, seen } = replanner([
      { action: 'finish', answer: 'Nothing more to learn.', reason: 'sources are down' },
    ]);
    const result = await run(
      mockActivities({
        createPlan: async () =>
          planned({ steps: [calc('a', [], { critical: false }), calc('b', [], { critical: false }), calc('c')] }),
        runTool: toolsAnswering({ c: { value: 3 } }).runTool,
        replan,
      }),
      { goal: 'Probe', maxParallel: 1 },
    );
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['a', 'skipped'],
      ['b', 'failed'],
      ['c', 'cancelled'],
    ]);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.failure?.stepId).toBe('b');
    // The replanner finished the run, but a step had failed: the result says so.
    expect(result.status).toBe('partial');
    expect(result.failure).toEqual({ stepId: 'b', message: 'b is broken' });
    expect(result.answer).toBe('Nothing more to learn.');
    expect(result.replans).toBe(1);
  });

  it('revises the remaining steps, keeping finished work and never running it again', async () => {
    const { replan, seen } = replanner([
      {
        action: 'revise',
        steps: [
          calc('retry_b', ['a'], { tool: 'data_query', args: { file: 'other.csv' } }),
          calc('c', ['a', 'retry_b']),
        ],
        reason: 'read the other file',
      },
    ]);
    const tools = toolsAnswering({ a: { value: 1 }, retry_b: { value: 2 }, c: { value: 3 } });
    const result = await run(
      mockActivities({
        createPlan: async () => planned({ steps: [calc('a'), calc('b', ['a']), calc('c', ['a', 'b'])] }),
        runTool: tools.runTool,
        replan,
        synthesize,
      }),
      { goal: 'Chain' },
    );
    expect(result.status).toBe('completed');
    expect(callsPerStep(tools.calls)).toEqual({ a: 1, b: 1, retry_b: 1, c: 1 });
    expect(seen[0]).toMatchObject({
      reason: 'step "b" failed: b is broken',
      done: [{ id: 'a', status: 'succeeded', output: { value: 1 } }],
      failure: { stepId: 'b', message: 'b is broken' },
    });
    expect(seen[0]?.remaining.map((s) => s.id)).toEqual(['b', 'c']);
    expect(result.plan?.version).toBe(2);
    expect(result.steps.map((s) => s.id)).toEqual(['a', 'retry_b', 'c']);
    expect(result.planHistory.map((h) => [h.version, h.reason])).toEqual([
      [1, 'initial plan'],
      [2, 'step "b" failed: b is broken: read the other file'],
    ]);
    // What a person approving v2 sees changed since v1.
    expect(result.planHistory.map((h) => h.changes)).toEqual([
      undefined,
      { added: ['retry_b'], removed: ['b'], changed: [{ id: 'c', fields: ['dependsOn'] }] },
    ]);
    expect(result.replans).toBe(1);
  });

  it('handles steps that failed side by side once, even when a replan drops the second', async () => {
    const { replan, seen } = replanner([{ action: 'revise', steps: [calc('c2', ['a'])], reason: 'replace both' }]);
    const result = await run(
      mockActivities({
        createPlan: async () => planned({ steps: [calc('a'), calc('b1', ['a']), calc('b2', ['a'])] }),
        runTool: toolsAnswering({ a: { value: 1 }, c2: { value: 2 } }).runTool,
        replan,
        synthesize,
      }),
      { goal: 'Fan', maxParallel: 2 },
    );
    expect(result.status).toBe('completed');
    expect(seen).toHaveLength(1);
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['a', 'succeeded'],
      ['c2', 'succeeded'],
    ]);
  });

  it('refuses a revision whose critical step depends on a skipped step', async () => {
    const { replan, seen } = replanner([
      { action: 'revise', steps: [calc('c2', ['b'])], reason: 'needs b' },
      { action: 'revise', steps: [calc('c3', ['a'])], reason: 'without b' },
    ]);
    const result = await run(
      mockActivities({
        createPlan: async () =>
          planned({ steps: [calc('a'), calc('b', ['a'], { critical: false }), calc('c', ['b'])] }),
        runTool: toolsAnswering({ a: { value: 1 }, c3: { value: 3 } }).runTool,
        replan,
        synthesize,
      }),
      { goal: 'Chain' },
    );
    expect(result.status).toBe('partial');
    expect(seen[1]?.revise?.issues).toEqual([
      { stepId: 'c2', message: 'depends on skipped step(s) b, so it could never run' },
    ]);
  });

  it('sends an invalid revision back to the replanner, e.g. one that reuses a finished step id', async () => {
    const { replan, seen } = replanner([
      { action: 'revise', steps: [calc('a', [])], reason: 'redo a' },
      { action: 'revise', steps: [calc('b2', ['a'])], reason: 'new b' },
    ]);
    const result = await run(
      mockActivities({
        createPlan: async () => planned({ steps: [calc('a'), calc('b', ['a'])] }),
        runTool: toolsAnswering({ a: { value: 1 }, b2: { value: 2 } }).runTool,
        replan,
        synthesize,
      }),
      { goal: 'Chain' },
    );
    expect(result.status).toBe('completed');
    expect(seen[1]?.revise?.issues).toContainEqual({
      stepId: 'a',
      message: '"a" is a finished step; give the new step another id',
    });
  });

  it('tries the failed step again when the replanner says continue', async () => {
    let attemptsOfB = 0;
    const result = await run(
      mockActivities({
        createPlan: async () => planned({ steps: [calc('a'), calc('b', ['a'])] }),
        runTool: async (input) => {
          if (input.stepId === 'b' && ++attemptsOfB === 1) {
            throw ApplicationFailure.create({
              type: ErrorType.ToolFailed,
              nonRetryable: true,
              message: 'flaky service',
            });
          }
          return { output: { value: 1 }, attempt: Context.current().info.attempt };
        },
        replan: replanner([{ action: 'continue', reason: 'transient outage' }]).replan,
        synthesize,
      }),
      { goal: 'Chain' },
    );
    expect(result.status).toBe('completed');
    expect(attemptsOfB).toBe(2);
    expect(result.steps[1]).toMatchObject({ id: 'b', status: 'succeeded', attempts: 2 });
  });

  it('ends partial after maxReplans, with a failure report and an answer from what was done', async () => {
    const { replan, seen } = replanner([
      { action: 'continue', reason: 'try again' },
      { action: 'continue', reason: 'try once more' },
    ]);
    let failure: string | undefined;
    const result = await run(
      mockActivities({
        createPlan: async () => planned({ steps: [calc('a'), calc('b', ['a'])] }),
        runTool: toolsAnswering({ a: { value: 1 } }).runTool,
        replan,
        synthesize: async (input) => {
          failure = input.failure;
          return { answer: 'Only a is known.', usage: ONE_CALL };
        },
      }),
      { goal: 'Chain', maxReplans: 2 },
    );
    expect(seen).toHaveLength(2);
    expect(result.status).toBe('partial');
    expect(result.replans).toBe(2);
    expect(result.failure).toEqual({ stepId: 'b', message: 'b is broken; no replans left' });
    expect(failure).toBe('b is broken; no replans left');
    expect(result.answer).toBe('Only a is known.');
  });

  it('waits through a retry backoff of hours when the tool asks for it', async () => {
    const startedAt = await currentEnv().currentTimeMs();
    let attempts = 0;
    const result = await run(
      mockActivities({
        createPlan: async () => planned({ steps: [calc('a')] }),
        runTool: async () => {
          if (++attempts === 1) {
            throw ApplicationFailure.create({
              type: ErrorType.ToolUnavailable,
              message: 'quota resets in 3 hours',
              nextRetryDelay: '3h',
            });
          }
          return { output: { value: 1 }, attempt: Context.current().info.attempt };
        },
        synthesize,
      }),
      { goal: 'Wait' },
    );
    expect(result.status).toBe('completed');
    expect(result.steps[0]?.attempts).toBe(2);
    expect((await currentEnv().currentTimeMs()) - startedAt).toBeGreaterThanOrEqual(3 * 3600 * 1000);
  });

  it('times a slow attempt out after stepTimeout and retries it', async () => {
    let attempts = 0;
    const result = await run(
      mockActivities({
        createPlan: async () => planned({ steps: [calc('a')] }),
        runTool: async () => {
          if (++attempts === 1) await new Promise((r) => setTimeout(r, 3000));
          return { output: { value: 1 }, attempt: Context.current().info.attempt };
        },
        synthesize,
      }),
      { goal: 'Slow', stepTimeout: '1s' },
    );
    expect(result.status).toBe('completed');
    expect(result.steps[0]?.attempts).toBe(2);
  });
});

describe('review after every step', () => {
  it('consults the replanner after each step, runs steps one at a time, and applies a revision', async () => {
    const { replan, seen } = replanner([
      { action: 'continue', reason: 'fine' },
      { action: 'revise', steps: [calc('c2', ['b'])], reason: 'c is not needed; c2 is' },
      { action: 'continue', reason: 'the goal is reached' },
    ]);
    const tools = toolsAnswering({ a: { value: 1 }, b: { value: 2 }, c2: { value: 3 } });
    const result = await run(
      mockActivities({
        createPlan: async () => planned({ steps: [calc('a'), calc('b'), calc('c', ['b'])] }),
        runTool: tools.runTool,
        replan,
        synthesize,
      }),
      { goal: 'Careful', review: 'every-step' },
    );
    expect(result.status).toBe('completed');
    expect(seen.map((r) => r.reason)).toEqual([
      'review after step "a"',
      'review after step "b"',
      'review after step "c2", the last one planned: add the steps the goal still needs, or finish',
    ]);
    expect(tools.calls.map((c) => c.stepId)).toEqual(['a', 'b', 'c2']);
    expect(result.replans).toBe(1);
  });

  it('reviews after the last step too: the replanner adds the steps the goal still needs', async () => {
    const { replan, seen } = replanner([
      { action: 'continue', reason: 'fine' },
      { action: 'revise', steps: [calc('c', ['b']), calc('d', ['c'])], reason: 'the goal needs two more steps' },
      { action: 'continue', reason: 'fine' },
      { action: 'finish', answer: 'four steps did it', reason: 'the goal is reached' },
    ]);
    const tools = toolsAnswering({ a: { value: 1 }, b: { value: 2 }, c: { value: 3 }, d: { value: 4 } });
    const result = await run(
      mockActivities({
        createPlan: async () => planned({ steps: [calc('a'), calc('b', ['a'])] }),
        runTool: tools.runTool,
        replan,
        synthesize,
      }),
      { goal: 'Careful', review: 'every-step' },
    );
    expect(tools.calls.map((c) => c.stepId)).toEqual(['a', 'b', 'c', 'd']);
    expect(seen.map((r) => r.remaining.map((s) => s.id))).toEqual([['b'], [], ['d'], []]);
    expect(result).toMatchObject({ status: 'completed', answer: 'four steps did it', replans: 1 });
  });

  it('ends partial when the replanner finishes a run in which a step was skipped', async () => {
    const { replan, seen } = replanner([
      { action: 'continue', reason: 'fine' },
      { action: 'finish', answer: 'enough without b', reason: 'the goal is reached' },
    ]);
    const tools = toolsAnswering({ a: { value: 1 }, c: { value: 3 } });
    const result = await run(
      mockActivities({
        createPlan: async () =>
          planned({ steps: [calc('a'), calc('b', ['a'], { critical: false }), calc('c', ['a'])] }),
        runTool: tools.runTool,
        replan,
        synthesize,
      }),
      { goal: 'Careful', review: 'every-step' },
    );
    expect(seen.map((r) => r.reason)).toEqual([
      'review after step "a"',
      'review after step "c", the last one planned: add the steps the goal still needs, or finish',
    ]);
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['a', 'succeeded'],
      ['b', 'skipped'],
      ['c', 'succeeded'],
    ]);
    expect(result).toMatchObject({ status: 'partial', answer: 'enough without b' });
  });
});

describe('when the model refuses for good', () => {
  const refused = async (): Promise<never> => {
    throw ApplicationFailure.create({
      type: ErrorType.ModelRequestRejected,
      nonRetryable: true,
      message: 'the API key was refused',
    });
  };

  it('ends the run failed with the reason when the planner cannot answer', async () => {
    const result = await run(mockActivities({ createPlan: refused }), { goal: 'Plan' });
    expect(result.status).toBe('failed');
    expect(result.failure?.message).toBe('the planner could not answer: the API key was refused');
  });

  it('ends the run partial, with what was done, when the replanner cannot answer', async () => {
    const result = await run(
      mockActivities({
        createPlan: async () => planned({ steps: [calc('a'), calc('b', ['a'])] }),
        runTool: toolsAnswering({ a: { value: 1 } }).runTool,
        replan: refused,
        synthesize,
      }),
      { goal: 'Chain' },
    );
    expect(result.status).toBe('partial');
    expect(result.failure).toEqual({ stepId: 'b', message: 'the replanner could not answer: the API key was refused' });
    expect(result.steps[0]?.status).toBe('succeeded');
  });
});

describe('when the model’s answer is unusable (cut off, or invalid after a repair)', () => {
  const unusable = (usage = { llmCalls: 2, inputTokens: 900, outputTokens: 4096 }) =>
    ApplicationFailure.create({
      type: ErrorType.InvalidModelOutput,
      nonRetryable: true,
      message: 'the model’s plan was invalid twice (once after a repair request): it was cut off at the output limit',
      details: [{ usage }],
    });

  it('asks the planner for a revision while attempts remain, counting the failed calls', async () => {
    const requests: CreatePlanInput[] = [];
    const result = await run(
      mockActivities({
        createPlan: async (): Promise<never> => {
          throw unusable();
        },
        revisePlan: async (input) => {
          requests.push(input);
          return planned({ steps: [calc('a')] });
        },
        runTool: toolsAnswering({ a: { value: 1 } }).runTool,
        synthesize,
      }),
      { goal: 'Plan' },
    );
    expect(result.status).toBe('completed');
    expect(requests[0]?.revise?.issues[0]?.message).toMatch(/^the planner's answer was unusable: .*cut off/);
    expect(result.usage.llmCalls).toBe(2 + 1 + 1);
    expect(result.usage.outputTokens).toBeGreaterThanOrEqual(4096);
  });

  it('fails the run with the reason once every attempt was unusable', async () => {
    let calls = 0;
    const always = async (): Promise<never> => {
      calls++;
      throw unusable();
    };
    const result = await run(mockActivities({ createPlan: always, revisePlan: always }), { goal: 'Plan' });
    expect(result.status).toBe('failed');
    expect(calls).toBe(3);
    expect(result.failure?.message).toMatch(/^the planner could not answer: the model’s plan was invalid twice/);
    expect(result.usage.llmCalls).toBe(6);
  });

  it('asks the replanner again when its answer was unusable', async () => {
    let replans = 0;
    const result = await run(
      mockActivities({
        createPlan: async () => planned({ steps: [calc('a'), calc('b', ['a'])] }),
        runTool: toolsAnswering({ a: { value: 1 } }).runTool,
        replan: async () => {
          replans++;
          if (replans === 1) throw unusable();
          return {
            decision: { action: 'finish', answer: 'a was enough', reason: 'b is not needed' },
            issues: [],
            usage: ONE_CALL,
          };
        },
      }),
      { goal: 'Chain' },
    );
    expect(replans).toBe(2);
    expect(result.status).toBe('partial');
    expect(result.answer).toBe('a was enough');
  });
});

describe('model calls whose attempts time out', () => {
  it('count every call that reached the model, from the heartbeats of the attempts that timed out', async () => {
    let attempts = 0;
    const result = await run(
      mockActivities({
        createPlan: async (): Promise<never> => {
          attempts++;
          const activity = Context.current();
          const earlier = (activity.info.heartbeatDetails as { usage?: typeof ONE_CALL } | undefined)?.usage;
          // One call answered, then the worker hangs: the attempt times out on its heartbeat.
          activity.heartbeat({ usage: { ...ONE_CALL, llmCalls: (earlier?.llmCalls ?? 0) + 1 } });
          await activity.sleep('1h');
          throw new Error('unreachable');
        },
      }),
      { goal: 'Plan' },
    );
    expect(attempts).toBe(5);
    expect(result.status).toBe('failed');
    expect(result.failure?.message).toBe('the planner could not answer: timed out (HEARTBEAT)');
    expect(result.usage.llmCalls).toBe(5);
  });
});

describe('a tool’s own call options', () => {
  it('override the run’s retry policy for that tool', async () => {
    let attempts = 0;
    const result = await run(
      mockActivities({
        describeWorker: async () => ({
          tools: builtinTools
            .map(toolInfo)
            .map((t) => (t.name === 'calculator' ? { ...t, callOptions: { retry: { maximumAttempts: 1 } } } : t)),
          searchAttributes: [],
        }),
        createPlan: async () => planned({ steps: [calc('a')] }),
        runTool: async () => {
          attempts++;
          throw ApplicationFailure.create({ type: ErrorType.ToolUnavailable, message: 'busy' });
        },
      }),
      { goal: 'Once', maxReplans: 0 },
    );
    expect(attempts).toBe(1);
    expect(result.status).toBe('failed');
    expect(result.steps[0]).toMatchObject({ status: 'failed', attempts: 1, error: 'busy' });
  });
});

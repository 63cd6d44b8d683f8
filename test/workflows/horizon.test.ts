/**
 * Rolling horizon on the time-skipping server: the planner plans at most `horizon` steps, the replanner is asked
 * for the next ones when they are done, until it finishes or `maxSteps` is reached.
 */
import { describe, expect, it } from 'vitest';
import type { ReplanInput } from '../../activities/index.js';
import type { Step } from '../../src/contract/plan.js';
import { ONE_CALL, mockActivities, planned } from '../support/mock-activities.js';
import { timeSkippingSuite, toolsAnswering } from '../support/run-workflow.js';

const { run } = timeSkippingSuite();

const calc = (id: string, dependsOn: string[] = []): Step => ({
  id,
  title: id,
  dependsOn,
  tool: 'calculator',
  args: { expression: '1 + 1' },
});

/** What each step's tool returns. */
const SUMS = Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((id) => [id, { value: 2 }]));

const revise = (reason: string, ...steps: Step[]) => ({
  decision: { action: 'revise' as const, reason, steps },
  issues: [],
  usage: ONE_CALL,
});

describe('rolling horizon', () => {
  it('asks for the next steps when the planned ones are done, until the replanner finishes', async () => {
    const asked: ReplanInput[] = [];
    const decisions = [
      revise('next batch', calc('c', ['b']), calc('d', ['c'])),
      {
        decision: { action: 'finish' as const, reason: 'all done', answer: 'Four sums.' },
        issues: [],
        usage: ONE_CALL,
      },
    ];
    const tools = toolsAnswering(SUMS);
    const result = await run(
      mockActivities({
        createPlan: async () => planned({ steps: [calc('a'), calc('b', ['a'])] }),
        runTool: tools.runTool,
        replan: async (input) => {
          asked.push(input);
          return decisions.shift()!;
        },
      }),
      { goal: 'Sum in batches', horizon: 2 },
    );
    expect(result.status).toBe('completed');
    expect(result.answer).toBe('Four sums.');
    expect(tools.calls.map((c) => c.stepId)).toEqual(['a', 'b', 'c', 'd']);
    expect(asked.map((a) => [a.reason, a.horizon, a.done.map((d) => d.id)])).toEqual([
      ['the planned steps are done: plan the next ones (at most 2), or finish', 2, ['a', 'b']],
      ['the planned steps are done: plan the next ones (at most 2), or finish', 2, ['a', 'b', 'c', 'd']],
    ]);
    expect(result.replans).toBe(0); // extending is not replanning
    expect(result.plan?.version).toBe(2);
  });

  it('sends a first plan longer than the horizon back to the planner', async () => {
    const plans = [{ steps: [calc('a'), calc('b'), calc('c')] }, { steps: [calc('a')] }];
    const result = await run(
      mockActivities({
        createPlan: async () => planned(plans.shift()!),
        revisePlan: async (input) => {
          expect(input.revise?.issues.map((i) => i.message).join()).toMatch(/at most 1/);
          expect(input.maxSteps).toBe(1);
          return planned(plans.shift()!);
        },
        runTool: toolsAnswering(SUMS).runTool,
        replan: async () => ({ decision: { action: 'continue', reason: 'nothing more' }, issues: [], usage: ONE_CALL }),
        synthesize: async () => ({ answer: 'One sum.', usage: ONE_CALL }),
      }),
      { goal: 'Sum', horizon: 1 },
    );
    expect(result.status).toBe('completed');
    expect(result.answer).toBe('One sum.');
  });

  it('refuses a batch beyond the horizon, and reports once maxSteps is reached without asking again', async () => {
    const asked: string[][] = [];
    const decisions = [
      revise('too many', calc('c', ['b']), calc('d', ['c']), calc('e', ['d'])),
      revise('next batch', calc('c', ['b']), calc('d', ['c'])),
    ];
    const result = await run(
      mockActivities({
        createPlan: async () => planned({ steps: [calc('a'), calc('b', ['a'])] }),
        runTool: toolsAnswering(SUMS).runTool,
        replan: async (input) => {
          asked.push(input.revise?.issues.map((i) => i.message) ?? []);
          return decisions.shift()!;
        },
        synthesize: async () => ({ answer: 'Four sums, the most this run may take.', usage: ONE_CALL }),
      }),
      { goal: 'Sum in batches', horizon: 2, maxSteps: 4 },
    );
    expect(asked).toEqual([
      [],
      ['the plan has 5 steps; at most 4 are allowed', '3 new steps go beyond the horizon of 2: plan only the next 2'],
    ]);
    expect(result.status).toBe('completed');
    expect(result.steps.map((s) => s.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(result.answer).toBe('Four sums, the most this run may take.');
  });

  it('reports when the replanner adds nothing', async () => {
    const result = await run(
      mockActivities({
        createPlan: async () => planned({ steps: [calc('a')] }),
        runTool: toolsAnswering(SUMS).runTool,
        replan: async () => ({
          decision: { action: 'continue', reason: 'the goal is met' },
          issues: [],
          usage: ONE_CALL,
        }),
        synthesize: async () => ({ answer: 'Done.', usage: ONE_CALL }),
      }),
      { goal: 'Sum', horizon: 3 },
    );
    expect(result.status).toBe('completed');
    expect(result.events.map((e) => e.message)).toContain('no steps after plan v1: the run reports');
  });
});

/**
 * Estimated cost in a run: the workflow adds up the costs the model activities report, and `budget.cost`
 * ends the run partial once the estimate reaches it, or once a call went to a model without a price.
 */
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../src/contract/plan.js';
import { ONE_CALL, mockActivities } from '../support/mock-activities.js';
import { calcStep, callsPerStep, timeSkippingSuite, toolsAnswering } from '../support/run-workflow.js';

const { run } = timeSkippingSuite();

/** A tool step, then two open steps for the executor, one after the other. */
const plan: Plan = {
  steps: [
    calcStep('count'),
    { id: 'draft', title: 'Draft the summary', dependsOn: ['count'] },
    { id: 'polish', title: 'Polish the summary', dependsOn: ['draft'] },
  ],
};

/** Activities whose every model call costs `cost` dollars (or has no price, with `cost` undefined). */
function costing(cost: number | undefined) {
  const usage = cost === undefined ? { ...ONE_CALL, unpricedCalls: 1 } : { ...ONE_CALL, cost };
  const tools = toolsAnswering({ count: { value: 318 } });
  return {
    tools,
    activities: mockActivities({
      createPlan: async () => ({ plan, issues: [], usage }),
      runTool: tools.runTool,
      executeStep: async (input) => ({ kind: 'answer', output: `${input.step.id} done`, attempt: 1, usage }),
      synthesize: async () => ({ answer: 'The summary.', usage }),
    }),
  };
}

describe('estimated cost', () => {
  it('adds up the cost every model call reported', async () => {
    const result = await run(costing(0.0125).activities, { goal: 'Summarize the week' });
    expect(result.status).toBe('completed');
    expect(result.usage).toMatchObject({ llmCalls: 4, cost: 0.05 });
    expect(result.usage.unpricedCalls).toBeUndefined();
  });

  it('ends the run partial once the estimate reaches budget.cost, with no model call after it', async () => {
    const { activities, tools } = costing(0.03);
    const result = await run(activities, { goal: 'Summarize the week', budget: { cost: 0.05 } });
    expect(result.status).toBe('partial');
    expect(result.failure?.message).toBe('the budget of $0.05 is spent ($0.06 estimated)');
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['count', 'succeeded'],
      ['draft', 'succeeded'],
      ['polish', 'cancelled'],
    ]);
    expect(result.usage).toMatchObject({ llmCalls: 2, cost: 0.06 });
    expect(result.answer).toContain('No final answer was written: the budget of $0.05 is spent ($0.06 estimated)');
    expect(result.events.some((e) => e.type === 'budget-spent')).toBe(true);
    expect(callsPerStep(tools.calls)).toEqual({ count: 1 });
  });

  it('stops calling the model when a call went to a model without a price, since the budget cannot be kept', async () => {
    const result = await run(costing(undefined).activities, { goal: 'Summarize the week', budget: { cost: 5 } });
    expect(result.status).toBe('partial');
    expect(result.failure?.message).toBe(
      'the cost budget of $5.00 cannot be kept: 1 LLM call went to a model without a price (add it to PLANWRIGHT_PRICES)',
    );
    expect(result.usage).toMatchObject({ llmCalls: 1, unpricedCalls: 1 });
    expect(result.usage.cost).toBeUndefined();
  });
});

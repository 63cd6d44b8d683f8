/**
 * Recovery, tested as a user of the package tests an agent: only `planwright` and `planwright/testing`,
 * on the time-skipping server.
 */
import { describe, expect, it } from 'vitest';
import { answer, byGoal, fault, plan, replan, startTestKit, step } from 'planwright/testing';
import { INVENTORY, stock, stockList } from './tools.js';

const tools = [stock, stockList];

describe('recovery', () => {
  it('runs a failing step’s fallback tool', async () => {
    const plums = step('plums', { tool: 'stock', args: { item: 'plums' }, fallback: { tool: 'stock_list' } });
    await using kit = await startTestKit({ tools, script: { plan: [plan(plums)], synthesize: [answer('No plums.')] } });
    const result = await (await kit.start({ goal: 'Count the plums' })).result();
    expect(result.status).toBe('completed');
    expect(result.steps[0]).toMatchObject({ status: 'succeeded', output: { items: INVENTORY } });
    expect(kit.toolCalls.map((c) => c.tool)).toEqual(['stock', 'stock_list']);
  });

  it('replans around a failing step, keeping the finished one and never running it again', async () => {
    await using kit = await startTestKit({
      tools,
      script: {
        plan: [
          plan(
            step('apples', { tool: 'stock', args: { item: 'apples' } }),
            step('plums', { tool: 'stock', args: { item: 'plums' }, dependsOn: ['apples'] }),
          ),
        ],
        replan: [
          replan.revise(
            'no plums: count pears',
            step('pears', { tool: 'stock', args: { item: 'pears' }, dependsOn: ['apples'] }),
          ),
        ],
        synthesize: [answer('12 apples, 5 pears.')],
      },
    });
    const result = await (await kit.start({ goal: 'Count the fruit' })).result();
    expect(result).toMatchObject({ status: 'completed', replans: 1 });
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['apples', 'succeeded'],
      ['pears', 'succeeded'],
    ]);
    expect(kit.toolCalls.map((c) => c.input)).toEqual([{ item: 'apples' }, { item: 'plums' }, { item: 'pears' }]);
  });

  it('waits out a rate limit as long as the model server asks, then goes on', async () => {
    await using kit = await startTestKit({
      tools,
      script: { plan: [fault.rateLimited(120), countApples()], synthesize: [answer('12 apples.')] },
    });
    const startedAt = await kit.env.currentTimeMs();
    const result = await (await kit.start({ goal: 'Count the apples' })).result();
    expect(result.status).toBe('completed');
    expect((await kit.env.currentTimeMs()) - startedAt).toBeGreaterThanOrEqual(120_000);
    expect(kit.model.requests.map((r) => r.phase)).toEqual(['plan', 'plan', 'synthesize']);
  });

  it('runs a sub-goal as a child run, scripted by goal, its answer the step’s output', async () => {
    const FRUIT = 'Report the fruit in stock';
    const APPLES = 'Count the apples';
    const planner = byGoal({
      [FRUIT]: plan(step('apples', { subgoal: APPLES }), step('pears', { tool: 'stock', args: { item: 'pears' } })),
      [APPLES]: plan(step('count', { tool: 'stock', args: { item: 'apples' } })),
    });
    const writer = byGoal({ [FRUIT]: answer('12 apples, 5 pears.'), [APPLES]: answer('12 apples.') });
    await using kit = await startTestKit({ tools, script: { plan: [planner, planner], synthesize: [writer, writer] } });
    const run = await kit.start({ goal: FRUIT, subgoals: { maxDepth: 1 } });
    const result = await run.result();
    expect(result.status).toBe('completed');
    const apples = result.steps.find((s) => s.id === 'apples');
    expect(apples).toMatchObject({ status: 'succeeded', output: '12 apples.' });
    expect(apples?.child?.workflowId).toBe(`${run.handle.workflowId}--apples`);
    expect(kit.toolCalls.map((c) => c.input)).toContainEqual({ item: 'apples' });
  });
});

function countApples() {
  return plan(step('apples', { tool: 'stock', args: { item: 'apples' } }));
}

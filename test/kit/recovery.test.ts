/**
 * Recovery, tested as a user of the package tests an agent: only `planwright` and `planwright/testing`,
 * on the time-skipping server.
 */
import { describe, expect, it } from 'vitest';
import { answer, fault, plan, replan, startTestKit, step } from 'planwright/testing';
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
});

function countApples() {
  return plan(step('apples', { tool: 'stock', args: { item: 'apples' } }));
}

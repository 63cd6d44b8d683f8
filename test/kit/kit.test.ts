/**
 * The kit itself, used as a user of the package uses it: open steps through the executor, a model answer
 * that is not JSON, and the other servers (the dev server, and one already running).
 */
import { describe, expect, inject, it } from 'vitest';
import { answer, call, fault, plan, startTestKit, step, toolCalls } from 'planwright/testing';
import { INVENTORY, stock, stockList } from './tools.js';

const tools = [stock, stockList];
const countApples = plan(step('apples', { tool: 'stock', args: { item: 'apples' } }));

describe('the test kit', () => {
  it('scripts the executor of an open step: its tool calls, then its answer', async () => {
    await using kit = await startTestKit({
      tools,
      script: {
        plan: [plan(step('report', { description: 'Report the stock of pears', tools: ['stock', 'stock_list'] }))],
        execute: [toolCalls(call('stock', { item: 'pears' }), call('stock_list')), answer('5 pears.')],
        synthesize: [answer('There are 5 pears.')],
      },
    });
    const result = await (await kit.start({ goal: 'How many pears?' })).result();
    expect(result.steps[0]).toMatchObject({ status: 'succeeded', output: '5 pears.' });
    // The calls of one answer run side by side, in either order.
    expect([...kit.toolCalls].sort((a, b) => a.tool.localeCompare(b.tool))).toEqual([
      { tool: 'stock', input: { item: 'pears' } },
      { tool: 'stock_list', input: {} },
    ]);
    const second = kit.model.requests.filter((r) => r.phase === 'execute')[1];
    expect(JSON.stringify(second?.messages)).toContain(JSON.stringify(JSON.stringify({ items: INVENTORY })));
  });

  it('retries a model answer that is not JSON', async () => {
    await using kit = await startTestKit({
      tools,
      script: { plan: [fault.malformed(), countApples], synthesize: [answer('12.')] },
    });
    expect(await (await kit.start({ goal: 'Count the apples' })).result()).toMatchObject({ status: 'completed' });
    expect(kit.model.requests.map((r) => r.phase)).toEqual(['plan', 'plan', 'synthesize']);
  });

  it('runs on the dev server, in real time', async () => {
    await using kit = await startTestKit({
      tools,
      server: 'dev-server',
      script: { plan: [countApples], synthesize: [answer('12.')] },
    });
    expect(kit.env.supportsTimeSkipping).toBe(false);
    expect(await (await kit.start({ goal: 'Count the apples' })).result()).toMatchObject({ status: 'completed' });
  });

  it('runs on a server that is already running, and leaves it running', async () => {
    const server = { address: inject('devServerAddress') };
    for (const goal of ['Count the apples', 'Count them again']) {
      await using kit = await startTestKit({
        tools,
        server,
        script: { plan: [countApples], synthesize: [answer('12.')] },
      });
      expect(await (await kit.start({ goal })).result()).toMatchObject({ status: 'completed', goal });
    }
  });
});

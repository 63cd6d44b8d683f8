// Tests of an agent built on planwright, offline: a scripted model answers for the LLM, your own tools do
// the work, and a time-skipping Temporal server lets a 24-hour wait pass at once.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool, ToolError } from 'planwright';
import { answer, plan, replan, startTestKit, step } from 'planwright/testing';

// The agent's tool (in your project, import it from where it lives).
const orderStatus = defineTool({
  name: 'order_status',
  description: 'Looks up the delivery status of an order by its number.',
  input: z.object({ order: z.string() }),
  run: ({ order }) => {
    if (order !== 'A-1') throw new ToolError(`no order ${order}`, false);
    return { order, status: 'shipped' };
  },
});

// What the planner answers: a plan of one step that calls the tool.
const lookUp = (order: string) => plan(step('lookup', { tool: 'order_status', args: { order } }));

// The first test may bundle the workflow code (a few seconds, once per version), hence the generous timeout.
describe('the order agent', { timeout: 60_000 }, () => {
  it('looks the order up and answers', async () => {
    await using kit = await startTestKit({
      tools: [orderStatus],
      script: { plan: [lookUp('A-1')], synthesize: [answer('Order A-1 has shipped.')] },
    });
    const run = await kit.start({ goal: 'Where is order A-1?' });
    const result = await run.result();
    expect(result.status).toBe('completed');
    expect(result.steps[0]?.output).toEqual({ order: 'A-1', status: 'shipped' });
    expect(result.answer).toBe('Order A-1 has shipped.');
  });

  it('runs only what a person approved', async () => {
    await using kit = await startTestKit({
      tools: [orderStatus],
      script: { plan: [lookUp('A-1')], synthesize: [answer('Shipped.')] },
    });
    const run = await kit.start({ goal: 'Where is order A-1?', approval: 'plan' });
    await run.waitFor('awaiting-approval');
    expect(kit.toolCalls).toEqual([]); // nothing runs before the approval
    await run.approve();
    expect((await run.result()).status).toBe('completed');
  });

  it('gives up when nobody approves within 24 hours', async () => {
    await using kit = await startTestKit({ tools: [orderStatus], script: { plan: [lookUp('A-1')] } });
    const run = await kit.start({ goal: 'Where is order A-1?', approval: 'plan', approvalTimeout: '24h' });
    const result = await run.result(); // the day passes at once on the time-skipping server
    expect(result.status).toBe('rejected');
    expect(result.failure?.message).toBe('plan v1 was not approved within 24h');
  });

  it('asks the replanner when the tool fails, and ends with its answer', async () => {
    await using kit = await startTestKit({
      tools: [orderStatus],
      script: {
        plan: [lookUp('A-7')],
        replan: [replan.finish('There is no order A-7; please check the number.', 'the order does not exist')],
      },
    });
    const result = await (await kit.start({ goal: 'Where is order A-7?' })).result();
    expect(result.status).toBe('partial');
    expect(result.answer).toBe('There is no order A-7; please check the number.');
    expect(kit.model.requests.map((r) => r.phase)).toEqual(['plan', 'replan']);
  });
});

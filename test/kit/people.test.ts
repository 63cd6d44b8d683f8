/**
 * People in the loop, tested as a user of the package tests an agent: only `planwright` and
 * `planwright/testing`, on the time-skipping server.
 */
import { describe, expect, it } from 'vitest';
import { DecisionRefusedError, answer, plan, replan, startTestKit, step } from 'planwright/testing';
import { gated, reorder, stock, stockList } from './tools.js';

const tools = [stock, stockList];
const countApples = plan(step('apples', { tool: 'stock', args: { item: 'apples' } }));

describe('approval', () => {
  it('waits for approval, refuses a stale version, and runs the approved plan', async () => {
    await using kit = await startTestKit({
      tools,
      script: { plan: [countApples], synthesize: [answer('12 apples.')] },
    });
    const run = await kit.start({ goal: 'Count the apples', approval: 'plan' });
    await run.waitFor('awaiting-approval');
    expect(kit.toolCalls).toEqual([]);
    await expect(run.approve({ version: 7 })).rejects.toThrow(DecisionRefusedError);
    expect(await run.approve()).toBe('running');
    expect(await run.result()).toMatchObject({ status: 'completed', answer: '12 apples.' });
    expect(kit.toolCalls).toEqual([{ tool: 'stock', input: { item: 'apples' } }]);
  });

  it('ends rejected, with nothing run, when no approval comes within 24 hours', async () => {
    await using kit = await startTestKit({ tools, script: { plan: [countApples] } });
    const startedAt = await kit.env.currentTimeMs();
    const run = await kit.start({ goal: 'Count the apples', approval: 'plan', approvalTimeout: '24h' });
    const result = await run.result(); // time skips while the test waits for the result
    expect(result).toMatchObject({ status: 'rejected', failure: { message: 'plan v1 was not approved within 24h' } });
    expect((await kit.env.currentTimeMs()) - startedAt).toBeGreaterThanOrEqual(24 * 3600_000);
    expect(kit.toolCalls).toEqual([]);
  });

  it('sends a rejected plan back to the planner with the feedback, and runs the approved revision', async () => {
    const countPears = plan(step('pears', { tool: 'stock', args: { item: 'pears' } }));
    await using kit = await startTestKit({
      tools,
      script: { plan: [countApples, countPears], synthesize: [answer('5.')] },
    });
    const run = await kit.start({ goal: 'Count the fruit', approval: 'plan' });
    await run.waitFor('awaiting-approval');
    await run.reject('Pears only.', { via: 'signal' });
    await run.waitFor((s) => s.status === 'awaiting-approval' && s.plan?.version === 2);
    await run.approve({ via: 'signal' });
    const result = await run.result();
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([['pears', 'succeeded']]);
    expect(JSON.stringify(kit.model.requests[1]?.messages)).toContain('Pears only.');
  });
});

describe('escalation to a person', () => {
  it('asks about a step that failed for good, and goes on without it when told to skip', async () => {
    const twoSteps = plan(
      step('apples', { tool: 'stock', args: { item: 'apples' } }),
      step('plums', { tool: 'stock', args: { item: 'plums' } }),
    );
    await using kit = await startTestKit({ tools, script: { plan: [twoSteps], synthesize: [answer('12 apples.')] } });
    const run = await kit.start({ goal: 'Count apples and plums', escalation: 'human', maxParallel: 1 });
    const waiting = await run.waitFor('awaiting-decision');
    expect(waiting.escalation).toEqual({ stepId: 'plums', message: 'stock failed: no item "plums" in the inventory' });
    await expect(run.resolve('apples', 'skip')).rejects.toThrow('step "apples" is not awaiting a decision');
    await run.resolve('plums', 'skip', { note: 'we sell no plums' });
    const result = await run.result();
    expect(result.status).toBe('partial');
    expect(result.steps.map((s) => s.status)).toEqual(['succeeded', 'skipped']);
  });
});

describe('goal change', () => {
  it('replans for the new goal, keeping the step that was running', async () => {
    const slow = gated();
    await using kit = await startTestKit({
      tools: [...tools, slow.tool],
      script: {
        plan: [plan(step('first', { tool: 'slow_count', args: { item: 'apples' } }))],
        replan: [
          replan.revise('pears now', step('pears', { tool: 'stock', args: { item: 'pears' }, dependsOn: ['first'] })),
        ],
        synthesize: [answer('5 pears.')],
      },
    });
    const run = await kit.start({ goal: 'Count apples' });
    await run.waitFor((s) => s.steps[0]?.status === 'running');
    await run.changeGoal('Count pears', { reason: 'new priority' });
    slow.open();
    const result = await run.result();
    expect(result).toMatchObject({ status: 'completed', goal: 'Count pears', replans: 1 });
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['first', 'succeeded'],
      ['pears', 'succeeded'],
    ]);
    expect(kit.toolCalls.map((c) => c.tool)).toEqual(['slow_count', 'stock']);
  });
});

describe('approval of single tool calls', () => {
  const orderPlan = (count: number) => plan(step('order', { tool: 'reorder', args: { item: 'apples', count } }));

  it('runs a small order at once, and waits for a large one, which runs with the arguments a person edited', async () => {
    await using kit = await startTestKit({
      tools: [...tools, reorder],
      script: { plan: [orderPlan(3), orderPlan(50)], synthesize: [answer('Ordered 3.'), answer('Ordered 20.')] },
    });
    expect(await (await kit.start({ goal: 'Order 3 apples' })).result()).toMatchObject({ status: 'completed' });

    const run = await kit.start({ goal: 'Order 50 apples' });
    const waiting = await run.waitFor('awaiting-approval');
    expect(waiting.pendingCalls).toMatchObject([
      { stepId: 'order', tool: 'reorder', args: { item: 'apples', count: 50 } },
    ]);
    await expect(run.approveCall({ args: { item: 'apples', count: -1 } })).rejects.toThrow(
      /edited arguments .* were not taken: they do not fit reorder's input schema: count: /,
    );
    expect(await run.approveCall({ args: { item: 'apples', count: 20 } })).toBe('running');
    expect(await run.result()).toMatchObject({ status: 'completed', answer: 'Ordered 20.' });
    expect(kit.toolCalls.map((c) => c.input)).toEqual([
      { item: 'apples', count: 3 },
      { item: 'apples', count: 20 },
    ]);
  });

  it('fails the step of a rejected call, and treats no answer within approvalTimeout as a rejection', async () => {
    await using kit = await startTestKit({
      tools: [...tools, reorder],
      script: { plan: [orderPlan(50), orderPlan(60)] },
    });
    const rejected = await kit.start({ goal: 'Order 50 apples', maxReplans: 0 });
    await rejected.waitFor('awaiting-approval');
    await expect(rejected.approveCall({ callId: 'nope' })).rejects.toThrow('no tool call "nope" is waiting');
    await rejected.rejectCall('We have enough apples.');
    expect(await rejected.result()).toMatchObject({
      status: 'failed',
      steps: [{ id: 'order', status: 'failed', error: 'a person rejected this reorder call: We have enough apples.' }],
    });

    const unanswered = await kit.start({ goal: 'Order 60 apples', maxReplans: 0, approvalTimeout: '1h' });
    expect((await unanswered.result()).steps[0]?.error).toBe(
      'a person rejected this reorder call: no answer within 1h',
    );
    expect(kit.toolCalls).toEqual([]);
  });
});

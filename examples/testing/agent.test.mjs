// Testing an agent with Node's built-in test runner, in plain JavaScript: node --test agent.test.mjs
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinTools } from 'planwright';
import { answer, plan, startTestKit, step } from 'planwright/testing';

// A plan of one step that calls the built-in calculator.
const multiply = plan(step('multiply', { tool: 'calculator', args: { expression: '6*7' } }));

describe('an agent with the built-in tools', () => {
  it('computes and answers', async (t) => {
    const kit = await startTestKit({ tools: builtinTools, script: { plan: [multiply], synthesize: [answer('42.')] } });
    t.after(() => kit.teardown());
    const result = await (await kit.start({ goal: 'What is six times seven?' })).result();
    assert.equal(result.status, 'completed');
    assert.deepEqual(result.steps[0]?.output, { expression: '6*7', value: 42 });
    assert.deepEqual(kit.toolCalls, [{ tool: 'calculator', input: { expression: '6*7' } }]);
  });

  it('gives up when nobody approves within 24 hours', async (t) => {
    const kit = await startTestKit({ script: { plan: [multiply] } }); // tools: the built-in ones by default
    t.after(() => kit.teardown());
    const run = await kit.start({ goal: 'What is six times seven?', approval: 'plan', approvalTimeout: '24h' });
    const waiting = await run.waitFor('awaiting-approval');
    assert.equal(waiting.plan?.version, 1);
    await kit.skipTime('25h'); // at once on the time-skipping server
    const ended = await run.waitFor('rejected');
    assert.equal(ended.failure?.message, 'plan v1 was not approved within 24h');
  });
});

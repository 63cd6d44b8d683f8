/** `run.events()` of the test kit: a run's stream read in a test as the run goes, on the shared dev server. */
import { describe, expect, inject, it } from 'vitest';
import { answer, plan, startTestKit, step } from 'planwright/testing';

describe('run.events() of the test kit', () => {
  it('reads every event of a run in order, ending with its end', async () => {
    await using kit = await startTestKit({
      server: { address: inject('devServerAddress') },
      workflowBundle: { codePath: inject('workflowBundlePath') },
      script: {
        plan: [plan(step('add', { tool: 'calculator', args: { expression: '2 + 2' } }))],
        synthesize: [answer('Four.')],
      },
    });
    const run = await kit.start({ goal: 'Add two and two' });
    const kinds: string[] = [];
    for await (const item of run.events({ topics: ['events'] })) {
      if (item.topic === 'events') kinds.push(item.event.kind);
    }
    expect(kinds.filter((k) => k !== 'usage' && k !== 'status')).toEqual([
      'run-started',
      'plan-proposed',
      'step-started',
      'step-succeeded',
      'run-finished',
    ]);
    expect((await run.result()).answer).toBe('Four.');
  });
});

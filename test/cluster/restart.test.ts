/**
 * Temporal's server restarted in the middle of a run (a server of its own, so that the suite's other files keep
 * theirs): the worker reconnects, the run goes on where it was, and the steps finished before the restart do not
 * run again.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { setupNamespace } from '../../src/temporal/setup.js';
import { stateQuery } from '../../workflows/messages.js';
import { planReply, runScenario, wireStep } from '../support/e2e.js';
import { startTemporalCluster, type TemporalCluster } from './support/server.js';

let cluster: TemporalCluster;
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  cluster = await startTemporalCluster();
  env = await TestWorkflowEnvironment.createFromExistingServer({ address: cluster.address });
  await setupNamespace(env.client.connection, 'default');
});
afterAll(async () => {
  await env?.teardown();
  await cluster?.stop();
});

describe('a server restart', () => {
  it('mid-run: the run completes, and what finished before it runs once', async () => {
    const labels = ['a', 'b', 'c', 'd'];
    const steps = labels.map((label, i) =>
      wireStep(label, 'wait', { label, ms: 1500 }, { dependsOn: i > 0 ? [labels[i - 1] as string] : [] }),
    );
    const times = { restartS: 0, restartToEndS: 0 };
    let restarted = 0;
    const { result, counts } = await runScenario(env, 'server-restart', {
      script: { plan: [planReply(...steps)], synthesize: [{ content: 'Waited four times.' }] },
      input: { goal: 'Wait four times in turn' },
      record: false,
      during: async (handle) => {
        await vi.waitFor(
          async () => {
            const state = await handle.query(stateQuery);
            expect(state.steps.find((s) => s.id === 'b')?.status).toBe('running');
          },
          { timeout: 60_000, interval: 100 },
        );
        const started = Date.now();
        await cluster.restart();
        restarted = Date.now();
        times.restartS = (restarted - started) / 1000;
      },
    });
    times.restartToEndS = (Date.now() - restarted) / 1000;
    process.stderr.write(`[cluster] server restart mid-run: ${JSON.stringify(times)}\n`);
    expect(result.status).toBe('completed');
    expect(result.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    // `a` finished before the restart; `c` and `d` started after it. `b` ran through the restart: it runs again
    // only if its completion could not be reported, which is not a finished step running twice.
    expect(counts.byKey).toMatchObject({ a: 1, c: 1, d: 1 });
  });
});

/**
 * Approval and the plan cache: a run that asks for approval stores its plan once a person approved it, and a
 * later run that asks for approval adopts that plan without asking again. Plans cached by runs without approval
 * are never taken as approved. The lookup and store activities are the real ones over a real folder cache; only
 * the planner, the tools and the writer are mocks.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createActivities, type Activities } from '../../activities/index.js';
import type { Plan } from '../../src/contract/plan.js';
import type { RunInput } from '../../src/contract/run-input.js';
import type { RunResult } from '../../src/contract/run-state.js';
import { createModel } from '../../src/llm/model.js';
import { createFilePlanCache } from '../../src/plan-cache.js';
import { builtinTools } from '../../src/tools/builtin.js';
import { approvePlanUpdate } from '../../workflows/messages.js';
import { ONE_CALL, mockActivities, planned } from '../support/mock-activities.js';
import {
  calcStep,
  runWithoutSkipping,
  timeSkippingSuite,
  toolsAnswering,
  until,
  type Handle,
} from '../support/run-workflow.js';

const { env } = timeSkippingSuite();
/** Runs to the end without letting the server skip ahead, which would expire the cached plans (7 days). */
const run = (activities: Activities, input: RunInput, during?: (handle: Handle) => Promise<void>) =>
  runWithoutSkipping(env(), activities, input, during);

const plan: Plan = { steps: [calcStep('a')] };

/** Activities over one real plan cache, counting planner calls. */
async function withCache() {
  const real = createActivities({
    // Never called: the planner below is a mock.
    model: createModel({ apiKey: 'unused', baseURL: 'http://127.0.0.1:9/v1', model: 'unused', timeoutMs: 1000 }),
    tools: builtinTools,
    workspace: '.',
    cache: createFilePlanCache(await mkdtemp(path.join(tmpdir(), 'pw-approved-'))),
  });
  const counts = { planner: 0 };
  const activities = (): Activities =>
    mockActivities({
      lookupPlan: real.lookupPlan,
      storePlan: real.storePlan,
      createPlan: async () => (counts.planner++, planned(plan)),
      runTool: toolsAnswering({ a: { value: 1 } }).runTool,
      synthesize: async () => ({ answer: 'done', usage: ONE_CALL }),
    });
  return { activities, counts };
}

/** Approves plan v1 once the run waits for it, and records that it was asked. */
function approving(asked: string[]) {
  return async (handle: Handle) => {
    await until(handle, (s) => s.status === 'awaiting-approval');
    asked.push(handle.workflowId);
    await handle.executeUpdate(approvePlanUpdate, { args: [{ version: 1 }] });
  };
}

const eventsOf = (result: RunResult, type: string) =>
  result.events.filter((e) => e.type === type).map((e) => e.message);

describe('approval and the plan cache', () => {
  it('asks once: a later run that asks for approval adopts the plan a person approved, without asking', async () => {
    const { activities, counts } = await withCache();
    const input = { goal: 'Load the orders', approval: 'plan' as const, planCache: true };
    const asked: string[] = [];

    const first = await run(activities(), input, approving(asked));
    expect(first.status).toBe('completed');
    expect(asked).toHaveLength(1);
    expect(eventsOf(first, 'plan-approved')).toEqual(['plan v1 approved']);

    const second = await run(activities(), input); // nobody answers: it must not wait
    expect(second.status).toBe('completed');
    expect(counts.planner).toBe(1);
    expect(second.planHistory.map((h) => h.reason)).toEqual(['initial plan, from the plan cache']);
    expect(eventsOf(second, 'plan-approved')).toEqual([
      'plan v1 approved: a person approved this plan for an earlier run',
    ]);
  });

  it('does not take a plan cached by a run without approval as approved, nor keep one that was never approved', async () => {
    const { activities, counts } = await withCache();
    const goal = 'Load the orders';
    const unattended = await run(activities(), { goal, planCache: true });
    expect(unattended.status).toBe('completed');

    // The plan cached without approval is not found by a run that asks for it: it plans and asks.
    const asked: string[] = [];
    const approved = await run(activities(), { goal, approval: 'plan', planCache: true }, approving(asked));
    expect(approved.planHistory.map((h) => h.reason)).toEqual(['initial plan']);
    expect(asked).toHaveLength(1);
    expect(counts.planner).toBe(2);

    // A plan that was not approved in time is not kept either: the next run plans and asks again.
    const timedOut = await run(activities(), { goal: 'Other orders', approval: 'plan', planCache: true }, async (h) => {
      await until(h, (s) => s.status === 'awaiting-approval');
      await env().sleep('25h'); // past the approval timeout (24h)
    });
    expect(timedOut.status).toBe('rejected');
    const again = await run(
      activities(),
      { goal: 'Other orders', approval: 'plan', planCache: true },
      approving(asked),
    );
    expect(again.planHistory.map((h) => h.reason)).toEqual(['initial plan']);
    expect(asked).toHaveLength(2);
    expect(counts.planner).toBe(4);
  });
});

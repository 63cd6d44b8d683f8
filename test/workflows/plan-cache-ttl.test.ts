/**
 * The plan cache's time to live is measured in workflow time: on the time-skipping server, skipping past the
 * TTL expires a cached plan although the worker's own clock has barely moved. The lookup and store activities
 * are the real ones over a real folder cache; only the planner is a mock.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createActivities, type Activities } from '../../activities/index.js';
import type { RunInput } from '../../src/contract/run-input.js';
import type { Plan } from '../../src/contract/plan.js';
import { createModel } from '../../src/llm/model.js';
import { createFilePlanCache } from '../../src/plan-cache.js';
import { builtinTools } from '../../src/tools/builtin.js';
import { mockActivities, planned } from '../support/mock-activities.js';
import { calcStep, runWithoutSkipping, timeSkippingSuite, toolsAnswering } from '../support/run-workflow.js';

const { env } = timeSkippingSuite();

const run = (activities: Activities, input: RunInput) => runWithoutSkipping(env(), activities, input);

describe('the plan cache in workflow time', () => {
  it('reuses a plan within its TTL and plans again once time has been skipped past it', async () => {
    const real = createActivities({
      // Never called: the planner below is a mock.
      model: createModel({ apiKey: 'unused', baseURL: 'http://127.0.0.1:9/v1', model: 'unused', timeoutMs: 1000 }),
      tools: builtinTools,
      workspace: '.',
      cache: createFilePlanCache(await mkdtemp(path.join(tmpdir(), 'pw-ttl-'))),
    });
    const plan: Plan = { steps: [calcStep('a')] };
    let plannerCalls = 0;
    const activities = () =>
      mockActivities({
        lookupPlan: real.lookupPlan,
        storePlan: real.storePlan,
        createPlan: async () => (plannerCalls++, planned(plan)),
        runTool: toolsAnswering({ a: { value: 1 } }).runTool,
        synthesize: async () => ({ answer: 'done', usage: { llmCalls: 1, inputTokens: 1, outputTokens: 1 } }),
      });
    const input = { goal: 'Count the tickets', planCache: { ttl: '1h' } };

    const first = await run(activities(), input);
    expect(first.planHistory.map((h) => h.reason)).toEqual(['initial plan']);
    expect(plannerCalls).toBe(1);

    await env().sleep('50m');
    const second = await run(activities(), input);
    expect(second.planHistory.map((h) => h.reason)).toEqual(['initial plan, from the plan cache']);
    expect(plannerCalls).toBe(1);

    const workerClock = Date.now();
    await env().sleep('11m');
    const third = await run(activities(), input);
    expect(third.planHistory.map((h) => h.reason)).toEqual(['initial plan']);
    expect(plannerCalls).toBe(2);
    // The entry expired by workflow time alone: the worker's clock moved by far less than the TTL.
    expect(Date.now() - workerClock).toBeLessThan(10 * 60_000);
  });
});

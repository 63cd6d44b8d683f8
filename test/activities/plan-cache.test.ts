/**
 * The plan-cache activities: expiry by the run's workflow time, and inputs from runs started before that time
 * was sent (no `now`), which fall back to the worker's clock.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import type { Plan } from '../../src/contract/plan.js';
import { createModel } from '../../src/llm/model.js';
import { createFilePlanCache } from '../../src/plan-cache.js';
import { builtinTools } from '../../src/tools/builtin.js';
import { toolInfo } from '../../src/tools/define.js';
import { runActivity } from '../support/activity-env.js';

const plan: Plan = { steps: [{ id: 'a', title: 'A', dependsOn: [], tool: 'calculator', args: { expression: '1' } }] };
const query = { goal: 'Count the tickets', tools: builtinTools.map(toolInfo), maxSteps: 25 };

async function activities(workerClock: () => number) {
  return createActivities({
    model: createModel({ apiKey: 'unused', baseURL: 'http://127.0.0.1:9/v1', model: 'unused', timeoutMs: 1000 }),
    tools: builtinTools,
    workspace: '.',
    cache: createFilePlanCache(await mkdtemp(path.join(tmpdir(), 'pw-plans-')), workerClock),
  });
}

describe('lookupPlan and storePlan', () => {
  it('keep a plan until ttlMs after the run’s time, whatever the worker’s clock says', async () => {
    const acts = await activities(() => 5_000_000_000_000);
    await runActivity(acts.storePlan, { query, plan, ttlMs: 60_000, now: 1_000_000 });
    expect(await runActivity(acts.lookupPlan, { ...query, now: 1_059_999 })).toEqual({ plan });
    expect(await runActivity(acts.lookupPlan, { ...query, now: 1_060_000 })).toEqual({});
  });

  it('take inputs without a time, from runs started on an older version, by the worker’s clock', async () => {
    let clock = 1_000_000;
    const acts = await activities(() => clock);
    await runActivity(acts.storePlan, { query, plan, ttlMs: 60_000 });
    expect(await runActivity(acts.lookupPlan, query)).toEqual({ plan });
    clock = 1_060_000;
    expect(await runActivity(acts.lookupPlan, query)).toEqual({});
  });
});

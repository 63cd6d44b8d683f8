/**
 * Workflow time between runs, tested as a user of the package tests an agent: on the time-skipping server it
 * moves while a run waits on a timer, or when the test moves it, and at no other time. So a plan one run
 * caches for an hour is still there for the next run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createFilePlanCache, type PlanCache } from 'planwright';
import { answer, plan, startTestKit, step } from 'planwright/testing';
import { stock } from './tools.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const countApples = plan(step('apples', { tool: 'stock', args: { item: 'apples' } }));

/** A plan cache in a folder of its own that notes the workflow time of every lookup and store. */
async function timedPlanCache(): Promise<PlanCache & { lookups: number[]; stores: number[] }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'plans-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const files = createFilePlanCache(dir);
  const lookups: number[] = [];
  const stores: number[] = [];
  return {
    lookups,
    stores,
    get: (query, now) => (lookups.push(now ?? NaN), files.get(query, now)),
    set: (query, cached, ttlMs, now) => (stores.push(now ?? NaN), files.set(query, cached, ttlMs, now)),
  };
}

describe('workflow time between runs', () => {
  it('stays where a run ended, so the next run of the goal finds the plan it cached for an hour', async () => {
    // Time used to jump by up to ten years after a run, about every other time: several pairs of runs show it.
    const pairs = 5;
    const planCache = await timedPlanCache();
    await using kit = await startTestKit({
      tools: [stock],
      planCache,
      script: {
        plan: Array.from({ length: pairs }, () => countApples),
        synthesize: Array.from({ length: 2 * pairs }, () => answer('12 apples.')),
      },
    });
    const plannerCalls = () => kit.model.requests.filter((r) => r.phase === 'plan').length;
    for (let pair = 1; pair <= pairs; pair++) {
      const input = { goal: `Count the apples, pair ${pair}`, planCache: { ttl: '1h' } } as const;
      expect((await (await kit.start(input)).result()).status).toBe('completed');
      const stored = planCache.stores.at(-1) ?? NaN;
      expect((await (await kit.start(input)).result()).status).toBe('completed');
      const lookedUp = planCache.lookups.at(-1) ?? NaN;
      expect(lookedUp - stored, `ms of workflow time from the plan's store to the next run's lookup`).toBeLessThan(
        MINUTE,
      );
      expect(plannerCalls(), `planner calls after pair ${pair}`).toBe(pair);
    }
  });

  it('skips to the timer a run waits on, and no further', async () => {
    await using kit = await startTestKit({ tools: [stock], script: { plan: [countApples] } });
    const startedAt = await kit.env.currentTimeMs();
    const run = await kit.start({ goal: 'Count the apples', approval: 'plan', approvalTimeout: '24h' });
    expect((await run.result()).status).toBe('rejected'); // nobody approved within the 24 hours
    const moved = (await kit.env.currentTimeMs()) - startedAt;
    expect(moved).toBeGreaterThanOrEqual(DAY);
    expect(moved).toBeLessThan(DAY + MINUTE);
  });

  it('moves as far as the test moves it: a plan cached for an hour is gone two hours later', async () => {
    await using kit = await startTestKit({
      tools: [stock],
      script: { plan: [countApples, countApples], synthesize: [answer('12.'), answer('12.')] },
    });
    const input = { goal: 'Count the apples', planCache: { ttl: '1h' } } as const;
    await (await kit.start(input)).result();
    await kit.skipTime('2h');
    await (await kit.start(input)).result();
    expect(kit.model.requests.map((r) => r.phase)).toEqual(['plan', 'synthesize', 'plan', 'synthesize']);
  });
});

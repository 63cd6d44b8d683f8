import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../src/contract/plan.js';
import { planCacheText } from '../../src/plan/cache-key.js';
import { createFilePlanCache } from '../../src/plan-cache.js';

const plan: Plan = { steps: [{ id: 'a', title: 'A', dependsOn: [], tool: 'calculator', args: { expression: '1' } }] };
const tools = [{ name: 'calculator', inputSchema: { type: 'object' } }];
const query = { goal: 'Count', context: { b: 2, a: 1 }, tools, maxSteps: 5 };

describe('the plan cache', () => {
  it('keys on goal, context (whatever its key order), tools with their schemas, and the step limit', () => {
    expect(planCacheText(query)).toBe(planCacheText({ ...query, goal: ' Count ', context: { a: 1, b: 2 } }));
    expect(planCacheText(query)).not.toBe(planCacheText({ ...query, goal: 'Count all' }));
    expect(planCacheText(query)).not.toBe(planCacheText({ ...query, maxSteps: 6 }));
    expect(planCacheText(query)).not.toBe(
      planCacheText({ ...query, tools: [{ name: 'calculator', inputSchema: { type: 'string' } }] }),
    );
  });

  it('keeps plans approved by a person apart from others, and the keys of the others as they were', async () => {
    expect(planCacheText({ ...query, approved: true })).not.toBe(planCacheText(query));
    expect(planCacheText({ ...query, approved: false })).toBe(planCacheText(query));
    expect(planCacheText(query)).toBe(
      '{"context":{"a":1,"b":2},"goal":"Count","maxSteps":5,"tools":[{"inputSchema":{"type":"object"},"name":"calculator"}]}',
    );
    const cache = createFilePlanCache(await mkdtemp(path.join(tmpdir(), 'pw-plans-')));
    await cache.set(query, plan, 60_000);
    expect(await cache.get({ ...query, approved: true })).toBeUndefined();
    await cache.set({ ...query, approved: true }, plan, 60_000);
    expect(await cache.get({ ...query, approved: true })).toEqual(plan);
  });

  it('returns a stored plan until it expires', async () => {
    let now = 1_000;
    const dir = await mkdtemp(path.join(tmpdir(), 'pw-plans-'));
    const cache = createFilePlanCache(dir, () => now);
    expect(await cache.get(query)).toBeUndefined();
    await cache.set(query, plan, 500);
    expect(await cache.get({ ...query, context: { a: 1, b: 2 } })).toEqual(plan);
    expect(await cache.get({ ...query, goal: 'Other' })).toBeUndefined();
    now = 1_500;
    expect(await cache.get(query)).toBeUndefined();
  });

  it('measures expiry by the time the caller gives (a run’s workflow time), else by its own clock', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pw-plans-'));
    const cache = createFilePlanCache(dir, () => 1_000);
    await cache.set(query, plan, 500, 10_000);
    expect(await cache.get(query, 10_499)).toEqual(plan);
    expect(await cache.get(query, 10_500)).toBeUndefined();
    expect(await cache.get(query)).toEqual(plan); // its own clock says 1,000
    await cache.set(query, plan, 500);
    expect(await cache.get(query, 1_499)).toEqual(plan);
    expect(await cache.get(query, 1_500)).toBeUndefined();
  });

  it('treats a damaged entry as missing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pw-plans-'));
    const cache = createFilePlanCache(dir);
    await cache.set(query, plan, 60_000);
    const [file] = await readdir(dir);
    await writeFile(path.join(dir, file as string), '{"query": "x", "expiresAt": 1e15, "plan": {"steps": []}}');
    expect(await cache.get(query)).toBeUndefined();
  });
});

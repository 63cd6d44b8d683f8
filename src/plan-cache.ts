/**
 * The plan cache: plans that were accepted for a goal, reused for the same goal, context and tools until
 * they expire. The default store is a folder of JSON files; any store with `get` and `set` will do.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { planSchema, type Plan } from './contract/plan.js';
import { planCacheText, type PlanCacheQuery } from './plan/cache-key.js';

/**
 * Where plans are kept: any store with `get` and `set` will do (a worker takes it as `planCache`). `now` is the
 * time expiry is measured in: the run's workflow time (milliseconds since the epoch), so that a time-skipping
 * test, or a schedule's next occurrence, sees the plan expire when its run does; a store uses its own clock
 * when a caller gives none. Queries marked `approved` (from runs that ask for approval, which then adopt what they
 * find without asking a person again) must never find plans stored under unmarked ones.
 * @example
 * const plans = new Map<string, { plan: Plan; expiresAt: number }>();
 * const inMemory: PlanCache = {
 *   async get(query, now = Date.now()) {
 *     const entry = plans.get(JSON.stringify(query));
 *     return entry && entry.expiresAt > now ? entry.plan : undefined;
 *   },
 *   async set(query, plan, ttlMs, now = Date.now()) {
 *     plans.set(JSON.stringify(query), { plan, expiresAt: now + ttlMs });
 *   },
 * };
 */
export interface PlanCache {
  /** The plan kept for this query, or undefined when there is none or it expired by `now`. */
  get(query: PlanCacheQuery, now?: number): Promise<Plan | undefined>;
  /** Keeps `plan` for this query for `ttlMs` milliseconds from `now`. */
  set(query: PlanCacheQuery, plan: Plan, ttlMs: number, now?: number): Promise<void>;
}

/**
 * A plan cache in a folder of JSON files, one per query (named by its SHA-256). Entries that expired, do not
 * parse, or were written for another query are treated as missing. `clock` stands in for a `now` the caller
 * does not give.
 * @example
 * const worker = await createPlanwrightWorker({ ...options, planCache: createFilePlanCache('/var/cache/plans') });
 */
export function createFilePlanCache(dir: string, clock: () => number = Date.now): PlanCache {
  const fileOf = (text: string) => path.join(dir, `${createHash('sha256').update(text).digest('hex')}.json`);
  return {
    async get(query, now = clock()) {
      const text = planCacheText(query);
      let entry: { query?: string; expiresAt?: number; plan?: unknown };
      try {
        entry = JSON.parse(await readFile(fileOf(text), 'utf8')) as typeof entry;
      } catch {
        return undefined;
      }
      if (entry.query !== text || typeof entry.expiresAt !== 'number' || entry.expiresAt <= now) return undefined;
      const parsed = planSchema().safeParse(entry.plan);
      return parsed.success ? parsed.data : undefined;
    },
    async set(query, plan, ttlMs, now = clock()) {
      const text = planCacheText(query);
      await mkdir(dir, { recursive: true });
      const file = fileOf(text);
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify({ query: text, expiresAt: now + ttlMs, plan }));
      await rename(temporary, file);
    },
  };
}

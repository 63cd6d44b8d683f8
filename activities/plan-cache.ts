/**
 * The plan cache, as activities: a cached plan for the same goal, context, tools and step limit, and the keeping of
 * an accepted one, both measured in the run's workflow time.
 */
import type { Plan } from '../src/contract/plan.js';
import type { ToolInfo } from '../src/contract/tools.js';
import type { PlanCache } from '../src/plan-cache.js';
import type { PlanCacheQuery } from '../src/plan/cache-key.js';
import type { Described, Describe, WithWorkerTools, WorkerDescription } from './describe.js';

/**
 * The run's workflow time (milliseconds since the epoch) that plan-cache expiry is measured in. Runs started
 * before it was sent leave it out; the cache then uses the worker's clock.
 */
export interface WorkflowTime {
  now?: number;
}

/** Input of `lookupPlan`: what a cached plan must match (the tools are this worker's), and the run's time. */
export type LookupPlanInput = WithWorkerTools<PlanCacheQuery> & WorkflowTime & Describe;
/** Output of `lookupPlan`. */
export interface LookupPlanOutput extends Described {
  plan?: Plan;
}
/** Input of `storePlan`: the plan expires `ttlMs` after the run's time. */
export interface StorePlanInput extends WorkflowTime {
  query: WithWorkerTools<PlanCacheQuery>;
  plan: Plan;
  ttlMs: number;
}

/** What the plan-cache activities are built from; without a cache, nothing is found and nothing kept. */
export interface PlanCacheDependencies {
  cache?: PlanCache;
  /** The worker's tool catalog: a plan is cached for the tools it was made with. */
  catalog: readonly ToolInfo[];
  worker: WorkerDescription;
}

/** The plan-cache activities of a worker. */
export function planCacheActivities({ cache, catalog, worker }: PlanCacheDependencies) {
  return {
    /** Finds a cached plan for the same goal, context, tools and step limit, if one has not expired by the run's time. */
    async lookupPlan({ now, describe, ...query }: LookupPlanInput): Promise<LookupPlanOutput> {
      const found = await cache?.get({ ...query, tools: catalog }, now);
      return { ...worker.described({ describe }), ...(found ? { plan: found } : {}) };
    },

    /** Keeps an accepted plan for later runs of the same goal, until `ttlMs` after the run's time. */
    async storePlan({ query, plan: accepted, ttlMs, now }: StorePlanInput): Promise<void> {
      await cache?.set({ ...query, tools: catalog }, accepted, ttlMs, now);
    },
  };
}

/**
 * Typed activity mocks: each is checked against the real activities' signatures, so a test stops
 * compiling when a signature drifts. Anything a test does not provide fails loudly when called.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Activities, CreatePlanOutput, Describe, Described } from '../../activities/index.js';
import type { Plan } from '../../src/contract/plan.js';
import { toolInfo } from '../../src/tools/define.js';
import { builtinTools } from '../../src/tools/builtin.js';

/**
 * Activities for a test: the given ones, plus `describeWorker` over the built-in tools; the rest throw. The
 * planning activities describe the worker when asked to (`describe`), as the real ones do.
 */
export function mockActivities(overrides: Partial<Activities>): Activities {
  const unexpected = (name: keyof Activities) => async () => {
    throw ApplicationFailure.create({ nonRetryable: true, message: `unexpected call of activity ${name}` });
  };
  const activities: Activities = {
    describeWorker: async () => ({ tools: builtinTools.map(toolInfo), searchAttributes: [] }),
    createPlan: unexpected('createPlan'),
    revisePlan: unexpected('revisePlan'),
    lookupPlan: unexpected('lookupPlan'),
    storePlan: unexpected('storePlan'),
    replan: unexpected('replan'),
    runTool: unexpected('runTool'),
    askApproval: unexpected('askApproval'),
    checkToolInput: unexpected('checkToolInput'),
    executeStep: unexpected('executeStep'),
    checkOutput: unexpected('checkOutput'),
    synthesize: unexpected('synthesize'),
    ...overrides,
  };
  const describing =
    <I extends Describe, O extends Described>(activity: (input: I) => Promise<O>) =>
    async (input: I): Promise<O> => {
      const out = await activity(input);
      return input.describe && !out.worker ? { ...out, worker: await activities.describeWorker() } : out;
    };
  return {
    ...activities,
    createPlan: describing(activities.createPlan),
    revisePlan: describing(activities.revisePlan),
    lookupPlan: describing(activities.lookupPlan),
  };
}

/** What one model call costs in these tests. */
export const ONE_CALL = { llmCalls: 1, inputTokens: 100, outputTokens: 20 };

/** A `createPlan` answer holding this plan. */
export function planned(plan: Plan): CreatePlanOutput {
  return { plan, issues: [], usage: ONE_CALL };
}

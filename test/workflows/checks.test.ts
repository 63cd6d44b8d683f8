/**
 * Output checks on the time-skipping server: each step's output against its success criterion, checked in the
 * workflow (a checkable criterion over an output in the history) or by the checkOutput activity (a criterion in
 * words, or an output kept in the output store), and a failed check recovered like any failed step.
 */
import { describe, expect, it } from 'vitest';
import type { CheckOutputInput, RunToolInput, RunToolOutput } from '../../activities/index.js';
import type { Plan } from '../../src/contract/plan.js';
import { ONE_CALL, mockActivities, planned } from '../support/mock-activities.js';
import { timeSkippingSuite } from '../support/run-workflow.js';

const { run } = timeSkippingSuite();

/** A search of `file` whose output must meet `successCriterion`. */
const search = (file: string, successCriterion: string, more: Partial<Plan['steps'][number]> = {}) => ({
  id: 'search',
  title: 'Search',
  dependsOn: [],
  tool: 'data_query',
  args: { file },
  successCriterion,
  ...more,
});

/** A search that finds nothing, with a fallback search that finds something. */
const searchPlan = (successCriterion: string): Plan => ({
  steps: [
    search('a.csv', successCriterion, { fallback: { tool: 'data_query', args: { file: 'b.csv' } } }),
    {
      id: 'sum',
      title: 'Sum',
      dependsOn: ['search'],
      tool: 'calculator',
      args: { expression: '{{search.matched}} + 1' },
    },
  ],
});

/** Tools whose search finds nothing in a.csv and two rows in b.csv. */
function searchTools() {
  const calls: RunToolInput[] = [];
  return {
    calls,
    runTool: async (input: RunToolInput): Promise<RunToolOutput> => {
      calls.push(input);
      if (input.tool === 'calculator') return { output: { value: 3 }, attempt: 1 };
      const file = (input.args as { file: string }).file;
      return { output: file === 'a.csv' ? { matched: 0, groups: [] } : { matched: 2, groups: [1, 2] }, attempt: 1 };
    },
  };
}

const synthesize = async () => ({ answer: 'Done.', usage: ONE_CALL });

describe('output checks', () => {
  it('fails an empty result against a checkable criterion in the workflow, and recovers by the fallback', async () => {
    const tools = searchTools();
    const result = await run(
      mockActivities({
        createPlan: async () => planned(searchPlan('$.groups.length >= 1')),
        runTool: tools.runTool,
        synthesize,
      }),
      { goal: 'Find and sum' },
    );
    expect(result.status).toBe('completed');
    expect(tools.calls.map((c) => (c.args as { file?: string }).file ?? c.tool)).toEqual([
      'a.csv',
      'b.csv',
      'calculator',
    ]);
    expect(tools.calls[2]?.args).toEqual({ expression: '2 + 1' }); // the next step ran on the checked output
    const fallback = result.events.find((e) => e.type === 'fallback');
    expect(fallback?.message).toContain(
      'its output failed the check "$.groups.length >= 1": $.groups.length is 0, expected >= 1',
    );
    expect(result.events.filter((e) => e.type === 'step-checked').map((e) => e.message)).toEqual([
      'search passed its check: $.groups.length >= 1',
    ]);
    expect(result.usage.llmCalls).toBe(2); // plan and answer: the check needed no model
  });

  it('asks the model about a criterion in words; a failed verdict with no fallback left goes to the replanner', async () => {
    const checks: CheckOutputInput[] = [];
    const plan: Plan = {
      steps: [search('a.csv', 'at least one result')],
    };
    const result = await run(
      mockActivities({
        createPlan: async () => planned(plan),
        runTool: searchTools().runTool,
        checkOutput: async (input) => {
          checks.push(input);
          return { passed: false, reason: 'the search found no rows', usage: ONE_CALL };
        },
        replan: async (input) => {
          expect(input.failure?.message).toContain('failed the check "at least one result": the search found no rows');
          return {
            decision: { action: 'finish', answer: 'Nothing was found.', reason: 'no data' },
            issues: [],
            usage: ONE_CALL,
          };
        },
      }),
      { goal: 'Find' },
    );
    expect(checks).toEqual([
      {
        goal: 'Find',
        step: { id: 'search', title: 'Search' },
        criterion: 'at least one result',
        output: { matched: 0, groups: [] },
      },
    ]);
    expect(result.status).toBe('partial');
    expect(result.steps[0]).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('the search found no rows'),
    });
    expect(result.usage.llmCalls).toBe(3); // plan, check, replan: the check counts
  });

  it('passes a step whose verdict passes, and counts the check toward the budget', async () => {
    const plan: Plan = {
      steps: [search('b.csv', 'at least one result'), { id: 'explain', title: 'Explain', dependsOn: ['search'] }],
    };
    const result = await run(
      mockActivities({
        createPlan: async () => planned(plan),
        runTool: searchTools().runTool,
        checkOutput: async () => ({ passed: true, reason: 'two rows were found', usage: ONE_CALL }),
      }),
      { goal: 'Find', budget: { llmCalls: 2 } },
    );
    // plan + check spend the budget: the open step cannot run, and the run ends on what it has.
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['search', 'succeeded'],
      ['explain', 'cancelled'],
    ]);
    expect(result.events.find((e) => e.type === 'step-checked')?.message).toBe(
      'search passed its check: two rows were found',
    );
    expect(result.usage.llmCalls).toBe(2);
  });

  it('checks nothing with checks: false', async () => {
    const tools = searchTools();
    const result = await run(
      mockActivities({
        createPlan: async () => planned(searchPlan('at least one result')),
        runTool: tools.runTool,
        synthesize,
      }),
      { goal: 'Find and sum', checks: false },
    );
    expect(result.status).toBe('completed');
    expect(tools.calls).toHaveLength(2);
    expect(result.events.some((e) => e.type === 'step-checked' || e.type === 'fallback')).toBe(false);
  });

  it('checks a stored output through the activity, which loads it', async () => {
    const stored = { ref: 'default/run/abc', bytes: 5000, preview: '{"matched":0,' };
    const checks: CheckOutputInput[] = [];
    const plan: Plan = {
      steps: [search('a.csv', '$.matched > 0', { critical: false })],
    };
    const result = await run(
      mockActivities({
        createPlan: async () => planned(plan),
        runTool: async () => ({ output: stored, attempt: 1 }),
        checkOutput: async (input) => {
          checks.push(input);
          return {
            passed: false,
            reason: '$.matched is 0, expected > 0',
            usage: { llmCalls: 0, inputTokens: 0, outputTokens: 0 },
          };
        },
        synthesize,
      }),
      { goal: 'Find' },
    );
    expect(checks.map((c) => c.output)).toEqual([stored]);
    expect(result.steps[0]?.status).toBe('skipped'); // not critical: skipped after its failed check
    expect(result.usage.llmCalls).toBe(1); // the plan only: the check needed no model
  });
});

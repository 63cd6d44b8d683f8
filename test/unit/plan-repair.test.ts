/**
 * Deterministic plan repairs: what needs no model is fixed and said; what needs judgement is left for validation.
 */
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../src/contract/plan.js';
import { stepsSchema } from '../../src/llm/plan-format.js';
import { repairPlan } from '../../src/plan/repair.js';
import { validatePlan } from '../../src/plan/validate.js';

const step = (id: string, more: Partial<Plan['steps'][number]> = {}) => ({ id, title: id, dependsOn: [], ...more });
const limits = { tools: [{ name: 'read_file' }, { name: 'search' }], maxSteps: 10 };

describe('repairPlan', () => {
  it('fixes dependencies and tool names that need no judgement, and says what it fixed', () => {
    const plan: Plan = {
      steps: [
        step('find', { tool: 'Search', args: { q: 'x' }, dependsOn: ['find'] }),
        step('read', { tool: 'read-file', args: { path: '{{find.path}}' }, tools: ['search'] }),
        step('sum', { dependsOn: ['read', 'read'] }),
      ],
    };
    expect(validatePlan(plan, limits).length).toBeGreaterThan(0);
    const { plan: repaired, repairs } = repairPlan(plan, ['read_file', 'search']);
    expect(validatePlan(repaired, limits)).toEqual([]);
    expect(repairs).toEqual([
      'step "find": dropped its dependency on itself',
      'step "find": tool "Search" renamed to "search"',
      'step "read": added "find" to dependsOn, as its args refer to it',
      'step "read": tool "read-file" renamed to "read_file"',
      'step "read": dropped "tools", which only an open step has',
      'step "sum": dropped "read", named twice in dependsOn',
    ]);
    expect(repaired.steps[1]).toEqual(
      step('read', { tool: 'read_file', args: { path: '{{find.path}}' }, dependsOn: ['find'] }),
    );
  });

  it('leaves what needs judgement, and a valid plan, as they are', () => {
    const valid: Plan = { steps: [step('a', { tool: 'search', args: { q: 'x' } }), step('b', { dependsOn: ['a'] })] };
    expect(repairPlan(valid, ['search'])).toEqual({ plan: valid, repairs: [] });
    // A dependency on (and a reference to) a step the plan lacks, and an unknown tool: only the model can say what
    // was meant — the step it named may be one the plan has under another id.
    const unknown: Plan = {
      steps: [step('a', { tool: 'fetch_web', args: { url: '{{file}}' }, dependsOn: ['file', 'the-model-planner'] })],
    };
    const { plan, repairs } = repairPlan(unknown, ['search']);
    expect(repairs).toEqual([]);
    expect(validatePlan(plan, limits).map((i) => i.message)).toEqual([
      'depends on "file", which is not a step of this plan',
      'depends on "the-model-planner", which is not a step of this plan',
      'unknown tool "fetch_web"; available tools: read_file, search',
      '{{file}} refers to "file", which is not a step',
    ]);
  });

  it('adds no dependency that would close a cycle', () => {
    const plan: Plan = {
      steps: [
        step('a', { tool: 'search', args: { q: '{{b}}' } }),
        step('b', { tool: 'search', args: { q: 'x' }, dependsOn: ['a'] }),
      ],
    };
    expect(repairPlan(plan, ['search'])).toEqual({ plan, repairs: [] });
  });
});

describe('the plan response format', () => {
  it('offers no empty plan', () => {
    expect(stepsSchema([])).toMatchObject({ type: 'array', minItems: 1 });
  });
});

describe('the planning activity', () => {
  it('repairs the answer before it is checked, and reports the repairs', async () => {
    const { startScriptedModel } = await import('../../src/testing/scripted-model.js');
    const { createModel } = await import('../../src/llm/model.js');
    const { planTask } = await import('../../src/eval/plan-task.js');
    const { oraclePlan } = await import('../../src/eval/oracle.js');
    const { loadSuites } = await import('../../src/eval/suites.js');
    const [suite] = await loadSuites('nestful-sgd:sgd-1');
    const task = suite!.tasks[0]!;
    const wire = oraclePlan(task);
    // The model forgets that the second call depends on the first one it refers to.
    const answer = { ...wire, steps: wire.steps.map((s) => ({ ...s, dependsOn: [] })) };
    const model = await startScriptedModel({ script: { plan: [{ content: answer }] } });
    try {
      const planned = await planTask(
        createModel({ apiKey: 'none', baseURL: model.url, model: 'm', timeoutMs: 5000 }),
        task,
      );
      expect(planned).toMatchObject({ validFirst: true, valid: true, attempts: 1 });
      expect(planned.repairs).toEqual(['step "var2": added "var1" to dependsOn, as its args refer to it']);
    } finally {
      await model.close();
    }
  });
});

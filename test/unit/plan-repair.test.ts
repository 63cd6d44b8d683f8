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

describe('the planning activity with the grammar format', () => {
  it('asks a model configured for it with the positional format, and JSON mode with the catalog format', async () => {
    const { startScriptedModel } = await import('../../src/testing/scripted-model.js');
    const { createModel } = await import('../../src/llm/model.js');
    const { planTask } = await import('../../src/eval/plan-task.js');
    const { loadSuites } = await import('../../src/eval/suites.js');
    const [suite] = await loadSuites('nestful-sgd:sgd-1');
    const task = suite!.tasks[0]!;
    const [first, second] = task.gold!;
    // Ids as the format fixes them; the second call names the first by its tool, which the repair points at s1.
    const wireStep = { description: null, successCriterion: null, critical: null, fallback: null, tools: null };
    const answer = {
      rationale: null,
      steps: [
        { ...wireStep, id: 's1', title: 'find', dependsOn: [], tool: first!.tool, args: first!.args },
        {
          ...wireStep,
          id: 's2',
          title: 'reserve',
          dependsOn: [],
          tool: second!.tool,
          args: JSON.parse(JSON.stringify(second!.args).replaceAll('{{var1', `{{${first!.tool}`)),
        },
      ],
    };
    const model = await startScriptedModel({ script: { plan: [{ content: answer }, { content: answer }] } });
    const config = { apiKey: 'none', baseURL: model.url, model: 'm', timeoutMs: 5000 };
    try {
      const planned = await planTask(createModel({ ...config, planFormat: 'positional' }), task);
      expect(planned).toMatchObject({ validFirst: true, valid: true });
      expect(planned.repairs).toContain(
        `step "s2": a reference to "${first!.tool}", a tool, now names "s1", the step that calls it`,
      );
      const format = (r: (typeof model.requests)[number]) =>
        (r.body.response_format as { json_schema?: { schema: { $defs?: object } } }).json_schema?.schema;
      expect(format(model.requests[0]!)?.$defs).toHaveProperty('step1');
      await planTask(createModel({ ...config, planFormat: 'positional', structuredOutput: 'json_object' }), task);
      expect(model.requests[1]!.body.response_format).toEqual({ type: 'json_object' });
      expect(JSON.stringify(model.requests[1]!.messages)).not.toContain('prefixItems');
    } finally {
      await model.close();
    }
  });
});

describe('repairPlan: a tool named where a step is meant', () => {
  it('points a dependency or a reference that names the tool of exactly one other step at that step', () => {
    const plan: Plan = {
      steps: [
        step('s1', { tool: 'read_file', args: { path: 'a.txt' } }),
        step('s2', { tool: 'search', args: { q: 'Summary of {{ read_file.text }}' }, dependsOn: ['read_file'] }),
      ],
    };
    const { plan: repaired, repairs } = repairPlan(plan, ['read_file', 'search']);
    expect(validatePlan(repaired, limits)).toEqual([]);
    expect(repaired.steps[1]).toMatchObject({ args: { q: 'Summary of {{ s1.text }}' }, dependsOn: ['s1'] });
    expect(repairs).toEqual([
      'step "s2": its dependency on "read_file", a tool, now names "s1", the step that calls it',
      'step "s2": a reference to "read_file", a tool, now names "s1", the step that calls it',
    ]);
  });

  it('leaves a tool name alone when two steps call that tool, or a step has that id', () => {
    const twice: Plan = {
      steps: [
        step('s1', { tool: 'search', args: { q: 'a' } }),
        step('s2', { tool: 'search', args: { q: 'b' } }),
        step('s3', { tool: 'read_file', args: { path: '{{search.path}}' } }),
      ],
    };
    expect(repairPlan(twice, ['read_file', 'search']).repairs).toEqual([]);
    const named: Plan = {
      steps: [
        step('search', { tool: 'read_file', args: { path: 'x' } }),
        step('s2', { tool: 'search', args: { q: 'y' } }),
        step('s3', { tool: 'read_file', args: { path: '{{search.path}}' }, dependsOn: ['search'] }),
      ],
    };
    expect(repairPlan(named, ['read_file', 'search'])).toEqual({ plan: named, repairs: [] });
  });
});

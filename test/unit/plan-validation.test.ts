import { describe, expect, it } from 'vitest';
import type { Plan } from '../../src/contract/plan.js';
import { formatIssues, validatePlan } from '../../src/plan/validate.js';

const limits = { tools: [{ name: 'data_query' }, { name: 'calculator' }], maxSteps: 5 };
const plan = (steps: Plan['steps']): Plan => ({ steps });

describe('validatePlan', () => {
  it('accepts a well-formed graph whose references point to dependencies', () => {
    const issues = validatePlan(
      plan([
        { id: 'count', title: 'Count', dependsOn: [], tool: 'data_query', args: { file: 'a.csv' } },
        {
          id: 'share',
          title: 'Share',
          dependsOn: ['count'],
          tool: 'calculator',
          args: { expression: '{{count.value}} / 2' },
        },
        { id: 'explain', title: 'Explain', dependsOn: ['share'] },
      ]),
      limits,
    );
    expect(issues).toEqual([]);
  });

  it('reports duplicate ids, unknown tools, missing dependencies and self-dependencies', () => {
    const issues = validatePlan(
      plan([
        { id: 'a', title: 'A', dependsOn: ['a'], tool: 'web_search' },
        { id: 'a', title: 'A again', dependsOn: ['ghost'], tool: 'calculator', fallback: { tool: 'nope' } },
      ]),
      limits,
    );
    expect(formatIssues(issues)).toMatchInlineSnapshot(`
      "- step "a": step id "a" is used more than once
      - step "a": a step cannot depend on itself
      - step "a": unknown tool "web_search"; available tools: data_query, calculator
      - step "a": depends on "ghost", which is not a step of this plan
      - step "a": unknown fallback tool "nope"; available tools: data_query, calculator"
    `);
  });

  it('finds a cycle and names it', () => {
    const issues = validatePlan(
      plan([
        { id: 'a', title: 'A', dependsOn: ['c'] },
        { id: 'b', title: 'B', dependsOn: ['a'] },
        { id: 'c', title: 'C', dependsOn: ['b'] },
      ]),
      limits,
    );
    expect(issues).toEqual([{ stepId: 'a', message: 'dependency cycle: a -> c -> b -> a' }]);
  });

  it('rejects references to steps that are not dependencies, or not steps at all', () => {
    const issues = validatePlan(
      plan([
        { id: 'a', title: 'A', dependsOn: [], tool: 'calculator', args: { expression: '1' } },
        { id: 'b', title: 'B', dependsOn: [], tool: 'calculator', args: { expression: '{{a.value}} + {{zed}}' } },
      ]),
      limits,
    );
    expect(issues.map((i) => i.message)).toEqual([
      '{{a.value}} refers to "a", which is not among its dependencies; add it to dependsOn',
      '{{zed}} refers to "zed", which is not a step',
    ]);
  });

  it('accepts references to indirect dependencies', () => {
    const issues = validatePlan(
      plan([
        { id: 'a', title: 'A', dependsOn: [], tool: 'calculator', args: { expression: '1' } },
        { id: 'b', title: 'B', dependsOn: ['a'] },
        { id: 'c', title: 'C', dependsOn: ['b'], tool: 'calculator', args: { expression: '{{a.value}}' } },
      ]),
      limits,
    );
    expect(issues).toEqual([]);
  });

  it('enforces maxSteps and the id format', () => {
    const steps = Array.from({ length: 6 }, (_, i) => ({ id: `s${i}`, title: 'S', dependsOn: [] }));
    expect(validatePlan(plan(steps), limits)).toEqual([{ message: 'the plan has 6 steps; at most 5 are allowed' }]);
    const bad = validatePlan({ steps: [{ id: 'Bad Id', title: 'x', dependsOn: [] }] }, limits);
    expect(bad[0]?.message).toMatch(/^id: a step id is lower-case/);
  });

  it('rejects args on a step without a tool', () => {
    const issues = validatePlan(plan([{ id: 'a', title: 'A', dependsOn: [], args: { x: 1 } }]), limits);
    expect(issues).toEqual([
      { stepId: 'a', message: 'has args but no tool; give the tool, or drop args for an open step' },
    ]);
  });
});

describe('sub-goal steps', () => {
  const withSubgoals = { ...limits, subgoals: { maxFanOut: 2 } };
  const hotel = { id: 'hotel', title: 'Hotel', dependsOn: [], subgoal: 'Book a hotel' };

  it('are valid where the run may start sub-goals, and refused where it may not', () => {
    expect(validatePlan(plan([hotel]), withSubgoals)).toEqual([]);
    expect(validatePlan(plan([hotel]), limits)).toEqual([
      {
        stepId: 'hotel',
        message:
          'is a sub-goal, but this run may not start sub-goals (its subgoals.maxDepth is 0): make it a tool step or an open step',
      },
    ]);
  });

  it('have no tool, args or fallback, and are at most maxFanOut in a plan', () => {
    const issues = validatePlan(
      plan([
        { ...hotel, tool: 'calculator', args: { expression: '1' } },
        { ...hotel, id: 'b' },
        { ...hotel, id: 'c' },
      ]),
      withSubgoals,
    );
    expect(formatIssues(issues)).toBe(
      [
        '- step "hotel": a sub-goal step has no tool, args or fallback: drop them, or drop "subgoal" to call the tool',
        '- the plan has 3 sub-goal steps; at most 2 are allowed (subgoals.maxFanOut): merge some, or make them tool or open steps',
      ].join('\n'),
    );
  });

  it('give their answer as text, so a path into one is refused', () => {
    const issues = validatePlan(
      plan([
        hotel,
        { id: 'sum', title: 'Sum', dependsOn: ['hotel'], tool: 'calculator', args: { expression: '{{hotel.price}}' } },
      ]),
      withSubgoals,
    );
    expect(issues.map((i) => i.message)).toEqual([
      '{{hotel.price}} cannot resolve: "hotel" is a sub-goal whose output is its answer, text with no fields',
    ]);
  });
});

describe('reference paths checked against tool output schemas', () => {
  const tools = [
    {
      name: 'data_query',
      outputSchema: {
        type: 'object',
        properties: {
          matched: { type: 'number' },
          groups: {
            type: 'array',
            items: {
              type: 'object',
              properties: { key: { type: 'string' }, value: { type: 'number' } },
              additionalProperties: false,
            },
          },
        },
        additionalProperties: false,
      },
    },
    { name: 'calculator' },
  ];
  const withRef = (expression: string, target: Partial<Plan['steps'][number]> = {}) =>
    validatePlan(
      plan([
        { id: 'q', title: 'Q', dependsOn: [], tool: 'data_query', args: { file: 'a.csv' }, ...target },
        { id: 'c', title: 'C', dependsOn: ['q'], tool: 'calculator', args: { expression } },
      ]),
      { tools, maxSteps: 5 },
    ).map((i) => i.message);

  it('accepts paths the schema has', () => {
    expect(withRef('{{q.groups.0.value}} / {{q.matched}}')).toEqual([]);
  });

  it('refuses paths the schema does not have, before anything runs', () => {
    expect(withRef('{{q.total}}')).toEqual([
      '{{q.total}} cannot resolve: the output has no field "total" (fields: matched, groups)',
    ]);
    expect(withRef('{{q.groups.first.value}}')).toEqual([
      '{{q.groups.first.value}} cannot resolve: groups is a list; "first" is not an index',
    ]);
    expect(withRef('{{q.matched.value}}')).toEqual([
      '{{q.matched.value}} cannot resolve: matched is a number; it has no "value"',
    ]);
  });

  it('refuses a path into an open step, whose output is text', () => {
    expect(withRef('{{q.value}}', { tool: undefined, args: undefined })).toEqual([
      '{{q.value}} cannot resolve: "q" is an open step whose output is text, with no fields',
    ]);
  });
});

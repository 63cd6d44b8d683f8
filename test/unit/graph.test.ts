import { describe, expect, it } from 'vitest';
import { dependencyTest, findCycle, readySteps, topologicalOrder } from '../../src/plan/graph.js';

const steps = [
  { id: 'load', dependsOn: [] },
  { id: 'count', dependsOn: ['load'] },
  { id: 'total', dependsOn: ['load'] },
  { id: 'share', dependsOn: ['count', 'total'] },
  { id: 'other', dependsOn: [] },
];

describe('plan graph', () => {
  it('lists pending steps whose dependencies all succeeded, in plan order', () => {
    expect(
      readySteps(steps, { load: 'pending', count: 'pending', total: 'pending', share: 'pending', other: 'pending' }),
    ).toEqual(['load', 'other']);
    expect(
      readySteps(steps, {
        load: 'succeeded',
        count: 'running',
        total: 'pending',
        share: 'pending',
        other: 'succeeded',
      }),
    ).toEqual(['total']);
    expect(
      readySteps(steps, { load: 'succeeded', count: 'failed', total: 'succeeded', share: 'pending', other: 'pending' }),
    ).toEqual(['other']);
  });

  it('orders steps after their dependencies, stable otherwise', () => {
    expect(topologicalOrder(steps)).toEqual(['load', 'other', 'count', 'total', 'share']);
  });

  it('tells whether a step depends on another through several levels', () => {
    const dependsOn = dependencyTest(steps);
    expect(['load', 'count', 'total', 'other', 'share'].filter((id) => dependsOn('share', id))).toEqual([
      'load',
      'count',
      'total',
    ]);
    expect(dependsOn('load', 'share')).toBe(false);
    expect(dependsOn('other', 'load')).toBe(false);
    expect(dependsOn('count', 'nowhere')).toBe(false);
  });

  it('finds cycles, including a step depending on itself', () => {
    expect(findCycle(steps)).toBeUndefined();
    expect(findCycle([{ id: 'a', dependsOn: ['a'] }])).toEqual(['a', 'a']);
    expect(
      findCycle([
        { id: 'a', dependsOn: ['b'] },
        { id: 'b', dependsOn: ['a'] },
      ]),
    ).toEqual(['a', 'b', 'a']);
  });
});

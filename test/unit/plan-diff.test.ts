import { describe, expect, it } from 'vitest';
import type { Step } from '../../src/contract/plan.js';
import { describeChanges, planChanges, unchanged } from '../../src/plan/diff.js';

const step = (id: string, over: Partial<Step> = {}): Step => ({
  id,
  title: id.toUpperCase(),
  tool: 'calculator',
  args: { expression: '1 + 1' },
  dependsOn: [],
  ...over,
});

describe('what changed between two plan versions', () => {
  it('lists the steps added, removed and changed, with the fields that changed', () => {
    const before = { steps: [step('a'), step('b', { dependsOn: ['a'] }), step('c')] };
    const after = {
      steps: [
        step('a'),
        step('b', { dependsOn: [], args: { expression: '2 + 2' } }),
        step('d', { dependsOn: ['b'] }),
        step('e'),
      ],
    };
    const changes = planChanges(before, after);
    expect(changes).toEqual({
      added: ['d', 'e'],
      removed: ['c'],
      changed: [{ id: 'b', fields: ['args', 'dependsOn'] }],
    });
    expect(describeChanges(changes)).toBe('+ d, e · − c · ~ b (args, dependsOn)');
    expect(unchanged(changes)).toBe(false);
  });

  it('sees no change where only key order differs or a field is absent rather than undefined', () => {
    const before = { steps: [step('a', { args: { x: 1, y: [1, { z: 2 }] }, description: undefined })] };
    const after = { steps: [step('a', { args: { y: [1, { z: 2 }], x: 1 } })] };
    expect(unchanged(planChanges(before, after))).toBe(true);
    expect(describeChanges(planChanges(before, after))).toBe('no change');
  });

  it('tells a change of the tools an open step may use', () => {
    const open = (tools: string[]): Step => ({ id: 'a', title: 'A', dependsOn: [], tools });
    expect(planChanges({ steps: [open(['calculator'])] }, { steps: [open(['calculator', 'write_file'])] })).toEqual({
      added: [],
      removed: [],
      changed: [{ id: 'a', fields: ['tools'] }],
    });
  });

  it('tells a fallback or a criterion added to a step', () => {
    const before = { steps: [step('a')] };
    const after = {
      steps: [step('a', { fallback: { tool: 'http_get', args: {} }, successCriterion: '$.rows is not empty' })],
    };
    expect(planChanges(before, after).changed).toEqual([{ id: 'a', fields: ['successCriterion', 'fallback'] }]);
  });
});

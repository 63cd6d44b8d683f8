import { describe, expect, it } from 'vitest';
import { findReferences, resolveReferences, UnresolvedReferenceError } from '../../src/plan/references.js';

const outputs = {
  count: { groups: [{ key: 'billing', value: 92 }], matched: 318 },
  total: { value: 318 },
  name: 'weekly',
};

describe('argument references', () => {
  it('finds references in nested arguments', () => {
    const refs = findReferences({ a: ['{{count.groups.0.key}}', { b: 'x {{total}} y' }], c: 3 });
    expect(refs.map((r) => [r.stepId, r.path])).toEqual([
      ['count', ['groups', '0', 'key']],
      ['total', []],
    ]);
  });

  it('keeps the type of a value when the string is only a reference', () => {
    expect(resolveReferences({ n: '{{total.value}}', all: '{{count}}' }, outputs)).toEqual({
      n: 318,
      all: outputs.count,
    });
  });

  it('interpolates references inside longer text', () => {
    expect(resolveReferences({ expression: '{{count.groups.0.value}} / {{total.value}} * 100' }, outputs)).toEqual({
      expression: '92 / 318 * 100',
    });
    expect(resolveReferences('report {{name}} of {{total}}', outputs)).toBe('report weekly of {"value":318}');
  });

  it('fails with the reason when a path or an output is missing', () => {
    expect(() => resolveReferences('{{count.groups.5.key}}', outputs)).toThrow(
      'cannot resolve {{count.groups.5.key}}: groups is a list of 1, it has no item "5"',
    );
    expect(() => resolveReferences('{{total.sum}}', outputs)).toThrow(UnresolvedReferenceError);
    expect(() => resolveReferences('{{missing}}', outputs)).toThrow('step "missing" has no output');
  });

  it('leaves text without references alone', () => {
    expect(resolveReferences({ a: 'plain {text}', b: [1, true, null] }, outputs)).toEqual({
      a: 'plain {text}',
      b: [1, true, null],
    });
  });
});

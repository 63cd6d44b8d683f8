import { describe, expect, it } from 'vitest';
import { criterionProblem, parseCriterion } from '../../src/plan/criterion.js';

const output = {
  file: 'tickets.csv',
  matched: 0,
  groups: [] as unknown[],
  top: { intent: 'billing', share: 0.42 },
  tags: ['urgent', 'vip'],
  note: 'ok: 3 refunds',
};

/** Checks `criterion` against the output above; undefined when it passes. */
const check = (criterion: string, value: unknown = output) => {
  const parsed = parseCriterion(criterion);
  if (!parsed) throw new Error(`"${criterion}" did not parse`);
  return criterionProblem(value as never, parsed);
};

describe('success criteria', () => {
  it('leaves sentences to a model', () => {
    expect(parseCriterion('at least one result')).toBeUndefined();
    expect(parseCriterion('the $ amount is positive')).toBeUndefined();
    expect(parseCriterion('$ is what it costs')).toBeUndefined();
  });

  it('parses comparisons with JSON values, and bare words as text', () => {
    expect(parseCriterion('$.groups.length >= 1')).toEqual({ path: '.groups.length', op: '>=', value: 1 });
    expect(parseCriterion(' $.top.intent == "billing" ')).toEqual({ path: '.top.intent', op: '==', value: 'billing' });
    expect(parseCriterion('$.top.intent != billing')).toEqual({ path: '.top.intent', op: '!=', value: 'billing' });
    expect(parseCriterion('$ is not empty')).toEqual({ path: '', op: 'is not empty' });
  });

  it('fails an empty result where one was required, saying what it found', () => {
    expect(check('$.groups.length >= 1')).toBe('$.groups.length is 0, expected >= 1');
    expect(check('$.groups is not empty')).toBe('$.groups is [], expected something not empty');
    expect(check('$.matched > 0')).toBe('$.matched is 0, expected > 0');
  });

  it('passes what the criterion asks for', () => {
    for (const criterion of [
      '$.groups is empty',
      '$.top.share < 0.5',
      '$.top.share >= 0.42',
      '$.top.intent == "billing"',
      '$.tags contains "vip"',
      '$.tags[1] == "vip"',
      '$.tags.length == 2',
      '$.top.length == 2',
      '$.note contains "refund"',
      '$.note matches "^ok: \\\\d+"',
      '$.file exists',
      '$ is not empty',
    ]) {
      expect(check(criterion), criterion).toBeUndefined();
    }
  });

  it('fails a missing path, a wrong type and a bad pattern with a reason', () => {
    expect(check('$.nothing.here exists')).toBe('$.nothing.here is missing, expected a value');
    expect(check('$.top.intent > 1')).toBe('$.top.intent is "billing", expected a number > 1');
    expect(check('$.tags[5] == "x"')).toBe('$.tags[5] is missing, expected "x"');
    expect(check('$.note matches "("')).toMatch(/not a regular expression/);
    expect(check('$.groups is not empty', null)).toBe('$.groups is missing, expected something not empty');
  });
});

import { describe, expect, it } from 'vitest';
import { InvalidRunInputError, parseRunInput } from '../../src/contract/run-input.js';

describe('parseRunInput', () => {
  it('fills in the contract defaults', () => {
    expect(parseRunInput({ goal: '  Summarize tickets ' })).toEqual({
      goal: 'Summarize tickets',
      approval: 'none',
      approvalTimeout: '24h',
      escalation: 'replan',
      maxReplans: 3,
      maxSteps: 25,
      maxParallel: 4,
      stepTimeout: '5m',
      review: 'failures',
      planCache: false,
      subgoals: { maxDepth: 0, maxFanOut: 4, approval: 'inherit' },
      approveTools: [],
      checks: true,
    });
  });

  it('names every wrong field and why', () => {
    try {
      parseRunInput({ goal: '', approval: 'always', maxParallel: 0, stepTimeout: 'soon' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidRunInputError);
      expect((err as InvalidRunInputError).problems).toEqual([
        'goal: goal must not be empty',
        'approval: Invalid option: expected one of "none"|"plan"|"replans"',
        'maxParallel: Too small: expected number to be >=1',
        "stepTimeout: expected a positive duration such as '30s', '5m', '24h' or a number of milliseconds",
      ]);
    }
  });

  it('rejects a missing goal and an overlong one', () => {
    expect(() => parseRunInput({})).toThrow(/goal:/);
    expect(() => parseRunInput({ goal: 'x'.repeat(8001) })).toThrow('goal must be at most 8000 characters');
  });
});

/**
 * RunInput is strict: a misspelt field is refused with a message naming it, instead of being dropped
 * silently (a run started with `approvalz: 'plan'` would otherwise run without asking for approval).
 */
import { describe, expect, it } from 'vitest';
import { InvalidRunInputError, parseRunInput } from '../../src/contract/run-input.js';

const RUN_INPUT_FIELDS =
  'goal, context, approval, approvalTimeout, escalation, maxReplans, maxSteps, maxParallel, stepTimeout, review, budget, planCache, horizon, subgoals, approveTools, checks, historyLimit';

/** The error `parseRunInput` throws for `input`. */
function refusal(input: unknown): InvalidRunInputError {
  try {
    parseRunInput(input);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidRunInputError);
    return err as InvalidRunInputError;
  }
  return expect.unreachable(`expected ${JSON.stringify(input)} to be refused`);
}

describe('parseRunInput refuses unknown fields', () => {
  it('names a misspelt top-level field and lists the fields RunInput takes', () => {
    const err = refusal({ goal: 'Summarize tickets', approvalz: 'plan' });
    expect(err.problems).toEqual([`input: unknown field "approvalz" (it takes ${RUN_INPUT_FIELDS})`]);
    expect(err.message).toBe(`invalid run input: ${err.problems[0]}`);
  });

  it('names every unknown field at once, alongside the other problems', () => {
    const err = refusal({ goal: 'Summarize tickets', approvalz: 'plan', maxstep: 3, maxParallel: 0 });
    expect(err.problems).toHaveLength(2);
    expect(err.problems).toContain(`input: unknown fields "approvalz", "maxstep" (it takes ${RUN_INPUT_FIELDS})`);
    expect(err.problems).toContain('maxParallel: Too small: expected number to be >=1');
  });

  it('refuses unknown fields inside budget, naming the fields budget takes', () => {
    // A misspelt `tokens` must not leave the run without its token budget.
    const err = refusal({ goal: 'Summarize tickets', budget: { tokenz: 5 } });
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(/^budget: unknown field "tokenz"/);
    expect(err.problems[0]).toContain('llmCalls, tokens');
  });

  it('refuses unknown fields inside planCache, naming the fields it takes', () => {
    const err = refusal({ goal: 'Summarize tickets', planCache: { ttl: '1h', tll: '2h' } });
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(/^planCache: unknown field "tll"/);
    expect(err.problems[0]).toContain('ttl');
  });

  it('still parses every known field, filling in the defaults of the rest', () => {
    expect(
      parseRunInput({
        goal: 'Summarize tickets',
        approval: 'plan',
        budget: { tokens: 5000 },
        planCache: { ttl: '1h' },
      }),
    ).toEqual({
      goal: 'Summarize tickets',
      approval: 'plan',
      approvalTimeout: '24h',
      escalation: 'replan',
      maxReplans: 3,
      maxSteps: 25,
      maxParallel: 4,
      stepTimeout: '5m',
      review: 'failures',
      budget: { tokens: 5000 },
      planCache: { ttl: '1h' },
      subgoals: { maxDepth: 0, maxFanOut: 4, approval: 'inherit' },
      approveTools: [],
      checks: true,
    });
  });

  it('refuses unknown fields inside subgoals, naming the fields it takes', () => {
    const err = refusal({ goal: 'Summarize tickets', subgoals: { depth: 2 } });
    expect(err.problems).toEqual(['subgoals: unknown field "depth" (it takes maxDepth, maxFanOut, approval)']);
  });

  it('refuses input that is not an object at all', () => {
    expect(refusal('Summarize tickets').problems).toEqual([expect.stringMatching(/^input: .*object/)]);
  });
});

/**
 * `planwright start` takes every RunInput option, and a wrong value is reported by parseRunInput under the
 * name of the flag that carried it.
 */
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { parseArgs } from 'node:util';
import { InvalidRunInputError, parseRunInput, type RunInput } from '../../src/contract/run-input.js';
import { runInputFromOptions, START_OPTIONS, startFlags, withPlanCacheValue } from '../../src/cli/start-options.js';

describe('runInputFromOptions', () => {
  it('maps the sub-goal and horizon flags onto their nested fields', () => {
    const input = runInputFromOptions('Plan the offsite', {
      subgoals: '2',
      'subgoal-fan-out': '3',
      'subgoal-approval': 'plan',
      horizon: '4',
      'budget-cost': '0.5',
    });
    expect(input).toMatchObject({
      subgoals: { maxDepth: 2, maxFanOut: 3, approval: 'plan' },
      horizon: 4,
      budget: { cost: 0.5 },
    });
    expect(() => runInputFromOptions('Plan the offsite', { subgoals: '9' })).toThrow(
      'invalid run input: --subgoals=9: Too big: expected number to be <=5',
    );
  });

  it('maps every option of start onto the RunInput', () => {
    const input = runInputFromOptions('Count the tickets', {
      approval: 'plan',
      context: 'last week',
      'max-parallel': '2',
      'max-steps': '9',
      'step-timeout': '2m',
      escalation: 'human',
      'max-replans': '5',
      review: 'every-step',
      'budget-calls': '10',
      'budget-tokens': '5000',
      'plan-cache': '2h',
      'approval-timeout': '30m',
    });
    expect(input).toMatchObject({
      goal: 'Count the tickets',
      approval: 'plan',
      context: 'last week',
      maxParallel: 2,
      maxSteps: 9,
      stepTimeout: '2m',
      escalation: 'human',
      maxReplans: 5,
      review: 'every-step',
      budget: { llmCalls: 10, tokens: 5000 },
      planCache: { ttl: '2h' },
      approvalTimeout: '30m',
    });
  });

  it('leaves the defaults to parseRunInput and takes a bare --plan-cache as "on"', () => {
    expect(runInputFromOptions('Count', {})).toMatchObject({ escalation: 'replan', maxReplans: 3, planCache: false });
    expect(runInputFromOptions('Count', { 'plan-cache': 'on' }).planCache).toBe(true);
    expect(runInputFromOptions('Count', { 'budget-tokens': '100' }).budget).toEqual({ tokens: 100 });
  });

  it('reports wrong values from parseRunInput, each under its flag and with the value given', () => {
    const wrong = () =>
      runInputFromOptions('Count', {
        escalation: 'sometimes',
        'max-replans': '99',
        'budget-calls': 'lots',
        'plan-cache': 'soon',
        'approval-timeout': '-5m',
      });
    expect(wrong).toThrow(InvalidRunInputError);
    const message = (() => {
      try {
        wrong();
      } catch (err) {
        return (err as Error).message;
      }
    })();
    expect(message).toMatch(/^invalid run input: /);
    for (const flag of [
      '--escalation=sometimes',
      '--max-replans=99',
      '--budget-calls=lots',
      '--plan-cache=soon',
      '--approval-timeout=-5m',
    ]) {
      expect(message).toContain(flag);
    }
    expect(message).not.toContain('maxReplans');
  });

  it('refuses a --context over the limit, quoting only the start of it', () => {
    const context = `${'long notes '.repeat(6000)}end`;
    expect(() => runInputFromOptions('Count', { context })).toThrow(
      /^invalid run input: --context=long notes long notes long notes long no… \(66003 characters\): it is 66003 characters long; at most 64000 are taken/,
    );
  });
});

describe('withPlanCacheValue', () => {
  it('gives a bare --plan-cache the value "on" and takes a duration that follows it as its TTL', () => {
    expect(withPlanCacheValue(['Count', '--plan-cache'])).toEqual(['Count', '--plan-cache=on']);
    expect(withPlanCacheValue(['Count', '--plan-cache', '--wait'])).toEqual(['Count', '--plan-cache=on', '--wait']);
    expect(withPlanCacheValue(['--plan-cache', 'Count tickets'])).toEqual(['--plan-cache=on', 'Count tickets']);
    expect(withPlanCacheValue(['Count', '--plan-cache', '2h'])).toEqual(['Count', '--plan-cache=2h']);
    expect(withPlanCacheValue(['Count', '--plan-cache', '1.5 days'])).toEqual(['Count', '--plan-cache=1.5 days']);
    expect(withPlanCacheValue(['Count', '--plan-cache=7d'])).toEqual(['Count', '--plan-cache=7d']);
    expect(withPlanCacheValue(['Count', '--', '--plan-cache'])).toEqual(['Count', '--', '--plan-cache']);
  });

  it('takes on or off right after it as its value (a schedule turns the cache off so)', () => {
    expect(withPlanCacheValue(['Count', '--plan-cache', 'off'])).toEqual(['Count', '--plan-cache=off']);
    expect(withPlanCacheValue(['--plan-cache', 'on', 'Count'])).toEqual(['--plan-cache=on', 'Count']);
  });
});

describe('startFlags', () => {
  /** The input `start` makes of a goal and flags, as the command line reads them. */
  const readBack = (goal: string, flags: string[]) =>
    runInputFromOptions(goal, parseArgs({ args: withPlanCacheValue(flags), options: START_OPTIONS }).values);

  it('writes the flags that start reads back into the same input', () => {
    const inputs: RunInput[] = [
      { goal: 'Count', approval: 'plan', planCache: true },
      { goal: 'Count', planCache: false, escalation: 'human', maxReplans: 2, review: 'every-step' },
      { goal: 'Count', planCache: { ttl: '2d' }, budget: { llmCalls: 9, tokens: 5000, cost: 0.5 } },
      { goal: 'Count', context: 'EMEA only', maxParallel: 2, maxSteps: 9, stepTimeout: '1m', approvalTimeout: '2h' },
      { goal: 'Count', horizon: 3, subgoals: { maxDepth: 2, maxFanOut: 3, approval: 'inherit' } },
    ];
    for (const input of inputs) expect(readBack(input.goal, startFlags(input))).toEqual(parseRunInput(input));
    expect(startFlags(inputs[0]!)).toEqual(['--approval', 'plan', '--plan-cache']);
    expect(startFlags({ goal: 'Count', context: { region: 'EMEA' } })).toEqual([]); // no flag for an object
  });
});

describe('planwright start, before it reaches Temporal', () => {
  it('refuses a wrong option value with the message from parseRunInput (exit code 2)', async () => {
    await expect(main(['start', 'Count', '--review', 'sometimes'])).rejects.toThrow(
      /^invalid run input: --review=sometimes: /,
    );
    await expect(main(['start', 'Count', '--max-replans=-1'])).rejects.toBeInstanceOf(InvalidRunInputError);
  });
});

import { describe, expect, it } from 'vitest';
import { decideRecovery, effectsOfSkip, type FailureFacts } from '../../src/run/recovery.js';

const facts = (over: Partial<FailureFacts> = {}): FailureFacts => ({
  step: {},
  fallbackTried: false,
  escalation: 'replan',
  escalated: false,
  replansLeft: 2,
  failuresInARow: 1,
  ...over,
});

describe('decideRecovery', () => {
  it('tries the fallback first, once', () => {
    expect(decideRecovery(facts({ step: { fallback: { tool: 't' } } }))).toEqual({ action: 'fallback' });
    expect(decideRecovery(facts({ step: { fallback: { tool: 't' } }, fallbackTried: true }))).toEqual({
      action: 'replan',
    });
  });

  it('skips a non-critical step, unless failures come in a row and replans are left', () => {
    expect(decideRecovery(facts({ step: { critical: false } }))).toEqual({ action: 'skip' });
    expect(decideRecovery(facts({ step: { critical: false }, failuresInARow: 2 }))).toEqual({ action: 'replan' });
    expect(decideRecovery(facts({ step: { critical: false }, failuresInARow: 2, replansLeft: 0 }))).toEqual({
      action: 'skip',
    });
  });

  it('asks a person once when the run escalates to people', () => {
    expect(decideRecovery(facts({ escalation: 'human' }))).toEqual({ action: 'escalate' });
    expect(decideRecovery(facts({ escalation: 'human', escalated: true }))).toEqual({ action: 'replan' });
  });

  it('replans while replans are left, then gives up', () => {
    expect(decideRecovery(facts())).toEqual({ action: 'replan' });
    expect(decideRecovery(facts({ replansLeft: 0 }))).toEqual({ action: 'give-up' });
  });
});

describe('effectsOfSkip', () => {
  const steps = [
    { id: 'a', dependsOn: [] },
    { id: 'b', dependsOn: ['a'], critical: false },
    { id: 'c', dependsOn: ['b'], critical: false },
    { id: 'd', dependsOn: ['c'] },
    { id: 'e', dependsOn: [] },
  ];
  it('skips non-critical dependents transitively and reports critical ones as blocked', () => {
    const status = { a: 'skipped', b: 'pending', c: 'pending', d: 'pending', e: 'pending' } as const;
    expect(effectsOfSkip(steps, 'a', status)).toEqual({ skip: ['b', 'c'], blocked: ['d'] });
    expect(effectsOfSkip(steps, 'e', status)).toEqual({ skip: [], blocked: [] });
  });
});

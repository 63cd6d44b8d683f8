import { describe, expect, it } from 'vitest';
import { nextMove, type QuietFacts } from '../../src/run/next-move.js';

const facts = (over: Partial<QuietFacts> = {}): QuietFacts => ({
  goalChanged: false,
  needsAttention: false,
  reviewDue: false,
  mayExtend: false,
  continueAsNewDue: false,
  steps: ['succeeded', 'pending'],
  ...over,
});

describe('nextMove', () => {
  it('acts on a goal change before anything else', () => {
    expect(nextMove(facts({ goalChanged: true, needsAttention: true, reviewDue: true }))).toBe('replan-for-goal');
  });

  it('recovers a failed step before a review', () => {
    expect(nextMove(facts({ needsAttention: true, reviewDue: true, continueAsNewDue: true }))).toBe('recover');
    expect(nextMove(facts({ reviewDue: true, continueAsNewDue: true }))).toBe('review');
  });

  it('continues as new only while steps remain to run', () => {
    expect(nextMove(facts({ continueAsNewDue: true }))).toBe('continue-as-new');
    expect(nextMove(facts({ continueAsNewDue: true, steps: ['succeeded', 'skipped'] }))).toBe('report');
  });

  it('extends a rolling-horizon plan once its steps have finished, instead of reporting', () => {
    expect(nextMove(facts({ mayExtend: true, steps: ['succeeded', 'skipped'] }))).toBe('extend');
    expect(nextMove(facts({ mayExtend: true, steps: ['succeeded', 'pending'] }))).toBe('stalled');
    expect(nextMove(facts({ mayExtend: true, needsAttention: true, steps: ['failed'] }))).toBe('recover');
  });

  it('reports once every step has finished, and has stalled when steps remain that cannot start', () => {
    expect(nextMove(facts({ steps: ['succeeded', 'skipped'] }))).toBe('report');
    expect(nextMove(facts({ steps: [] }))).toBe('report');
    expect(nextMove(facts({ steps: ['succeeded', 'pending'] }))).toBe('stalled');
    expect(nextMove(facts({ steps: ['failed', 'cancelled'] }))).toBe('stalled');
  });
});

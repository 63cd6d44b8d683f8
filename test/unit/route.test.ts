import { describe, expect, it } from 'vitest';
import { route, type Consultation, type Outcome, type RouteFacts } from '../../src/run/route.js';

const facts = (over: Partial<RouteFacts> = {}): RouteFacts => ({
  approval: 'none',
  replansLeft: 2,
  hasPending: true,
  modelRefused: undefined,
  failure: undefined,
  horizon: undefined,
  statusOf: () => 'pending',
  reviewsLastStep: () => true,
  ...over,
});

const failure = { stepId: 'fetch', message: 'timed out' };
const consultation = (over: Partial<Consultation> = {}): Consultation => ({
  purpose: 'failure',
  reason: 'step "fetch" failed: timed out',
  failure,
  endsWith: failure,
  counts: 'counted',
  attempt: 1,
  ...over,
});
const replanned = (r: Extract<Outcome, { of: 'replan' }>['replanned'], c = consultation()): Outcome => ({
  of: 'replan',
  consultation: c,
  replanned: r,
});

describe('the start of a run', () => {
  it('plans on a cache miss, and approves a cached plan only when asked and not approved before', () => {
    expect(route({ of: 'start', cached: false }, facts())).toEqual({ to: 'plan', why: 'initial', fromCache: false });
    expect(route({ of: 'start', cached: 'cached' }, facts())).toEqual({ to: 'remember', fromCache: true });
    expect(route({ of: 'start', cached: 'cached' }, facts({ approval: 'plan' }))).toEqual({
      to: 'approve',
      fromCache: true,
    });
    expect(route({ of: 'start', cached: 'approved' }, facts({ approval: 'plan' }))).toEqual({
      to: 'remember',
      fromCache: true,
    });
    expect(route({ of: 'start', cached: 'failed' }, facts())).toEqual({ to: 'end', status: 'failed' });
  });

  it('asks for approval of a new plan when the run asks for it, and fails without a valid plan', () => {
    expect(route({ of: 'plan', planned: true, fromCache: false }, facts())).toEqual({
      to: 'remember',
      fromCache: false,
    });
    expect(route({ of: 'plan', planned: true, fromCache: false }, facts({ approval: 'replans' }))).toEqual({
      to: 'approve',
      fromCache: false,
    });
    expect(route({ of: 'plan', planned: false, fromCache: false }, facts())).toEqual({ to: 'end', status: 'failed' });
  });

  it('runs an approved plan, ends a run nobody answered, and plans again after a rejection or a goal change', () => {
    const approval = (gate: Extract<Outcome, { of: 'approval' }>['gate']): Outcome => ({
      of: 'approval',
      gate,
      fromCache: true,
    });
    expect(route(approval('approved'), facts())).toEqual({ to: 'remember', fromCache: true });
    expect(route(approval('timeout'), facts())).toEqual({ to: 'end', status: 'rejected' });
    expect(route(approval('goal-changed'), facts())).toEqual({ to: 'plan', why: 'goal-changed', fromCache: true });
    expect(route(approval({ feedback: 'cheaper' }), facts())).toEqual({
      to: 'plan',
      why: { feedback: 'cheaper' },
      fromCache: true,
    });
  });
});

describe('once no step runs', () => {
  const quiet = (over: Partial<Extract<Outcome, { of: 'executed' }>['quiet']> = {}): Outcome => ({
    of: 'executed',
    quiet: {
      goalChanged: false,
      needsAttention: false,
      reviewDue: false,
      mayExtend: false,
      continueAsNewDue: false,
      steps: ['succeeded'],
      ...over,
    },
  });

  it('follows nextMove: a goal change first, then a failure, a review, the horizon, the report', () => {
    expect(route(quiet({ goalChanged: true, needsAttention: true }), facts())).toEqual({
      to: 'replan',
      consultation: { purpose: 'goal', reason: '', counts: 'on-revision', attempt: 0, goalChanged: true },
    });
    expect(route(quiet({ needsAttention: true }), facts())).toEqual({ to: 'recover' });
    expect(route(quiet({ reviewDue: true }), facts())).toEqual({ to: 'review' });
    expect(route(quiet({ mayExtend: true }), facts({ horizon: 3 }))).toMatchObject({
      to: 'replan',
      consultation: { purpose: 'extend', counts: 'never', reason: expect.stringContaining('at most 3') },
    });
    expect(route(quiet(), facts())).toEqual({ to: 'report' });
    expect(route(quiet({ steps: ['pending', 'failed'] }), facts())).toEqual({ to: 'stalled' });
    expect(route(quiet({ steps: ['pending'], continueAsNewDue: true }), facts())).toEqual({ to: 'continue-as-new' });
  });

  it('asks the replanner for a review only while steps remain, replans are left and the budget allows it', () => {
    expect(route({ of: 'review', after: 'a' }, facts())).toMatchObject({
      to: 'replan',
      consultation: {
        purpose: 'review',
        reason: 'review after step "a"',
        endsWith: { message: 'review after step "a"' },
      },
    });
    for (const f of [{ replansLeft: 0 }, { modelRefused: 'spent' }]) {
      expect(route({ of: 'review', after: 'a' }, facts(f))).toEqual({ to: 'execute' });
    }
  });

  it('reviews after the last step too, so the replanner can add steps or finish (runs before 0.9 did not)', () => {
    expect(route({ of: 'review', after: 'b' }, facts({ hasPending: false }))).toMatchObject({
      to: 'replan',
      consultation: {
        purpose: 'review',
        reason: 'review after step "b", the last one planned: add the steps the goal still needs, or finish',
      },
    });
    const before = facts({ hasPending: false, reviewsLastStep: () => false });
    expect(route({ of: 'review', after: 'b' }, before)).toEqual({ to: 'execute' });
  });
});

describe('after a step failed for good', () => {
  const recovered = (choice: Extract<Outcome, { of: 'recover' }>['choice']): Outcome => ({
    of: 'recover',
    stepId: 'fetch',
    failure,
    choice,
  });

  it('acts on the recovery chosen', () => {
    expect(route(recovered('nothing-to-do'), facts())).toEqual({ to: 'execute' });
    expect(route(recovered('skip'), facts())).toEqual({
      to: 'skip',
      stepId: 'fetch',
      why: 'it is not critical (timed out)',
    });
    expect(route(recovered('escalate'), facts())).toEqual({ to: 'escalate', failure });
    expect(route(recovered('give-up'), facts())).toEqual({
      to: 'give-up',
      failure: { stepId: 'fetch', message: 'timed out; no replans left' },
    });
    expect(route(recovered('replan'), facts())).toEqual({
      to: 'replan',
      consultation: {
        purpose: 'failure',
        reason: 'step "fetch" failed: timed out',
        failure,
        endsWith: failure,
        counts: 'now',
        attempt: 0,
      },
    });
    expect(route(recovered('replan'), facts({ replansLeft: 0 }))).toEqual({
      to: 'give-up',
      failure: { stepId: 'fetch', message: 'timed out; no replans left' },
    });
  });

  it('acts on what a person decided', () => {
    const decided = (answer: Extract<Outcome, { of: 'escalation' }>['answer']): Outcome => ({
      of: 'escalation',
      failure,
      answer,
    });
    expect(route(decided('retry'), facts())).toEqual({ to: 'retry', stepId: 'fetch' });
    expect(route(decided('goal-changed'), facts())).toEqual({ to: 'retry', stepId: 'fetch' });
    expect(route(decided('skip'), facts())).toEqual({ to: 'skip', stepId: 'fetch', why: 'a person chose to skip it' });
    expect(route(decided('abort'), facts())).toEqual({
      to: 'give-up',
      failure: { stepId: 'fetch', message: 'aborted by a person after: timed out' },
    });
    expect(route(decided('timeout'), facts())).toMatchObject({ to: 'replan', consultation: { purpose: 'failure' } });
    expect(route(decided('replan'), facts({ replansLeft: 0 }))).toMatchObject({ to: 'give-up' });
  });

  it('replans when a skip leaves critical steps that can never run', () => {
    expect(route({ of: 'skip', stepId: 'fetch', blocked: [] }, facts())).toEqual({ to: 'execute' });
    expect(route({ of: 'skip', stepId: 'fetch', blocked: ['send', 'file'] }, facts())).toMatchObject({
      to: 'replan',
      consultation: {
        reason: 'critical steps send, file depend on skipped step "fetch"',
        failure: { stepId: 'fetch', message: 'critical steps send, file depend on skipped step "fetch"' },
      },
    });
  });
});

describe('after the replanner answered', () => {
  it('runs a revision, or asks a person to approve it first under approval "replans"', () => {
    expect(route(replanned('revised'), facts())).toEqual({ to: 'execute' });
    expect(route(replanned('revised'), facts({ approval: 'replans' }))).toEqual({
      to: 'approve',
      fromCache: false,
      consultation: consultation(),
    });
  });

  it('retries the failed step after "continue", and ends as the replanner or the budget says', () => {
    expect(route(replanned('continue'), facts({ statusOf: () => 'failed' }))).toEqual({ to: 'retry', stepId: 'fetch' });
    expect(route(replanned('continue'), facts({ statusOf: () => 'pending' }))).toEqual({ to: 'execute' });
    expect(route(replanned('finished'), facts())).toEqual({ to: 'finished-by-replanner' });
    expect(route(replanned({ budget: 'spent' }), facts())).toEqual({ to: 'budget', why: 'spent' });
    expect(route(replanned('unusable'), facts())).toEqual({ to: 'give-up', failure });
    const recorded = { message: 'the replanner could not answer: boom' };
    expect(route(replanned('unusable'), facts({ failure: recorded }))).toEqual({ to: 'give-up', failure: recorded });
  });

  it('with a rolling horizon, reports once the replanner adds nothing more', () => {
    const extend = consultation({ purpose: 'extend', failure: undefined, endsWith: { message: 'more?' } });
    expect(route(replanned('continue', extend), facts())).toEqual({ to: 'horizon-reached', said: true });
    expect(route(replanned('revised', extend), facts({ hasPending: false }))).toEqual({
      to: 'horizon-reached',
      said: false,
    });
    expect(route(replanned('revised', extend), facts())).toEqual({ to: 'execute' });
  });

  it('after a person answered about a revision: runs it, ends, or asks the replanner again', () => {
    const answered = (gate: Extract<Outcome, { of: 'approval' }>['gate']): Outcome => ({
      of: 'approval',
      gate,
      fromCache: false,
      consultation: consultation({ revise: { issues: [{ message: 'old' }] } }),
    });
    expect(route(answered('approved'), facts({ approval: 'replans' }))).toEqual({ to: 'execute' });
    expect(route(answered('timeout'), facts())).toEqual({ to: 'end', status: 'rejected' });
    expect(route(answered({ feedback: 'no' }), facts())).toMatchObject({
      to: 'replan',
      consultation: { attempt: 1, revise: { issues: [], feedback: 'no' } },
    });
    expect(route(answered('goal-changed'), facts())).toMatchObject({
      to: 'replan',
      consultation: { goalChanged: true, revise: undefined },
    });
  });
});

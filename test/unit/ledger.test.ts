import { describe, expect, it } from 'vitest';
import type { Plan } from '../../src/contract/plan.js';
import { parseRunInput, type RunInput } from '../../src/contract/run-input.js';
import { RunLedger } from '../../src/run/ledger.js';
import { newMemory } from '../../src/run/state.js';

/** A ledger over a fresh run of `input`, counting how often it would show its state to people. */
function ledger(input: Partial<RunInput> = {}) {
  const resolved = parseRunInput({ goal: 'Count the tickets', ...input });
  const shown = { count: 0 };
  const book = new (class extends RunLedger {
    protected override changed(): void {
      shown.count++;
    }
  })(resolved, newMemory(resolved.goal));
  return { book, shown };
}

const plan: Plan = {
  steps: [
    { id: 'load', title: 'Load', tool: 'read_file', args: {}, dependsOn: [] },
    { id: 'count', title: 'Count', tool: 'calculator', args: {}, dependsOn: ['load'], critical: false },
    { id: 'note', title: 'Note', tool: 'calculator', args: {}, dependsOn: ['count'], critical: false },
    { id: 'send', title: 'Send', tool: 'calculator', args: {}, dependsOn: ['count'] },
  ],
};

describe('the run ledger', () => {
  it('adopts plans as successive versions, keeping finished steps', () => {
    const { book } = ledger();
    expect(book.adopt(plan, 'initial plan')).toBe(1);
    book.stepStarted({ id: 'load', title: 'Load' }, 'step 1/4');
    book.stepEnded({ id: 'load', title: 'Load' }, 'step 1/4', { ok: true, output: 3, attempts: 1, usage: {} });
    expect(book.adopt(plan, 'revised')).toBe(2);
    expect(book.state.steps.map((s) => s.status)).toEqual(['succeeded', 'pending', 'pending', 'pending']);
    expect(book.state.planHistory.map((h) => h.version)).toEqual([1, 2]);
  });

  it('records a step as it starts, succeeds and fails, with attempts, usage and the failures in a row', () => {
    const { book, shown } = ledger({ review: 'every-step' });
    book.adopt(plan, 'initial plan');
    book.stepStarted({ id: 'load', title: 'Load' }, 'step 1/4');
    expect(book.statusOf('load')).toBe('running');
    book.stepEnded({ id: 'load', title: 'Load' }, 'step 1/4', {
      ok: true,
      output: { rows: 3 },
      attempts: 2,
      usage: { toolCalls: 2 },
    });
    expect(book.state.steps[0]).toMatchObject({ status: 'succeeded', output: { rows: 3 }, attempts: 2 });
    expect(book.reviewAfter).toBe('load');
    expect(book.takeReview()).toBe('load');
    expect(book.reviewAfter).toBeUndefined();

    book.stepStarted({ id: 'count', title: 'Count' }, 'step 2/4');
    const failed = { ok: false as const, error: 'boom', attempts: 3, usage: { toolCalls: 3 } };
    book.fallbackTried('count', failed, 'python');
    book.stepEnded({ id: 'count', title: 'Count' }, 'step 2/4', { ...failed, error: 'fallback failed too' });
    expect(book.state.steps[1]).toMatchObject({ status: 'failed', error: 'fallback failed too', attempts: 6 });
    expect(book.state.usage.toolCalls).toBe(8);
    expect(book.failuresInARow).toBe(1);
    expect(book.needsAttention).toBe(true);
    expect(book.takeFailed()).toBe('count');
    expect(book.needsAttention).toBe(false);
    expect(book.state.events.map((e) => e.type)).toEqual([
      'step-started',
      'step-succeeded',
      'step-started',
      'fallback',
      'step-failed',
    ]);
    expect(shown.count).toBe(5);
  });

  it('skips a step with its non-critical dependents and names the critical ones it blocks', () => {
    const { book } = ledger();
    book.adopt(plan, 'initial plan');
    expect(book.skip('count', 'a person chose to skip it')).toEqual(['send']);
    expect(book.state.steps.map((s) => [s.id, s.status])).toEqual([
      ['load', 'pending'],
      ['count', 'skipped'],
      ['note', 'skipped'],
      ['send', 'pending'],
    ]);
    expect(book.state.steps[2]?.error).toBe('depends on skipped step "count"');
  });

  it('sets a failed step back to pending to retry it', () => {
    const { book } = ledger();
    book.adopt(plan, 'initial plan');
    book.stepEnded({ id: 'load', title: 'Load' }, 'step 1/4', { ok: false, error: 'boom', attempts: 1, usage: {} });
    book.retry('load');
    expect(book.state.steps[0]).toEqual({ id: 'load', title: 'Load', status: 'pending', attempts: 1 });
  });

  it('keeps what people send until the run acts on it', () => {
    const { book } = ledger({ approval: 'plan' });
    book.adopt(plan, 'initial plan');
    book.approvalAsked();
    expect(book.state.status).toBe('awaiting-approval');
    book.approvalReceived({ approved: false, feedback: 'fewer steps' });
    expect(book.approval).toEqual({ approved: false, feedback: 'fewer steps' });
    book.approvalAsked();
    expect(book.approval).toBeUndefined();

    book.goalChangeRequested('  Count the refunds ', 'scope');
    expect(book.goalChange).toEqual({ goal: 'Count the refunds', reason: 'scope' });
    expect(book.applyGoalChange()).toBe('the goal changed to "Count the refunds" (scope)');
    expect(book.state.goal).toBe('Count the refunds');
    expect(book.goalChange).toBeUndefined();

    book.escalationAsked('load', 'boom');
    expect(book.state).toMatchObject({ status: 'awaiting-decision', escalation: { stepId: 'load', message: 'boom' } });
    book.resolutionReceived({ stepId: 'load', decision: 'skip' });
    expect(book.resolution?.decision).toBe('skip');
    book.escalationClosed('load');
    expect(book.state.status).toBe('running');
    expect(book.state.escalation).toBeUndefined();
    expect(book.escalated('load')).toBe(true);
  });

  it('counts replans against maxReplans and ends a run with unfinished steps cancelled', () => {
    const { book } = ledger({ maxReplans: 2 });
    book.adopt(plan, 'initial plan');
    book.countReplan();
    expect(book.replansLeft()).toBe(1);
    book.fail({ stepId: 'load', message: 'boom' });
    book.failUnlessFailed({ message: 'later reason' });
    book.answer('No answer: boom');
    book.end('partial');
    expect(book.state).toMatchObject({ status: 'partial', failure: { stepId: 'load', message: 'boom' }, replans: 1 });
    expect(book.state.steps.every((s) => s.status === 'cancelled')).toBe(true);
    expect(book.state.events.at(-1)?.message).toBe('run partial: boom');
  });

  it('carries across continue-as-new what it was built from, the state included', () => {
    const resolved = parseRunInput({ goal: 'g' });
    const memory = newMemory('g');
    const book = new RunLedger(resolved, memory);
    book.workerDescribed({ tools: [], searchAttributes: ['PlanwrightStatus'] });
    book.reachedHorizon(3);
    expect(book.carried()).toBe(memory);
    expect(memory).toMatchObject({ worker: { searchAttributes: ['PlanwrightStatus'] }, horizonReached: 3 });
  });

  it('keeps tool calls waiting for approval, each answered on its own, and the run awaiting approval meanwhile', () => {
    const { book } = ledger();
    book.adopt(plan, 'initial plan');
    const first = book.toolCallAwaitingApproval({ stepId: 'load', tool: 'read_file', args: { path: 'a' } }, 'asked');
    const second = book.toolCallAwaitingApproval({ stepId: 'send', tool: 'calculator', args: {} }, 'asked');
    expect([first, second]).toEqual(['load-call-1', 'send-call-2']);
    expect(book.state.status).toBe('awaiting-approval');
    expect(book.state.pendingCalls?.map((c) => c.callId)).toEqual([first, second]);

    book.toolCallAnswered(first, { approved: true, args: { path: 'b' } });
    expect(book.callAnswer(first)).toEqual({ approved: true, args: { path: 'b' } });
    book.toolCallDecided(first, { approved: true, args: { path: 'b' } });
    expect(book.pendingCall(first)).toBeUndefined();
    expect(book.callAnswer(first)).toBeUndefined();
    expect(book.state.status).toBe('awaiting-approval'); // the second still waits

    book.toolCallDecided(second, { approved: false, reason: 'no answer within 1h' });
    expect(book.state.pendingCalls).toBeUndefined();
    expect(book.state.status).toBe('running');
    expect(book.state.events.map((e) => e.message).slice(-2)).toEqual([
      'read_file call load-call-1 approved with edited arguments {"path":"b"}',
      'calculator call send-call-2 rejected: no answer within 1h',
    ]);
    // Ids keep counting: a later call never reuses one.
    expect(book.toolCallAwaitingApproval({ stepId: 'load', tool: 'read_file', args: {} }, 'asked')).toBe('load-call-3');
    book.end('cancelled');
    expect(book.state.pendingCalls).toBeUndefined();
  });
});

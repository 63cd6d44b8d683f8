import { describe, expect, it } from 'vitest';
import { replanFromWire } from '../../src/contract/replan.js';
import type { RunState } from '../../src/contract/run-state.js';
import {
  callDecisionProblem,
  decisionProblem,
  escalationProblem,
  goalChangeProblem,
  messageShapes,
  shapeProblem,
} from '../../src/run/admission.js';
import { answerWithoutModel, budgetSpent } from '../../src/run/budget.js';
import { adoptPlan, initialState, revisedPlan } from '../../src/run/state.js';
import { checkToolArgs } from '../../src/tools/check-args.js';
import { builtinTools } from '../../src/tools/builtin.js';

const usage = { llmCalls: 3, inputTokens: 900, outputTokens: 100, toolCalls: 4 };

function runningState(): RunState {
  const state = initialState('goal');
  adoptPlan(
    state,
    {
      version: 1,
      steps: [
        { id: 'a', title: 'A', dependsOn: [] },
        { id: 'b', title: 'B', dependsOn: ['a'] },
      ],
    },
    'initial plan',
  );
  return state;
}

describe('budgets', () => {
  it('is spent at the limit of calls or tokens, not before', () => {
    expect(budgetSpent(usage, undefined)).toBeUndefined();
    expect(budgetSpent(usage, { llmCalls: 4 })).toBeUndefined();
    expect(budgetSpent(usage, { llmCalls: 3 })).toBe('the budget of 3 LLM calls is spent');
    expect(budgetSpent(usage, { tokens: 1000 })).toBe('the budget of 1000 tokens is spent (1000 used)');
  });

  it('writes an answer without a model from what the steps did', () => {
    const state = runningState();
    Object.assign(state.steps[0]!, { status: 'succeeded', output: { n: 1 } });
    Object.assign(state.steps[1]!, { status: 'failed', error: 'boom' });
    expect(answerWithoutModel(state, 'the budget is spent')).toBe(
      'No final answer was written: the budget is spent. What the run did:\n- a — A: succeeded: {"n":1}\n- b — B: failed (boom)',
    );
  });
});

describe('which messages are acted on', () => {
  it('accepts a decision only for the plan awaiting approval', () => {
    const state = runningState();
    expect(decisionProblem(state, 1)).toBe('no plan is awaiting approval (the run is running)');
    state.status = 'awaiting-approval';
    expect(decisionProblem(state, 1)).toBeUndefined();
    expect(decisionProblem(state, 2)).toBe('plan v2 is not the plan awaiting approval (v1)');
  });

  it('accepts a tool-call decision only for a call that waits and has no answer yet; a plan decision then is refused', () => {
    const state = runningState();
    expect(callDecisionProblem(state, 'a-call-1', false)).toBe(
      'no tool call "a-call-1" is waiting for approval (none is waiting)',
    );
    state.status = 'awaiting-approval';
    state.pendingCalls = [
      { callId: 'a-call-1', stepId: 'a', tool: 'calculator', args: {}, reason: 'asked', askedAt: '' },
    ];
    expect(callDecisionProblem(state, 'a-call-1', false)).toBeUndefined();
    expect(callDecisionProblem(state, 'a-call-1', true)).toBe('tool call "a-call-1" has been answered already');
    expect(callDecisionProblem(state, 'b-call-2', false)).toBe(
      'no tool call "b-call-2" is waiting for approval (waiting: "a-call-1")',
    );
    expect(decisionProblem(state, 1)).toMatch(/^no plan is awaiting approval: tool calls are/);
    const reject = messageShapes().rejectToolCall;
    expect(shapeProblem(reject, { callId: 'a-call-1', reason: '  ' })).toBe(
      'reason: reason: say why, so the run can try another way',
    );
    expect(shapeProblem(messageShapes().approveToolCall, { callId: 'a-call-1', args: [1] })).toMatch(/^args: /);
  });

  it('accepts a goal change while the run goes on', () => {
    const state = runningState();
    expect(goalChangeProblem(state, 'new')).toBeUndefined();
    expect(goalChangeProblem(state, ' ')).toBe('the new goal is empty');
    state.status = 'completed';
    expect(goalChangeProblem(state, 'new')).toBe('the run has ended (completed)');
  });

  it('accepts a decision only for the escalated step', () => {
    const state = runningState();
    expect(escalationProblem(state, 'b', 'skip')).toBe('no step is awaiting a decision (the run is running)');
    state.status = 'awaiting-decision';
    state.escalation = { stepId: 'b', message: 'boom' };
    expect(escalationProblem(state, 'b', 'skip')).toBeUndefined();
    expect(escalationProblem(state, 'a', 'skip')).toBe('step "a" is not awaiting a decision; "b" is');
    expect(escalationProblem(state, 'b', 'ignore')).toBe(
      '"ignore" is not a decision; use retry, skip, replan or abort',
    );
  });
});

describe('revisions keep finished work', () => {
  it('puts finished steps first, unchanged, and refuses new steps that reuse their ids', () => {
    const state = runningState();
    Object.assign(state.steps[0]!, { status: 'succeeded', output: 1, attempts: 1 });
    const { plan, issues } = revisedPlan(state, [
      { id: 'a', title: 'A again', dependsOn: [] },
      { id: 'c', title: 'C', dependsOn: ['a'] },
    ]);
    expect(plan.steps.map((s) => [s.id, s.title])).toEqual([
      ['a', 'A'],
      ['a', 'A again'],
      ['c', 'C'],
    ]);
    expect(issues).toEqual([{ stepId: 'a', message: '"a" is a finished step; give the new step another id' }]);
  });

  it('keeps the records of finished steps when a new plan is adopted', () => {
    const state = runningState();
    Object.assign(state.steps[0]!, { status: 'succeeded', output: 1, attempts: 1 });
    Object.assign(state.steps[1]!, { status: 'failed', error: 'boom', attempts: 3 });
    adoptPlan(
      state,
      {
        version: 2,
        steps: [
          { id: 'a', title: 'A', dependsOn: [] },
          { id: 'b', title: 'B2', dependsOn: ['a'] },
        ],
      },
      'replan',
    );
    expect(state.steps).toEqual([
      { id: 'a', title: 'A', status: 'succeeded', output: 1, attempts: 1 },
      { id: 'b', title: 'B2', status: 'pending', attempts: 0 },
    ]);
    expect(state.planHistory.map((h) => [h.version, h.reason])).toEqual([
      [1, 'initial plan'],
      [2, 'replan'],
    ]);
  });
});

describe('replanner answers', () => {
  const wireStep = {
    id: 'c',
    title: 'C',
    description: null,
    dependsOn: [],
    tool: 'calculator',
    args: '{"expression":"1"}',
    successCriterion: null,
    critical: null,
    fallback: null,
  };
  it('become decisions, or issues when they are incomplete', () => {
    expect(replanFromWire({ action: 'continue', reason: 'ok', answer: null, steps: null })).toEqual({
      decision: { action: 'continue', reason: 'ok' },
      issues: [],
    });
    expect(replanFromWire({ action: 'finish', reason: 'done', answer: null, steps: null }).issues).toEqual([
      { message: 'action "finish" needs an answer' },
    ]);
    expect(replanFromWire({ action: 'revise', reason: 'r', answer: null, steps: [wireStep] }).decision).toEqual({
      action: 'revise',
      reason: 'r',
      steps: [{ id: 'c', title: 'C', dependsOn: [], tool: 'calculator', args: { expression: '1' } }],
    });
    expect(replanFromWire({ action: 'revise', reason: 'r', answer: null, steps: [] }).issues).toEqual([
      { message: 'action "revise" needs the new remaining steps' },
    ]);
  });
});

describe('checkToolArgs', () => {
  it('checks arguments without references against the tool schema, and leaves the rest for run time', () => {
    const issues = checkToolArgs(
      [
        { id: 'a', title: 'A', dependsOn: [], tool: 'calculator', args: { expr: '1' } },
        { id: 'b', title: 'B', dependsOn: ['a'], tool: 'calculator', args: { expression: '{{a.value}}' } },
        {
          id: 'c',
          title: 'C',
          dependsOn: [],
          tool: 'data_query',
          args: { file: 'x.csv' },
          fallback: { tool: 'calculator', args: {} },
        },
      ],
      builtinTools,
    );
    expect(issues.map((i) => [i.stepId, i.message.replace(/: .*$/, '')])).toEqual([
      ['a', "args do not fit calculator's input schema"],
      ['c', "fallback args do not fit calculator's input schema"],
    ]);
  });
});

/**
 * What a sub-goal's child run starts with, what it is called, and what its end means for the parent's step.
 */
import { describe, expect, it } from 'vitest';
import { parseRunInput } from '../../src/contract/run-input.js';
import type { RunResult } from '../../src/contract/run-state.js';
import { initialState } from '../../src/run/state.js';
import { subgoalInput, subgoalOutcome, subgoalWorkflowId } from '../../src/run/subgoal.js';

const step = { id: 'hotel', title: 'Book the hotel', dependsOn: ['dates'], subgoal: 'Book a hotel in Lisbon' };

function parentState() {
  const state = initialState('Plan a weekend in Lisbon');
  state.steps = [
    { id: 'dates', title: 'Pick dates', status: 'succeeded', attempts: 1, output: { from: '2026-06-12' } },
    { id: 'other', title: 'Other', status: 'succeeded', attempts: 1, output: 'not an input' },
    { id: 'hotel', title: 'Book the hotel', status: 'running', attempts: 0 },
  ];
  state.usage = { llmCalls: 3, inputTokens: 900, outputTokens: 100, toolCalls: 2, cost: 0.01 };
  return state;
}

describe('subgoalInput', () => {
  it('inherits the options, one level of sub-goals less, with its inputs and what it is part of as context', () => {
    const parent = parseRunInput({
      goal: 'Plan a weekend in Lisbon',
      context: 'two adults',
      approval: 'plan',
      maxReplans: 1,
      checks: false,
      subgoals: { maxDepth: 2, maxFanOut: 3 },
    });
    const input = parseRunInput(subgoalInput(parent, parentState(), step));
    expect(input).toMatchObject({
      goal: 'Book a hotel in Lisbon',
      approval: 'plan',
      maxReplans: 1,
      checks: false,
      subgoals: { maxDepth: 1, maxFanOut: 3, approval: 'inherit' },
      context: {
        partOf: 'Plan a weekend in Lisbon',
        step: 'Book the hotel',
        parentContext: 'two adults',
        inputs: { dates: { from: '2026-06-12' } },
      },
    });
    expect(input.budget).toBeUndefined();
  });

  it('takes the approval policy subgoals.approval sets, and what is left of the budget', () => {
    const parent = parseRunInput({
      goal: 'Plan a weekend in Lisbon',
      approval: 'plan',
      budget: { llmCalls: 10, tokens: 1500, cost: 0.05, toolCalls: 100 },
      subgoals: { maxDepth: 1, approval: 'none' },
    });
    const input = parseRunInput(subgoalInput(parent, parentState(), step));
    expect(input.approval).toBe('none');
    const toolCallsLeft = 100 - parentState().usage.toolCalls;
    expect(input.budget).toEqual({ llmCalls: 7, tokens: 500, cost: 0.04, toolCalls: toolCallsLeft });
    expect(input.subgoals.maxDepth).toBe(0);
  });
});

describe('subgoalWorkflowId', () => {
  it("is the parent's id and the step's, numbered when the step runs again", () => {
    expect(subgoalWorkflowId('trip-42', 'hotel', 0)).toBe('trip-42--hotel');
    expect(subgoalWorkflowId('trip-42', 'hotel', 1)).toBe('trip-42--hotel-2');
  });
});

describe('subgoalOutcome', () => {
  const result = (over: Partial<RunResult>): RunResult => ({ ...initialState('Book a hotel'), ...over });

  it("is the child's answer when it completed", () => {
    const usage = { llmCalls: 2, inputTokens: 10, outputTokens: 5, toolCalls: 1 };
    expect(subgoalOutcome('trip--hotel', result({ status: 'completed', answer: 'Hotel Alfama', usage }))).toEqual({
      ok: true,
      output: 'Hotel Alfama',
      usage,
    });
  });

  it('is a failure naming the child and why when it ended any other way, its usage still counted', () => {
    const usage = { llmCalls: 4, inputTokens: 10, outputTokens: 5, toolCalls: 3 };
    const partial = result({ status: 'partial', answer: 'Only one quote', failure: { message: 'no rooms' }, usage });
    expect(subgoalOutcome('trip--hotel', partial)).toEqual({
      ok: false,
      error: 'the sub-goal run trip--hotel ended partial: no rooms',
      usage,
    });
  });
});

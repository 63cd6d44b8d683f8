import { describe, expect, it } from 'vitest';
import { TOOL_CALLS_PER_STEP, TOOL_CALLS_PER_TURN, admitCalls } from '../../src/run/tool-calls.js';

const call = (id: number, tool = 'calculator', problem?: string) => ({
  id: String(id),
  tool,
  args: { expression: '1 + 1' },
  ...(problem ? { problem } : {}),
});

describe('which tool calls of an executor may run', () => {
  it('refuses a tool the step may not use, whatever the model read, and admits the allowed ones', () => {
    const { admitted, refused } = admitCalls([call(1, 'write_file'), call(2)], {
      allowed: ['calculator'],
      madeByStep: 0,
    });
    expect(admitted.map((c) => c.id)).toEqual(['2']);
    expect(refused).toEqual([
      { call: call(1, 'write_file'), reason: '"write_file" is not a tool this step may use (it may use: calculator)' },
    ]);
  });

  it('refuses every call of a step that names no tools', () => {
    expect(admitCalls([call(1)], { allowed: [], madeByStep: 0 }).refused[0]?.reason).toBe(
      '"calculator" is not a tool this step may use (it may use: none)',
    );
  });

  it('refuses arguments that do not fit the tool’s input schema', () => {
    const { refused } = admitCalls([call(1, 'calculator', 'expression: Required')], {
      allowed: ['calculator'],
      madeByStep: 0,
    });
    expect(refused[0]?.reason).toBe("its arguments do not fit calculator's input schema: expression: Required");
  });

  it('caps the calls of one turn and of one step', () => {
    const many = Array.from({ length: 300 }, (_, i) => call(i, 'http_get'));
    const turn = admitCalls(many, { allowed: ['http_get'], madeByStep: 0 });
    expect(turn.admitted).toHaveLength(TOOL_CALLS_PER_TURN);
    expect(turn.refused).toHaveLength(300 - TOOL_CALLS_PER_TURN);
    expect(turn.refused[0]?.reason).toMatch(/^more than 8 tool calls in one turn/);
    const late = admitCalls([call(1), call(2)], { allowed: ['calculator'], madeByStep: TOOL_CALLS_PER_STEP - 1 });
    expect(late.admitted.map((c) => c.id)).toEqual(['1']);
    expect(late.refused[0]?.reason).toMatch(/^this step has made 24 tool calls/);
  });

  it('stops at the run’s tool-call budget', () => {
    const { admitted, refused } = admitCalls([call(1), call(2), call(3)], {
      allowed: ['calculator'],
      madeByStep: 0,
      budgetLeft: 2,
    });
    expect(admitted.map((c) => c.id)).toEqual(['1', '2']);
    expect(refused.map((r) => r.reason)).toEqual(['the run’s tool-call budget is spent: answer with what you have']);
  });
});

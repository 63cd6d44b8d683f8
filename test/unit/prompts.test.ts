import { describe, expect, it } from 'vitest';
import {
  MAX_QUOTED_OUTPUT,
  executorConversation,
  plannerMessages,
  replannerMessages,
  synthesizerMessages,
} from '../../src/llm/prompts.js';
import { builtinTools } from '../../src/tools/builtin.js';
import { toolInfo } from '../../src/tools/define.js';

const tools = builtinTools.map(toolInfo);
const text = (messages: Array<{ content?: unknown }>) => messages.map((m) => String(m.content ?? '')).join('\n---\n');

describe('the planner prompt', () => {
  const prompt = text(plannerMessages({ goal: 'Summarize tickets', context: { team: 'EMEA' }, tools, maxSteps: 7 }));

  it('carries the goal, the context and the step limit', () => {
    expect(prompt).toContain('Goal: Summarize tickets');
    expect(prompt).toContain('"team": "EMEA"');
    expect(prompt).toContain('at most 7 concrete, executable steps');
  });

  it('carries every tool with its description and input schema', () => {
    for (const tool of tools) {
      expect(prompt).toContain(`- ${tool.name}: ${tool.description}`);
      expect(prompt).toContain(JSON.stringify(tool.inputSchema));
    }
  });

  it('explains the plan format: dependencies, JSON-string args, references, success criteria, criticality, fallbacks', () => {
    for (const phrase of [
      '"dependsOn"',
      'encoded in a string',
      '{{step_id.field.0.subfield}}',
      '"successCriterion"',
      '"critical"',
      '"fallback"',
    ]) {
      expect(prompt).toContain(phrase);
    }
    expect(prompt).toContain('the results are summarized for the user after the last step');
  });

  it('quotes the previous plan, its problems and a reviewer’s feedback when revising', () => {
    const revision = text(
      plannerMessages({
        goal: 'g',
        tools,
        maxSteps: 5,
        revise: {
          plan: { steps: [{ id: 'a', title: 'A', dependsOn: [] }] },
          issues: [{ stepId: 'a', message: 'unknown tool "x"' }],
          feedback: 'Use fewer steps.',
        },
      }),
    );
    expect(revision).toContain('"id": "a"');
    expect(revision).toContain('- step "a": unknown tool "x"');
    expect(revision).toContain('Use fewer steps.');
  });
});

describe('the replanner prompt', () => {
  const long = 'x'.repeat(MAX_QUOTED_OUTPUT + 500);
  const prompt = text(
    replannerMessages({
      goal: 'Report',
      reason: 'step "b" failed: file missing',
      done: [{ id: 'a', title: 'A', status: 'succeeded', output: { rows: long } }],
      failure: { stepId: 'b', message: 'file missing' },
      remaining: [{ id: 'b', title: 'B', dependsOn: ['a'], tool: 'data_query', args: { file: 'x.csv' } }],
      tools,
      maxSteps: 5,
    }),
  );

  it('carries finished steps with outputs, long ones cut with a marker', () => {
    expect(prompt).toContain('"id": "a"');
    expect(prompt).toContain('[truncated 511 characters]');
    expect(prompt).not.toContain(long);
  });

  it('carries the failure, the remaining steps and the three possible decisions', () => {
    expect(prompt).toContain('What failed: step "b": file missing');
    expect(prompt).toContain('"file": "x.csv"');
    for (const action of ['"continue"', '"revise"', '"finish"']) expect(prompt).toContain(action);
    expect(prompt).toContain("never reuse a finished step's id");
  });
});

describe('the executor and synthesizer prompts', () => {
  it('give the executor the step, its success criterion, its inputs and earlier tool results', () => {
    const messages = executorConversation(
      {
        goal: 'Report',
        step: {
          id: 'draft',
          title: 'Draft',
          description: 'Write two lines.',
          successCriterion: 'mentions the top intent',
        },
        inputs: [{ id: 'count', title: 'Count', status: 'succeeded', output: { value: 3 } }],
      },
      [
        { role: 'assistant', toolCalls: [{ id: 'c1', tool: 'calculator', args: { expression: '1+1' } }] },
        { role: 'tool', callId: 'c1', tool: 'calculator', error: 'bad input' },
      ],
    );
    const prompt = text(messages);
    for (const part of [
      'Overall goal: Report',
      'Step "draft": Draft',
      'Write two lines.',
      'mentions the top intent',
      '"value": 3',
    ]) {
      expect(prompt).toContain(part);
    }
    expect(messages.at(-2)).toMatchObject({
      role: 'assistant',
      tool_calls: [{ id: 'c1', function: { name: 'calculator' } }],
    });
    expect(messages.at(-1)).toEqual({ role: 'tool', tool_call_id: 'c1', content: 'Error: bad input' });
  });

  it('give the synthesizer the goal, every result, and why the run could not finish', () => {
    const prompt = text(
      synthesizerMessages({
        goal: 'Report',
        steps: [{ id: 'a', title: 'A', status: 'failed', error: 'boom' }],
        failure: 'a failed',
      }),
    );
    expect(prompt).toContain('Goal: Report');
    expect(prompt).toContain('"error": "boom"');
    expect(prompt).toContain('The run could not finish: a failed');
    expect(prompt).toContain('quote figures exactly');
  });
});

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ToolInfo } from '../../src/contract/tools.js';
import { CHECKABLE_CRITERIA } from '../../src/plan/criterion.js';
import {
  CHARS_PER_TOKEN,
  DEFAULT_CONTEXT_TOKENS,
  fitOutputs,
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
  const messages = plannerMessages({ goal: 'Summarize tickets', context: { team: 'EMEA' }, tools, maxSteps: 7 });
  const prompt = text(messages);

  it('carries the goal, the context and the step limit', () => {
    expect(prompt).toContain('Goal: Summarize tickets');
    expect(prompt).toContain('"team": "EMEA"');
    expect(prompt).toContain('at most 7 concrete steps');
  });

  it('carries every tool with its description, leaving input schemas to the response format', () => {
    for (const tool of tools) {
      expect(prompt).toContain(`- ${tool.name}: ${tool.description}\n`);
      expect(prompt).not.toContain(JSON.stringify(tool.inputSchema.properties));
    }
  });

  it('carries the input schema of a tool whose args the response format takes as JSON text', () => {
    const inputSchema = z.toJSONSchema(z.object({ value: z.unknown() })) as ToolInfo['inputSchema'];
    const free = text(
      plannerMessages({ goal: 'g', tools: [{ name: 'store', description: 'Stores', inputSchema }], maxSteps: 2 }),
    );
    const { $schema: _, ...schema } = inputSchema;
    expect(free).toContain(`- store: Stores\n  args as JSON text, input schema: ${JSON.stringify(schema)}`);
  });

  it('states each rule a valid plan needs: ids, dependencies, references, tools, criteria, criticality, fallbacks', () => {
    for (const phrase of [
      '- id: unique; lower-case letters, digits, "_" or "-"; starts with a letter',
      '- dependsOn: ids of earlier steps whose results it needs',
      '- tool, args: a tool below and its input',
      'both null in an open step',
      "- tools: the tools below an open step's model may call (at most 12), or null; null in a tool step",
      '"{{id.field.0.subfield}}"',
      'reference only steps in dependsOn',
      `- successCriterion: null, ${CHECKABLE_CRITERIA}, or a sentence a model judges`,
      '- critical: false if the goal can be met without the step',
      '- fallback: {tool, args} to call if the tool fails for good, or null',
      'the results are summarized for the user after the last step',
    ]) {
      expect(prompt).toContain(phrase);
    }
  });

  it('says each rule once, in a system prompt that stays short', () => {
    const system = String(messages[0]?.content);
    for (const phrase of ['- id:', '- dependsOn:', '- tools:', '- successCriterion:', '- fallback:', '{{id}}']) {
      expect(system.split(phrase).length - 1, phrase).toBe(1);
    }
    expect(system.length).toBeLessThan(3000);
  });

  it('explains sub-goal steps only to runs that may use them', () => {
    expect(prompt).not.toContain('subgoal');
    const withSubgoals = text(plannerMessages({ goal: 'g', tools, maxSteps: 5, subgoals: { maxFanOut: 3 } }));
    expect(withSubgoals).toContain('A step may instead be a sub-goal (at most 3 in a plan)');
    expect(withSubgoals).toContain('"subgoal" is null in other steps');
  });

  it('quotes the previous plan, its problems and a reviewer’s feedback when revising', () => {
    const revision = text(
      plannerMessages({
        goal: 'g',
        tools,
        maxSteps: 5,
        revise: {
          plan: { rationale: 'one step', steps: [{ id: 'a', title: 'A', dependsOn: [] }] },
          issues: [{ stepId: 'a', message: 'unknown tool "x"' }],
          feedback: 'Use fewer steps.',
        },
      }),
    );
    expect(revision).toContain('Your previous plan (one step):\n[\n{"id": "a","title": "A","dependsOn": []}\n]');
    expect(revision).toContain('- step "a": unknown tool "x"');
    expect(revision).toContain('Use fewer steps.');
  });
});

describe('the replanner prompt', () => {
  const long = 'x'.repeat(DEFAULT_CONTEXT_TOKENS * CHARS_PER_TOKEN + 500);
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
    expect(prompt).toContain('{"id": "a","title": "A","status": "succeeded","output": "{\\"rows\\":\\"xxx');
    expect(prompt).toMatch(/\[cut: \d+ of \d+ characters not shown; a tool step whose arguments reference \{\{a\}\}/);
    expect(prompt).not.toContain(long);
    expect(prompt.length).toBeLessThan(DEFAULT_CONTEXT_TOKENS * CHARS_PER_TOKEN * 1.01);
  });

  it('carries the failure, the remaining steps and the three possible decisions', () => {
    expect(prompt).toContain('What failed: step "b": file missing');
    expect(prompt).toContain(
      'Remaining steps as planned:\n[\n{"id": "b","title": "B","dependsOn": ["a"],"tool": "data_query","args": {"file": "x.csv"}}\n]',
    );
    for (const action of ['"continue"', '"revise"', '"finish"']) expect(prompt).toContain(action);
    expect(prompt).toContain('never repeat a finished step or reuse its id; at most 5 steps in all');
    expect(prompt).toContain("- tools: the tools below an open step's model may call");
  });
});

describe('fitting outputs into a budget', () => {
  const hint = (item: { id: string }) => `see ${item.id}`;

  it('keeps outputs that fit, whole and with their structure', () => {
    const items = [{ id: 'a', output: { n: 1 } }, { id: 'b' }];
    expect(fitOutputs(items, 100, hint)).toEqual(items);
  });

  it('gives short outputs what they need and shares the rest among the long ones', () => {
    const items = [
      { id: 'small', output: 'abc' },
      { id: 'big1', output: 'x'.repeat(5000) },
      { id: 'big2', output: 'y'.repeat(9000) },
    ];
    const fitted = fitOutputs(items, 1005, hint);
    expect(fitted[0]).toEqual(items[0]);
    for (const [i, id] of [
      [1, 'big1'],
      [2, 'big2'],
    ] as const) {
      const text = fitted[i]?.output as string;
      expect(text.startsWith(`"${id === 'big1' ? 'x' : 'y'}`)).toBe(true);
      expect(text).toContain(`characters not shown; see ${id}]`);
      expect(text.length).toBeLessThanOrEqual(501);
    }
  });

  it('fits a hundred large outputs into one request under the budget', () => {
    const done = Array.from({ length: 100 }, (_, i) => ({
      id: `s${i}`,
      title: `Step ${i}`,
      status: 'succeeded',
      output: 'z'.repeat(200_000),
    }));
    const prompt = text(synthesizerMessages({ goal: 'Report', steps: done }, 8000));
    expect(prompt.length).toBeLessThan(8000 * CHARS_PER_TOKEN * 1.01);
    expect(prompt).toContain('{{s99}}');
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
      '{"id": "count","title": "Count","status": "succeeded","output": {"value": 3}}',
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
    expect(prompt).toContain('```json\n[\n{"id": "a","title": "A","status": "failed","error": "boom"}\n]\n```');
    expect(prompt).toContain('The run could not finish: a failed');
    expect(prompt).toContain('quote figures exactly');
  });
});

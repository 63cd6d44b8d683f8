/**
 * The test kit's answer builders write what the real response formats ask for: every key the strict schema
 * requires, parsed by the same functions that parse a model's answers.
 */
import { describe, expect, it } from 'vitest';
import { planFromWire, wirePlanSchema } from '../../src/contract/plan.js';
import { replanFromWire, WireReplanDecisionSchema } from '../../src/contract/replan.js';
import { planResponseSchema, replanResponseSchema } from '../../src/llm/plan-format.js';
import { builtinTools } from '../../src/tools/builtin.js';
import { toolInfo } from '../../src/tools/define.js';
import {
  answer,
  byGoal,
  call,
  fault,
  goalOf,
  plan,
  replan,
  step,
  toolCalls,
  verdict,
} from '../../src/testing/answers.js';
import type { RecordedRequest } from '../../src/testing/scripted-model.js';
import {
  checkerMessages,
  executorMessages,
  plannerMessages,
  replannerMessages,
  synthesizerMessages,
} from '../../src/llm/prompts.js';

type Node = { properties: Record<string, Node>; required: string[]; items: { anyOf: Node[] }; anyOf: Node[] };
const catalog = builtinTools.map(toolInfo);
const contentOf = (reply: object) => (reply as { content: unknown }).content;

describe('plan builders', () => {
  it('write a plan that parses into the plan it reads as', () => {
    const reply = plan(
      step('count', { tool: 'data_query', args: { file: 't.csv', groupBy: 'intent' } }),
      step('share', {
        tool: 'calculator',
        args: { expression: '{{count.groups.0.value}} * 2' },
        dependsOn: ['count'],
        critical: false,
        fallback: { tool: 'calculator', args: { expression: '0' } },
      }),
      step('summary', { description: 'Summarize', dependsOn: ['share'], successCriterion: 'names the top intent' }),
    );
    const { plan: parsed, issues } = planFromWire(wirePlanSchema().parse(contentOf(reply)));
    expect(issues).toEqual([]);
    expect(parsed).toEqual({
      steps: [
        { id: 'count', title: 'count', dependsOn: [], tool: 'data_query', args: { file: 't.csv', groupBy: 'intent' } },
        {
          id: 'share',
          title: 'share',
          dependsOn: ['count'],
          tool: 'calculator',
          args: { expression: '{{count.groups.0.value}} * 2' },
          critical: false,
          fallback: { tool: 'calculator', args: { expression: '0' } },
        },
        {
          id: 'summary',
          title: 'summary',
          description: 'Summarize',
          dependsOn: ['share'],
          successCriterion: 'names the top intent',
        },
      ],
    });
  });

  it('write every key the strict response format requires, and a rationale when given one', () => {
    const format = planResponseSchema(catalog) as unknown as Node;
    const reply = contentOf(plan({ rationale: 'one step will do' }, step('a', { tool: 'calculator' })));
    expect(Object.keys(reply as object).sort()).toEqual([...format.required].sort());
    expect((reply as { rationale: string }).rationale).toBe('one step will do');
    const stepFormat = format.properties.steps!.items.anyOf[0]!;
    const written = (reply as { steps: object[] }).steps[0]!;
    expect(stepFormat.required.filter((key) => !(key in written))).toEqual([]);
    expect(Object.keys(written).every((key) => stepFormat.required.includes(key))).toBe(true);
  });

  it('pass text args through, so a test can show how a plan with bad JSON is handled', () => {
    const { issues } = planFromWire(
      wirePlanSchema().parse(contentOf(plan(step('a', { tool: 'calculator', args: '{"expression": ' })))),
    );
    expect(issues).toEqual([{ stepId: 'a', message: expect.stringMatching(/^args is not valid JSON/) }]);
  });
});

describe('replanner builders', () => {
  it('write each decision as the replanner format requires it', () => {
    const format = replanResponseSchema(catalog) as unknown as Node;
    const answers = [
      replan.continue(),
      replan.revise('the file moved', step('v2', { tool: 'calculator', args: { expression: '1' } })),
      replan.finish('Done.', 'enough'),
    ].map((r) => WireReplanDecisionSchema.parse(contentOf(r)));
    for (const wire of answers) expect(Object.keys(wire).sort()).toEqual([...format.required].sort());
    expect(answers.map((wire) => replanFromWire(wire).decision)).toEqual([
      { action: 'continue', reason: 'the plan still holds' },
      {
        action: 'revise',
        reason: 'the file moved',
        steps: [{ id: 'v2', title: 'v2', dependsOn: [], tool: 'calculator', args: { expression: '1' } }],
      },
      { action: 'finish', answer: 'Done.', reason: 'enough' },
    ]);
  });
});

describe('executor and fault builders', () => {
  it('write answers, tool calls and faults as the scripted model serves them', () => {
    expect(answer('42', { usage: { inputTokens: 10, outputTokens: 2 } })).toEqual({
      content: '42',
      usage: { prompt_tokens: 10, completion_tokens: 2 },
    });
    expect(toolCalls(call('calculator', { expression: '6*7' }), call('list_files'))).toEqual({
      toolCalls: [
        { name: 'calculator', arguments: { expression: '6*7' } },
        { name: 'list_files', arguments: {} },
      ],
    });
    expect(fault.rateLimited(30)).toEqual({ fault: { status: 429, message: 'rate limit reached', retryAfter: 30 } });
    expect(fault.http(503)).toEqual({ fault: { status: 503 } });
    expect(fault.delayed(50, fault.truncated(answer('long')))).toEqual({
      content: 'long',
      truncated: true,
      delayMs: 50,
    });
  });

  it('refuse what cannot be scripted, saying why', () => {
    expect(() => toolCalls()).toThrow('toolCalls() needs at least one call(name, args)');
    expect(() => fault.truncated(fault.hang())).toThrow('fault.truncated() cuts an answer with content');
    expect(() => fault.delayed(10, fault.hang())).toThrow('a hang never answers; it cannot be delayed');
  });
});

describe('verdict', () => {
  it('writes the check phase answer the activity parses', () => {
    expect(verdict.fail('no ticket matched')).toEqual({ content: { passed: false, reason: 'no ticket matched' } });
    expect(verdict.pass()).toEqual({ content: { passed: true, reason: 'the output meets the criterion' } });
  });
});

describe('byGoal', () => {
  const request = (phase: RecordedRequest['phase'], messages: Array<{ role: string; content?: unknown }>) =>
    ({ phase, path: '/v1/chat/completions', model: 'scripted', messages, body: {} }) as RecordedRequest;
  const GOAL = 'Plan the offsite';
  const tools = builtinTools.map(toolInfo);
  const step1 = { id: 'a', title: 'A' };

  it('finds the goal in the request of every phase, as the real prompts write it', () => {
    const requests = [
      request('plan', plannerMessages({ goal: GOAL, tools, maxSteps: 5, context: { partOf: 'x' } })),
      request('replan', replannerMessages({ goal: GOAL, reason: 'r', done: [], remaining: [], tools, maxSteps: 5 })),
      request('execute', executorMessages({ goal: GOAL, step: step1, inputs: [] })),
      request('check', checkerMessages({ goal: GOAL, step: step1, criterion: 'it works', output: 1 })),
      request('synthesize', synthesizerMessages({ goal: GOAL, steps: [] })),
    ];
    expect(requests.map(goalOf)).toEqual(Array(5).fill(GOAL));
  });

  it('answers with the reply for the goal, and refuses a goal it has none for, naming it', () => {
    const planner = byGoal({ [GOAL]: answer('offsite'), 'Book a venue': answer('venue') });
    const ask = (goal: string) =>
      (planner as (r: RecordedRequest) => unknown)(request('plan', plannerMessages({ goal, tools, maxSteps: 5 })));
    expect(ask('Book a venue')).toEqual(answer('venue'));
    expect(ask('Book a bus')).toEqual({
      fault: {
        status: 400,
        message:
          'the script has no plan reply for the goal "Book a bus"; it has replies for "Plan the offsite", "Book a venue"',
      },
    });
  });
});

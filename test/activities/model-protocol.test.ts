/**
 * What a real OpenAI-compatible server needs from planwright, checked against the scripted model in its
 * strict mode (alternating roles, an output cap on every request, answers cut at the cap): caps and
 * temperature per phase, answers cut off or invalid, usage on every path, tool calls with and without the
 * server's tool support, and a specific message for each 400.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createActivities, USAGE_BEAT_DELAY_MS } from '../../activities/index.js';
import { ErrorType } from '../../src/contract/errors.js';
import { DEMO_PLAN } from '../../src/demo/support-report.js';
import { alternating } from '../../src/llm/completion.js';
import {
  DEFAULT_MAX_TOKENS,
  LEAST_STEP_TOKENS,
  modelConfigFromEnv,
  PLAN_OUTPUT_TOKENS,
  planOutputCap,
  type ModelConfig,
} from '../../src/llm/config.js';
import { badRequestAdvice } from '../../src/llm/errors.js';
import { createModel } from '../../src/llm/model.js';
import { usageOfFailure } from '../../src/llm/usage.js';
import { startScriptedModel, type ScriptedModel } from '../../src/testing/scripted-model.js';
import { builtinTools } from '../../src/tools/builtin.js';
import { toolInfo } from '../../src/tools/define.js';
import { runActivity } from '../support/activity-env.js';
import { rejectionOf } from '../support/rejection.js';

let model: ScriptedModel;
const tools = builtinTools.map(toolInfo);
const planInput = { goal: 'Report on tickets', tools, maxSteps: 10 };
const continued = { action: 'continue', reason: 'fine', answer: null, steps: null };

beforeEach(async () => {
  model = await startScriptedModel();
});
afterEach(async () => {
  await model.close();
});

const activities = (config: Partial<ModelConfig> = {}) =>
  createActivities({
    model: createModel({ apiKey: 'k', baseURL: model.url, model: 'scripted', timeoutMs: 10_000, ...config }),
    tools: builtinTools,
    workspace: '.',
  });
const failureOf = (promise: Promise<unknown>) => rejectionOf(promise, ApplicationFailure);
const step = { id: 'draft', title: 'Draft', description: 'Write it.' };

describe('requests a real server is happy with', () => {
  it('caps the output of every phase and sets a low temperature', async () => {
    model.enqueue({
      plan: [{ content: DEMO_PLAN }],
      execute: [{ content: 'draft' }],
      synthesize: [{ content: 'answer' }],
    });
    const a = activities();
    await runActivity(a.createPlan, planInput);
    await runActivity(a.executeStep, { goal: 'g', step, inputs: [] });
    await runActivity(a.synthesize, { goal: 'g', steps: [] });
    expect(model.requests.map((r) => [r.phase, r.body.max_tokens, r.body.temperature])).toEqual([
      ['plan', DEFAULT_MAX_TOKENS.plan, 0.2],
      ['execute', DEFAULT_MAX_TOKENS.execute, 0.2],
      ['synthesize', DEFAULT_MAX_TOKENS.synthesize, 0.2],
    ]);
  });

  it('reads caps, the cap field, temperature and the tool protocol from the environment, refusing bad values', () => {
    const config = modelConfigFromEnv({
      PLANWRIGHT_MAX_TOKENS: 'plan=1024,synthesize=300',
      PLANWRIGHT_MAX_TOKENS_FIELD: 'max_completion_tokens',
      PLANWRIGHT_TEMPERATURE: 'default',
      PLANWRIGHT_TOOL_CALLS: 'json',
      PLANWRIGHT_FREQUENCY_PENALTY: '1',
    });
    expect(config).toMatchObject({
      frequencyPenalty: 1,
      maxTokens: { plan: 1024, synthesize: 300 },
      capField: 'max_completion_tokens',
      temperature: null,
      toolCalls: 'json',
    });
    expect(modelConfigFromEnv({ PLANWRIGHT_MAX_TOKENS: '512' }).maxTokens).toEqual({
      plan: 512,
      replan: 512,
      execute: 512,
      synthesize: 512,
    });
    expect(() => modelConfigFromEnv({ PLANWRIGHT_MAX_TOKENS: 'plan=lots' })).toThrow(
      /^PLANWRIGHT_MAX_TOKENS=plan=lots cannot be used/,
    );
    expect(() => modelConfigFromEnv({ PLANWRIGHT_TEMPERATURE: 'hot' })).toThrow(/a number from 0 to 2, or default/);
    expect(() => modelConfigFromEnv({ PLANWRIGHT_TOOL_CALLS: 'xml' })).toThrow(/expected native or json/);
  });

  it('sends the planner’s revision as one user turn, so strict templates take it', async () => {
    model.enqueue({ plan: [{ content: DEMO_PLAN }] });
    const out = await runActivity(activities().revisePlan, {
      ...planInput,
      revise: { issues: [{ message: 'too many steps' }], feedback: 'Use fewer steps.' },
    });
    expect(out.plan).toBeDefined();
    expect(model.requests[0]?.messages.map((m) => m.role)).toEqual(['system', 'user']);
  });

  it('keeps roles alternating in JSON mode and its repair', async () => {
    model.enqueue({ plan: [{ content: 'not json' }, { content: DEMO_PLAN }] });
    const out = await runActivity(activities({ structuredOutput: 'json_object' }).createPlan, planInput);
    expect(out.plan).toBeDefined();
    expect(model.requests.map((r) => r.messages.map((m) => m.role))).toEqual([
      ['system', 'user'],
      ['system', 'user', 'assistant', 'user'],
    ]);
  });

  it('folds any system message into the first and joins consecutive user turns', () => {
    expect(
      alternating([
        { role: 'system', content: 'a' },
        { role: 'user', content: 'b' },
        { role: 'user', content: 'c' },
        { role: 'system', content: 'd' },
      ]),
    ).toEqual([
      { role: 'system', content: 'a\n\nd' },
      { role: 'user', content: 'b\n\nc' },
    ]);
  });

  it('says which rule a 400 broke and what to set', async () => {
    expect(badRequestAdvice('Conversation roles must alternate user/assistant/user/assistant/...')).toMatch(
      /alternate user\/assistant/,
    );
    expect(badRequestAdvice('the request exceeds the available context size (n_ctx 2048)')).toMatch(
      /PLANWRIGHT_CONTEXT_TOKENS/,
    );
    expect(badRequestAdvice("'response_format' of type 'json_schema' is not supported")).toMatch(
      /PLANWRIGHT_STRUCTURED_OUTPUT=json_object/,
    );
    expect(badRequestAdvice('tools param requires --jinja flag')).toMatch(/PLANWRIGHT_TOOL_CALLS=json/);
    expect(badRequestAdvice("Unsupported parameter: 'max_tokens'")).toMatch(/PLANWRIGHT_MAX_TOKENS_FIELD/);
    expect(
      badRequestAdvice(
        'max_tokens is too large: 128512. This model supports at most 16384 completion tokens, whereas you provided 128512.',
      ),
    ).toMatch(/^the output cap is more than the model may write .*lower maxSteps/);
    expect(badRequestAdvice("Unsupported value: 'temperature'")).toMatch(/PLANWRIGHT_TEMPERATURE=default/);
    model.enqueue({ plan: [{ fault: { status: 400, message: 'Conversation roles must alternate' } }] });
    const failure = await failureOf(runActivity(activities().createPlan, planInput));
    expect([failure.type, failure.nonRetryable]).toEqual([ErrorType.ModelRequestRejected, true]);
    expect(failure.message).toMatch(/^the server's chat template requires roles that alternate/);
    expect(failure.message).not.toMatch(/structured outputs/);
  });
});

describe('answers cut off at the output cap', () => {
  it('asks again for a plan that was cut off, counting both calls', async () => {
    model.enqueue({
      plan: [
        { content: DEMO_PLAN, truncated: true, usage: { prompt_tokens: 800, completion_tokens: 4096 } },
        { content: DEMO_PLAN, usage: { prompt_tokens: 900, completion_tokens: 300 } },
      ],
    });
    const out = await runActivity(activities().createPlan, planInput);
    expect(out.plan?.steps).toHaveLength(5);
    expect(out.usage).toEqual({ llmCalls: 2, inputTokens: 1700, outputTokens: 4396, unpricedCalls: 2 });
    expect(String(model.requests[1]?.messages.at(-1)?.content)).toMatch(/cut off at the output limit/);
  });

  it('honours the cap: a long answer comes back cut and is asked for again, shorter', async () => {
    model.enqueue({ synthesize: [{ content: 'x'.repeat(2000) }, { content: 'short' }] });
    const out = await runActivity(activities({ maxTokens: { synthesize: 100 } }).synthesize, { goal: 'g', steps: [] });
    expect(out.answer).toBe('short');
    expect(out.usage.llmCalls).toBe(2);
    expect(model.requests[1]?.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
  });

  it('keeps a text answer that stays cut off, marked as such', async () => {
    model.enqueue({ synthesize: [{ content: 'y'.repeat(2000) }, { content: 'z'.repeat(2000) }] });
    const out = await runActivity(activities({ maxTokens: { synthesize: 100 } }).synthesize, { goal: 'g', steps: [] });
    expect(out.answer).toBe(`${'z'.repeat(400)}\n\n[cut off at the output limit]`);
  });
});

describe('the output cap of plans and replans, sized to maxSteps', () => {
  /** `n` steps as a model writes them, each one of the demo plan's steps under a new id. */
  const steps = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      ...DEMO_PLAN.steps[i % DEMO_PLAN.steps.length]!,
      id: `s${i}`,
      dependsOn: [],
    }));

  it('gives a plan of 100 steps room for them, where the old cap of 4096 tokens cut it off', async () => {
    const hundred = { rationale: 'one query after the other', steps: steps(100) };
    // The scripted model cuts answers at the cap (4 characters a token), as a real server does.
    expect(JSON.stringify(hundred).length / 4).toBeGreaterThan(DEFAULT_MAX_TOKENS.plan);
    model.enqueue({ plan: [{ content: hundred }] });
    const out = await runActivity(activities().createPlan, { ...planInput, maxSteps: 100 });
    expect(out.plan?.steps).toHaveLength(100);
    expect(model.requests.map((r) => r.body.max_tokens)).toEqual([planOutputCap('plan', 100)]);
    expect(planOutputCap('plan', 100)).toBe(PLAN_OUTPUT_TOKENS.fixed + 100 * PLAN_OUTPUT_TOKENS.perStep);
  });

  it('keeps the phase default for plans of up to 25 steps, and sizes a replan to the steps it may still add', async () => {
    model.enqueue({ plan: [{ content: DEMO_PLAN }], replan: [{ content: continued }, { content: continued }] });
    const a = activities();
    await runActivity(a.createPlan, { ...planInput, maxSteps: 25 });
    const replan = { goal: 'g', reason: 'r', remaining: [], tools, done: [] };
    await runActivity(a.replan, { ...replan, maxSteps: 200 });
    await runActivity(a.replan, { ...replan, maxSteps: 1000, horizon: 40 });
    expect(model.requests.map((r) => [r.phase, r.body.max_tokens])).toEqual([
      ['plan', DEFAULT_MAX_TOKENS.plan],
      ['replan', planOutputCap('replan', 200)],
      ['replan', planOutputCap('replan', 40)],
    ]);
  });

  it('uses a configured cap that holds the steps as it is', async () => {
    model.enqueue({ plan: [{ content: DEMO_PLAN }] });
    await runActivity(activities({ maxTokens: { plan: 1000 } }).createPlan, { ...planInput, maxSteps: 20 });
    expect(model.requests[0]?.body.max_tokens).toBe(1000);
  });

  it('refuses a configured cap that cannot hold maxSteps steps, saying what to change, before any call', async () => {
    const failure = await failureOf(
      runActivity(activities({ maxTokens: { plan: 768 } }).createPlan, { ...planInput, maxSteps: 25 }),
    );
    expect([failure.type, failure.nonRetryable]).toEqual([ErrorType.ModelRequestRejected, true]);
    expect(failure.message).toBe(
      `the plan output cap of 768 tokens (PLANWRIGHT_MAX_TOKENS) cannot hold the 25 steps maxSteps allows, which ` +
        `take at least ${25 * LEAST_STEP_TOKENS} tokens (the default cap for them is ${DEFAULT_MAX_TOKENS.plan}): ` +
        'raise or unset PLANWRIGHT_MAX_TOKENS for plan, or lower maxSteps',
    );
    expect(model.requests).toEqual([]);
  });

  it('counts as the fewest tokens a step takes no more than the tersest step a model can write', () => {
    const tersest = { id: 'a', title: 'a', description: null, dependsOn: [], tool: null, args: null, tools: null };
    const rest = { successCriterion: null, critical: null, fallback: null };
    expect(JSON.stringify({ ...tersest, ...rest }).length / 4).toBeGreaterThanOrEqual(LEAST_STEP_TOKENS);
  });
});

describe('usage on every path', () => {
  it('counts a refused answer', async () => {
    model.enqueue({ synthesize: [{ refusal: 'no' }] });
    const failure = await failureOf(runActivity(activities().synthesize, { goal: 'g', steps: [] }));
    expect(usageOfFailure(failure).llmCalls).toBe(1);
  });

  it('counts both calls when the repair of an invalid answer fails at the server', async () => {
    model.enqueue({
      plan: [{ content: 'not json', usage: { prompt_tokens: 500, completion_tokens: 7 } }, { fault: { status: 500 } }],
    });
    const failure = await failureOf(runActivity(activities().createPlan, planInput));
    expect(failure.type).toBe(ErrorType.ModelUnavailable);
    expect(usageOfFailure(failure)).toEqual({ llmCalls: 2, inputTokens: 500, outputTokens: 7, unpricedCalls: 2 });
  });

  it('counts an answer that stayed invalid after its repair', async () => {
    model.enqueue({
      plan: [
        { content: 'not json', usage: { prompt_tokens: 100, completion_tokens: 5 } },
        { content: '{"rationale": null}', usage: { prompt_tokens: 200, completion_tokens: 6 } },
      ],
    });
    const failure = await failureOf(runActivity(activities().createPlan, planInput));
    expect(failure.type).toBe(ErrorType.InvalidModelOutput);
    expect(usageOfFailure(failure)).toEqual({ llmCalls: 2, inputTokens: 300, outputTokens: 11, unpricedCalls: 2 });
  });
});

describe('tool calls', () => {
  it('takes several calls in one answer, passing arguments that are not JSON on as text for the tool to refuse', async () => {
    model.enqueue({
      execute: [
        {
          toolCalls: [
            { name: 'calculator', arguments: { expression: '2+2' } },
            { name: 'calculator', arguments: '{"expression": 2+' },
            { name: 'no_such_tool', arguments: {} },
          ],
        },
      ],
    });
    const out = await runActivity(activities().executeStep, { goal: 'g', step, inputs: [], tools });
    expect(out.kind).toBe('tool-calls');
    expect(out.kind === 'tool-calls' && out.calls.map((c) => [c.tool, c.args])).toEqual([
      ['calculator', { expression: '2+2' }],
      ['calculator', '{"expression": 2+'],
      ['no_such_tool', {}],
    ]);
    expect(model.requests[0]?.body.tool_choice).toBe('auto');
  });

  it('speaks a JSON protocol with servers that have no tool support', async () => {
    model.enqueue({
      execute: [
        { content: { tool_calls: [{ name: 'calculator', arguments: { expression: '6*7' } }] } },
        { content: { answer: '42' } },
      ],
    });
    const a = activities({ toolCalls: 'json' });
    const first = await runActivity(a.executeStep, { goal: 'g', step, inputs: [], tools });
    expect(first).toMatchObject({ kind: 'tool-calls', calls: [{ tool: 'calculator', args: { expression: '6*7' } }] });
    expect(model.requests[0]?.body.tools).toBeUndefined();
    expect(String(model.requests[0]?.messages[0]?.content)).toContain('{"tool_calls": [{"name": "<tool>"');
    const calls = first.kind === 'tool-calls' ? first.calls : [];
    const second = await runActivity(a.executeStep, {
      goal: 'g',
      step,
      inputs: [],
      tools,
      turns: [
        { role: 'assistant', toolCalls: calls },
        { role: 'tool', callId: calls[0]?.id ?? '', tool: 'calculator', output: { value: 42 } },
      ],
    });
    expect(second).toMatchObject({ kind: 'answer', output: '42' });
    expect(model.requests[1]?.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(String(model.requests[1]?.messages[3]?.content)).toContain('{"value":42}');
  });
});

describe('usage across Temporal retries', () => {
  it('adds the usage of earlier attempts, read back from the heartbeat details, and heartbeats the total', async () => {
    model.enqueue({
      synthesize: [
        { content: 'a very long draft', truncated: true, usage: { prompt_tokens: 10, completion_tokens: 5 } },
        // Asked again, shorter: this call is still running when the first one's usage is heartbeated.
        { content: 'done', delayMs: 4 * USAGE_BEAT_DELAY_MS, usage: { prompt_tokens: 20, completion_tokens: 5 } },
      ],
    });
    const earlier = { usage: { llmCalls: 3, inputTokens: 300, outputTokens: 0, cost: 0.0003 } };
    const env = new MockActivityEnvironment({ heartbeatDetails: earlier, attempt: 4 });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const priced = activities({ prices: { scripted: { input: 1, output: 2 } } });
    const out = (await env.run(priced.synthesize, { goal: 'g', steps: [] })) as { usage: unknown };
    // Each call costs its input tokens × $1 and output tokens × $2 per million, added to what earlier attempts cost.
    expect(out.usage).toEqual({ llmCalls: 5, inputTokens: 330, outputTokens: 10, cost: 0.00035 });
    // Earlier attempts' usage from the start, then with the first call's, while the second one ran (a slow machine
    // may add the once-a-second beat after these).
    expect(beats.slice(0, 2)).toEqual([
      earlier,
      { usage: { llmCalls: 4, inputTokens: 310, outputTokens: 5, cost: 0.00032 } },
    ]);
  });

  it('sends no heartbeat for a first attempt that ends as soon as the model answers', async () => {
    model.enqueue({ synthesize: [{ content: 'done', usage: { prompt_tokens: 10, completion_tokens: 5 } }] });
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const out = (await env.run(activities().synthesize, { goal: 'g', steps: [] })) as { usage: unknown };
    expect(out.usage).toMatchObject({ llmCalls: 1, inputTokens: 10, outputTokens: 5 });
    // The answer's usage travels in the result; a heartbeat would only be one more request for the server.
    await new Promise((resolve) => setTimeout(resolve, 2 * USAGE_BEAT_DELAY_MS));
    expect(beats).toEqual([]);
  });

  it('reports earlier attempts in the failure of the last one', async () => {
    model.enqueue({ synthesize: [{ fault: { status: 503 } }] });
    const env = new MockActivityEnvironment({
      heartbeatDetails: { usage: { llmCalls: 2, inputTokens: 0, outputTokens: 0 } },
    });
    const failure = await failureOf(env.run(activities().synthesize, { goal: 'g', steps: [] }));
    expect(usageOfFailure(failure).llmCalls).toBe(3);
  });
});

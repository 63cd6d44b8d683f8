/**
 * The planner, executor and synthesizer activities over HTTP: the real `openai` client against the
 * scripted model, inside Temporal's MockActivityEnvironment. The executor's tool calls come back as the model asked
 * for them, marked with the problem when their arguments do not fit the tool's input.
 */
import { usageOfFailure } from '../../src/llm/usage.js';
import { ApplicationFailure } from '@temporalio/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runActivity } from '../support/activity-env.js';
import { createActivities } from '../../activities/index.js';
import { ErrorType } from '../../src/contract/errors.js';
import { createModel } from '../../src/llm/model.js';
import { builtinTools } from '../../src/tools/builtin.js';
import { toolInfo } from '../../src/tools/define.js';
import { admitCalls } from '../../src/run/tool-calls.js';
import { call, toolCalls } from '../../src/testing/answers.js';
import { startScriptedModel, type ScriptedModel } from '../../src/testing/scripted-model.js';
import { DEMO_PLAN } from '../../src/demo/support-report.js';
import { rejectionOf } from '../support/rejection.js';

let model: ScriptedModel;
const tools = builtinTools.map(toolInfo);

beforeEach(async () => {
  model = await startScriptedModel();
});
afterEach(async () => {
  await model.close();
});

const prices = { scripted: { input: 0.15, output: 0.6 } };

function activities(timeoutMs = 10_000) {
  return createActivities({
    // Priced as gpt-4o-mini, so usage carries its estimated cost.
    model: createModel({ apiKey: 'test-key', baseURL: model.url, model: 'scripted', timeoutMs, prices }),
    tools: builtinTools,
    workspace: '.',
  });
}

const planInput = { goal: 'Report on tickets', tools, maxSteps: 10 };

const failureOf = (promise: Promise<unknown>) => rejectionOf(promise, ApplicationFailure);

describe('createPlan', () => {
  it('asks with the goal and the tool catalog, and returns the parsed plan with its usage', async () => {
    model.enqueue({ plan: [{ content: DEMO_PLAN, usage: { prompt_tokens: 900, completion_tokens: 300 } }] });
    const out = await runActivity(activities().createPlan, planInput);

    expect(out.issues).toEqual([]);
    expect(out.plan?.steps.map((s) => s.id)).toEqual(DEMO_PLAN.steps.map((s) => s.id));
    expect(out.plan?.steps[3]?.args).toEqual({
      expression: 'round({{tickets_per_intent.groups.0.value}} / {{week_total.value}} * 100, 1)',
    });
    // 900 input tokens at $0.15 and 300 output tokens at $0.60 per million.
    expect(out.usage).toEqual({ llmCalls: 1, inputTokens: 900, outputTokens: 300, cost: 0.000315 });

    const [request] = model.requests;
    expect(request?.phase).toBe('plan');
    expect(request?.responseFormat).toBe('plan');
    expect(request?.authorization).toBe('Bearer test-key');
    expect(JSON.stringify(request?.messages)).toContain('Goal: Report on tickets');
    expect(JSON.stringify(request?.messages)).toContain('data_query');
    model.assertDone({ all: true });
  });

  it('repairs an answer that is not valid once, quoting what was wrong', async () => {
    model.enqueue({
      plan: [
        { content: '{"steps": "soon"}', usage: { prompt_tokens: 500, completion_tokens: 10 } },
        { content: DEMO_PLAN, usage: { prompt_tokens: 700, completion_tokens: 300 } },
      ],
    });
    const out = await runActivity(activities().createPlan, planInput);

    expect(out.plan?.steps).toHaveLength(5);
    expect(out.usage).toEqual({ llmCalls: 2, inputTokens: 1200, outputTokens: 310, cost: 0.000366 });
    const repair = model.requests[1]?.messages.at(-1)?.content;
    expect(repair).toMatch(/^That answer is not valid: .*steps/);
  });

  it('gives up with a non-retryable InvalidModelOutput when the repair is invalid too', async () => {
    model.enqueue({ plan: [{ content: 'not json' }, { content: '{"rationale": null}' }] });
    const failure = await failureOf(runActivity(activities().createPlan, planInput));
    expect(failure.type).toBe(ErrorType.InvalidModelOutput);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/invalid twice/);
  });

  it('returns args that are not JSON as plan issues for the workflow to revise, with every other problem', async () => {
    const [first, second, ...rest] = DEMO_PLAN.steps;
    const broken = {
      ...DEMO_PLAN,
      steps: [{ ...first!, args: '{file: oops' }, { ...second!, args: '1.12.7213.13.2018' }, ...rest],
    };
    model.enqueue({ plan: [{ content: broken }] });
    const out = await runActivity(activities().createPlan, planInput);
    expect(out.plan?.steps).toHaveLength(5);
    expect(out.issues).toEqual([
      { stepId: 'week_total', message: expect.stringMatching(/^args is not valid JSON/) },
      { stepId: 'tickets_per_intent', message: expect.stringMatching(/^args is not valid JSON/) },
    ]);
  });
});

describe('model errors are classified once', () => {
  it('429 is retryable after the server’s Retry-After', async () => {
    model.enqueue({ plan: [{ fault: { status: 429, retryAfter: 7, message: 'slow down' } }] });
    const failure = await failureOf(runActivity(activities().createPlan, planInput));
    expect(failure.type).toBe(ErrorType.ModelUnavailable);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(7000);
  });

  it('500 is retryable', async () => {
    model.enqueue({ synthesize: [{ fault: { status: 500 } }] });
    const failure = await failureOf(runActivity(activities().synthesize, { goal: 'g', steps: [] }));
    expect(failure.type).toBe(ErrorType.ModelUnavailable);
    expect(failure.nonRetryable).toBe(false);
  });

  it('401 is not retryable and says to fix the key', async () => {
    model.enqueue({ plan: [{ fault: { status: 401, message: 'Incorrect API key provided' } }] });
    const failure = await failureOf(runActivity(activities().createPlan, planInput));
    expect(failure.type).toBe(ErrorType.ModelRequestRejected);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/set OPENAI_API_KEY to a valid key.*401/);
  });

  it('404 is not retryable and names the model to check', async () => {
    model.enqueue({ plan: [{ fault: { status: 404, message: 'The model `gpt-9` does not exist' } }] });
    const failure = await failureOf(runActivity(activities().createPlan, planInput));
    expect([failure.type, failure.nonRetryable]).toEqual([ErrorType.ModelRequestRejected, true]);
    expect(failure.message).toMatch(
      /^model "scripted" or the endpoint was not found; check PLANWRIGHT_MODEL and OPENAI_BASE_URL/,
    );
  });

  it('a refusal by the model is not retryable', async () => {
    model.enqueue({ synthesize: [{ refusal: 'I cannot help with that.' }] });
    const failure = await failureOf(runActivity(activities().synthesize, { goal: 'g', steps: [] }));
    expect([failure.type, failure.nonRetryable]).toEqual([ErrorType.ModelRequestRejected, true]);
    expect(failure.message).toBe('the model refused to answer (I cannot help with that.); rephrase the goal');
  });

  it('a body that is not JSON is retryable', async () => {
    model.enqueue({ synthesize: [{ malformed: '<html>502 Bad Gateway</html>' }] });
    const failure = await failureOf(runActivity(activities().synthesize, { goal: 'g', steps: [] }));
    expect([failure.type, failure.nonRetryable]).toEqual([ErrorType.ModelUnavailable, false]);
  });

  it('a timeout is retryable', async () => {
    model.enqueue({ synthesize: [{ hang: true }] });
    const failure = await failureOf(runActivity(activities(300).synthesize, { goal: 'g', steps: [] }));
    expect(failure.type).toBe(ErrorType.ModelUnavailable);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toMatch(/sent nothing for 0.3 s and was cut off; .* raise PLANWRIGHT_MODEL_SILENCE/);
    // The server had the request and may still be writing: it counts as a call.
    expect(usageOfFailure(failure)).toMatchObject({ llmCalls: 1 });
  });

  it('a script that runs out fails loudly instead of answering', async () => {
    const failure = await failureOf(runActivity(activities().synthesize, { goal: 'g', steps: [] }));
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/script has no answer left for a "synthesize" request/);
    expect(() => model.assertDone()).toThrow(/1 request\(s\) its script had no answer for/);
  });
});

describe('servers without JSON-schema structured output', () => {
  it('switch to JSON mode, with the schema in the prompt, when the server refuses json_schema', async () => {
    model.enqueue({
      plan: [
        {
          fault: {
            status: 400,
            message: "Invalid parameter: 'response_format' of type 'json_schema' is not supported",
          },
        },
        { content: DEMO_PLAN },
      ],
    });
    const out = await runActivity(activities().createPlan, planInput);
    expect(out.plan?.steps).toHaveLength(5);
    const [refused, retried] = model.requests;
    expect((refused?.body.response_format as { type: string }).type).toBe('json_schema');
    expect(retried?.body.response_format).toEqual({ type: 'json_object' });
    // The schema rule joins the one system message at the start, so the roles still alternate.
    expect(retried?.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(String(retried?.messages[0]?.content)).toMatch(
      /^Answer with one JSON object \(no prose\) that matches this JSON schema:\n\{/,
    );
  });

  it('use JSON mode from the start when configured', async () => {
    model.enqueue({ plan: [{ content: DEMO_PLAN }] });
    const jsonMode = createActivities({
      model: createModel({
        apiKey: 'k',
        baseURL: model.url,
        model: 'm',
        timeoutMs: 5000,
        structuredOutput: 'json_object',
      }),
      tools: builtinTools,
      workspace: '.',
    });
    await runActivity(jsonMode.createPlan, planInput);
    expect(model.requests[0]?.body.response_format).toEqual({ type: 'json_object' });
    // The schema in the prompt is the response format: it says which tools an open step may name, too.
    const system = String(model.requests[0]?.messages[0]?.content);
    const names = JSON.stringify(tools.map((t) => t.name));
    expect(system).toContain(`"tools":{"anyOf":[{"type":"array","items":{"type":"string","enum":${names}}}`);
    expect(system).toContain("- tools: the tools below an open step's model may call");
  });
});

describe('synthesize and executeStep', () => {
  it('quote step results to the model and return its text with usage', async () => {
    model.enqueue({ synthesize: [{ content: 'All good.' }], execute: [{ content: 'Draft ready.' }] });
    const steps = [{ id: 'count', title: 'Count', status: 'succeeded', output: { value: 3 } }];
    const answer = await runActivity(activities().synthesize, { goal: 'g', steps });
    expect(answer.answer).toBe('All good.');
    expect(answer.usage.llmCalls).toBe(1);
    expect(String(model.requests[0]?.messages[1]?.content)).toContain('"value": 3');

    const executed = await runActivity(activities().executeStep, {
      goal: 'g',
      step: { id: 'draft', title: 'Draft' },
      inputs: steps,
    });
    expect(executed).toMatchObject({ kind: 'answer', output: 'Draft ready.' });
    expect(model.requests[1]?.phase).toBe('execute');
  });
});

describe('executeStep tool calls', () => {
  const offered = tools.filter((t) => ['calculator', 'data_query'].includes(t.name));
  const input = { goal: 'Report', step: { id: 'draft', title: 'Draft' }, inputs: [], tools: offered };

  it('marks calls whose arguments do not fit their tool’s input schema, keeping every call as asked', async () => {
    model.enqueue({
      execute: [
        toolCalls(
          call('calculator', { expression: '6*7' }),
          call('calculator', { expr: '6*7' }),
          call('data_query', '{"file": '),
          call('teleport', { to: 'Lisbon' }),
        ),
      ],
    });
    const out = await runActivity(activities().executeStep, input);
    if (out.kind !== 'tool-calls') throw new Error(`expected tool calls, got ${out.kind}`);

    expect(out.calls.map(({ tool, args }) => [tool, args])).toEqual([
      ['calculator', { expression: '6*7' }],
      ['calculator', { expr: '6*7' }],
      ['data_query', '{"file": '], // not JSON: kept as the text the model wrote
      ['teleport', { to: 'Lisbon' }],
    ]);
    const [fits, missing, notJson, unknown] = out.calls;
    expect(fits).not.toHaveProperty('problem');
    expect(missing?.problem).toMatch(/^expression: /);
    expect(notJson?.problem).toMatch(/^\(input\): /);
    // A tool the worker does not have is the workflow's to refuse: the step may not use it.
    expect(unknown).not.toHaveProperty('problem');

    // The workflow admits the call that fits and refuses the others, telling the executor why.
    const { admitted, refused } = admitCalls(out.calls, { allowed: ['calculator', 'data_query'], madeByStep: 0 });
    expect(admitted).toEqual([fits]);
    expect(refused.map((r) => r.reason)).toEqual([
      `its arguments do not fit calculator's input schema: ${missing?.problem}`,
      `its arguments do not fit data_query's input schema: ${notJson?.problem}`,
      '"teleport" is not a tool this step may use (it may use: calculator, data_query)',
    ]);
  });

  it('names every field that does not fit, path first', async () => {
    model.enqueue({
      execute: [toolCalls(call('data_query', { file: '', aggregate: { op: 'median' }, limit: -1 }))],
    });
    const out = await runActivity(activities().executeStep, input);
    if (out.kind !== 'tool-calls') throw new Error(`expected tool calls, got ${out.kind}`);
    const problems = out.calls[0]?.problem?.split('; ') ?? [];
    expect(problems.map((p) => p.slice(0, p.indexOf(':')))).toEqual(['file', 'aggregate.op', 'limit']);
  });
});

describe('checkOutput', () => {
  const input = {
    goal: 'Report on tickets',
    step: { id: 'search', title: 'Find billing tickets' },
    criterion: 'at least one ticket was found',
    output: { matched: 0, groups: [] },
  };

  it('asks the model in the check phase with the criterion and the output, and returns its verdict with usage', async () => {
    model.enqueue({
      check: [
        {
          content: { passed: false, reason: 'no ticket matched' },
          usage: { prompt_tokens: 300, completion_tokens: 12 },
        },
      ],
    });
    const out = await runActivity(activities().checkOutput, input);

    expect(out).toMatchObject({
      passed: false,
      reason: 'no ticket matched',
      usage: { llmCalls: 1, inputTokens: 300, outputTokens: 12 },
    });
    const [request] = model.requests;
    expect(request?.phase).toBe('check');
    expect(request?.responseFormat).toBe('check_verdict');
    const asked = String(request?.messages.at(-1)?.content);
    expect(asked).toContain('Success criterion: at least one ticket was found');
    expect(asked).toContain('"matched": 0');
  });

  it('checks a checkable criterion without the model', async () => {
    const out = await runActivity(activities().checkOutput, { ...input, criterion: '$.groups is not empty' });
    expect(out).toEqual({
      passed: false,
      reason: '$.groups is [], expected something not empty',
      usage: { llmCalls: 0, inputTokens: 0, outputTokens: 0 },
    });
    expect(model.requests).toEqual([]);
  });
});

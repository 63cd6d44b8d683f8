/**
 * Every branch of planAndExecute's decisions, on the time-skipping test server with typed activity mocks.
 */
import { Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { Activities, CreatePlanInput } from '../../activities/index.js';
import { ErrorType } from '../../src/contract/errors.js';
import { registeredSearchAttributes } from '../../src/worker.js';
import { setupNamespace } from '../../src/temporal/setup.js';
import type { Plan } from '../../src/contract/plan.js';
import { approvePlanSignal, rejectPlanSignal, stateQuery } from '../../workflows/messages.js';
import { RELEASE_0_10 } from '../../workflows/patches.js';
import { ONE_CALL, mockActivities, planned } from '../support/mock-activities.js';
import { builtinTools } from '../../src/tools/builtin.js';
import { toolInfo } from '../../src/tools/define.js';
import {
  reportOutputs,
  reportPlan,
  toolsAnswering,
  until,
  timeSkippingSuite,
  calcStep,
  type Handle,
} from '../support/run-workflow.js';

const { run, env: currentEnv } = timeSkippingSuite();

/** Runs a plan of two calculator steps, b after a, with these activities changed; returns the run's history. */
async function twoStepHistory(changed: Partial<Activities> = {}) {
  let handle: Handle | undefined;
  const result = await run(
    mockActivities({
      createPlan: async () => planned({ steps: [calcStep('a'), calcStep('b', ['a'])] }),
      runTool: toolsAnswering({ a: { value: 1 }, b: { value: 2 } }).runTool,
      synthesize: async () => ({ answer: 'Done.', usage: ONE_CALL }),
      ...changed,
    }),
    { goal: 'Two steps' },
    async (h) => {
      handle = h;
    },
  );
  expect(result.status).toBe('completed');
  return (await handle!.fetchHistory()).events ?? [];
}

describe('planAndExecute', () => {
  it('plans, runs steps after their dependencies with references resolved, and synthesizes', async () => {
    const tools = toolsAnswering(reportOutputs);
    const synthesized: string[] = [];
    const result = await run(
      mockActivities({
        createPlan: async () => planned(reportPlan),
        runTool: tools.runTool,
        synthesize: async (input) => {
          synthesized.push(...input.steps.map((s) => `${s.id}:${s.status}`));
          return { answer: 'Billing is 25% of tickets.', usage: ONE_CALL };
        },
      }),
      { goal: 'Report the top intent' },
    );

    expect(result.status).toBe('completed');
    expect(result.answer).toBe('Billing is 25% of tickets.');
    expect(tools.calls.at(-1)).toEqual({ stepId: 'share', tool: 'calculator', args: { expression: '30 / 120 * 100' } });
    expect(
      tools.calls
        .slice(0, 2)
        .map((c) => c.stepId)
        .sort(),
    ).toEqual(['count', 'total']);
    expect(result.steps.map((s) => [s.id, s.status, s.attempts])).toEqual([
      ['count', 'succeeded', 1],
      ['total', 'succeeded', 1],
      ['share', 'succeeded', 1],
    ]);
    expect(result.steps[2]?.output).toEqual(reportOutputs.share);
    expect(synthesized).toEqual(['count:succeeded', 'total:succeeded', 'share:succeeded']);
    expect(result.usage).toEqual({ llmCalls: 2, inputTokens: 200, outputTokens: 40, toolCalls: 3 });
    expect(result.plan?.version).toBe(1);
    expect(result.planHistory).toEqual([{ version: 1, reason: 'initial plan', steps: reportPlan.steps }]);
    expect(result.events.map((e) => e.type)).toContain('run-finished');
  });

  it('learns the worker’s tools with the planner’s answer, and asks for them itself when a worker does not say', async () => {
    for (const olderWorker of [false, true]) {
      let described = 0;
      const asked: CreatePlanInput[] = [];
      const createPlan = async (input: CreatePlanInput) => {
        asked.push(input);
        return planned({ steps: [calcStep('a')] });
      };
      const activities = mockActivities({
        describeWorker: async () => {
          described++;
          return { tools: [toolInfo(builtinTools.find((t) => t.name === 'calculator')!)], searchAttributes: [] };
        },
        createPlan,
        runTool: toolsAnswering({ a: { value: 1 } }).runTool,
        synthesize: async () => ({ answer: 'One.', usage: ONE_CALL }),
      });
      // A worker of an older version answers the planner's request without describing itself (mockActivities
      // describes the worker when asked; the bare activity does not).
      if (olderWorker) activities.createPlan = createPlan;
      let handle: Handle | undefined;
      const result = await run(activities, { goal: 'One' }, async (h) => {
        handle = h;
      });
      expect(result.status).toBe('completed');
      expect(asked[0]?.describe).toBe(true);
      expect(described).toBe(1);
      const scheduled = (await handle!.fetchHistory()).events
        ?.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
        .filter(Boolean);
      // Learned with the plan; asked for on its own only when the worker did not say.
      expect(scheduled).toEqual([
        ...(olderWorker ? ['createPlan', 'describeWorker'] : ['createPlan']),
        'runTool',
        'synthesize',
      ]);
    }
  });

  it('takes a cached plan from a worker that does not describe itself as a miss, and plans', async () => {
    const plan = { steps: [calcStep('a')] };
    const activities = mockActivities({
      createPlan: async () => planned(plan),
      runTool: toolsAnswering({ a: { value: 1 } }).runTool,
      storePlan: async () => {},
      synthesize: async () => ({ answer: 'One.', usage: ONE_CALL }),
    });
    // An older worker: its cache answers with the plan, but not with its tools, which the plan is checked against.
    activities.lookupPlan = async () => ({ plan });
    let handle: Handle | undefined;
    const result = await run(activities, { goal: 'One', planCache: true }, async (h) => {
      handle = h;
    });
    expect(result.status).toBe('completed');
    expect(result.planHistory[0]?.reason).toBe('initial plan');
    expect(result.failure).toBeUndefined();
    const scheduled = (await handle!.fetchHistory()).events
      ?.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
      .filter(Boolean);
    expect(scheduled).toEqual(['lookupPlan', 'createPlan', 'storePlan', 'runTool', 'synthesize']);
  });

  it('never runs more than maxParallel steps at once', async () => {
    const wide: Plan = {
      steps: ['a', 'b', 'c', 'd', 'e'].map((id) => ({
        id,
        title: id,
        dependsOn: [],
        tool: 'calculator',
        args: { expression: '1' },
      })),
    };
    const measure = async (maxParallel: number) => {
      let running = 0;
      let peak = 0;
      const result = await run(
        mockActivities({
          createPlan: async () => planned(wide),
          runTool: async () => {
            peak = Math.max(peak, ++running);
            await new Promise((r) => setTimeout(r, 150));
            running--;
            return { output: { value: 1 }, attempt: 1 };
          },
          synthesize: async () => ({ answer: 'ok', usage: ONE_CALL }),
        }),
        { goal: 'Fan out', maxParallel },
      );
      expect(result.steps.every((s) => s.status === 'succeeded')).toBe(true);
      return peak;
    };
    expect(await measure(2)).toBe(2);
    expect(await measure(5)).toBe(5);
  });

  it('sends an invalid plan back to the planner with its problems', async () => {
    const requests: CreatePlanInput[] = [];
    const bad: Plan = { steps: [{ id: 'a', title: 'A', dependsOn: ['b'], tool: 'web_search' }] };
    const result = await run(
      mockActivities({
        createPlan: async (input) => {
          requests.push(input);
          return planned(bad);
        },
        revisePlan: async (input) => {
          requests.push(input);
          return planned(reportPlan);
        },
        runTool: toolsAnswering(reportOutputs).runTool,
        synthesize: async () => ({ answer: 'ok', usage: ONE_CALL }),
      }),
      { goal: 'Report' },
    );
    expect(result.status).toBe('completed');
    expect(requests[1]?.revise?.issues.map((i) => i.message)).toEqual([
      'depends on "b", which is not a step of this plan',
      'unknown tool "web_search"; available tools: data_query, sql_query, calculator, read_file, write_file, list_files, http_get',
    ]);
    expect(result.events.find((e) => e.type === 'plan-invalid')?.message).toContain('unknown tool "web_search"');
  });

  it("says in the run's trace what the planning activity repaired without the model", async () => {
    const repairs = [
      'step "b": dropped its dependency on itself',
      'step "a": tool "Calculator" renamed to "calculator"',
    ];
    const result = await run(
      mockActivities({
        createPlan: async () => ({ ...planned({ steps: [calcStep('a'), calcStep('b', ['a'])] }), repairs }),
        runTool: toolsAnswering({ a: { value: 1 }, b: { value: 2 } }).runTool,
        synthesize: async () => ({ answer: 'Done.', usage: ONE_CALL }),
      }),
      { goal: 'Two steps' },
    );
    expect(result.status).toBe('completed');
    const adopted = result.events.find((e) => e.type === 'plan-adopted')?.message ?? '';
    expect(adopted).toContain('repaired without the model');
    for (const repair of repairs) expect(adopted).toContain(repair);
  });

  it('fails the run with the problems when the plan stays invalid', async () => {
    let calls = 0;
    const unusable = async () => {
      calls++;
      return { issues: [{ stepId: 'a', message: 'args is not valid JSON' }], usage: ONE_CALL };
    };
    const result = await run(mockActivities({ createPlan: unusable, revisePlan: unusable }), { goal: 'Report' });
    expect(result.status).toBe('failed');
    expect(calls).toBe(3);
    expect(result.failure?.message).toBe(
      'the planner produced no valid plan in 3 attempts:\n- step "a": args is not valid JSON',
    );
    expect(result.steps).toEqual([]);
    expect(result.usage.llmCalls).toBe(3);
  });

  it('waits for approval, ignores a stale version, then runs', async () => {
    const tools = toolsAnswering(reportOutputs);
    const result = await run(
      mockActivities({
        createPlan: async () => planned(reportPlan),
        runTool: tools.runTool,
        synthesize: async () => ({ answer: 'ok', usage: ONE_CALL }),
      }),
      { goal: 'Report', approval: 'plan' },
      async (handle) => {
        const waiting = await until(handle, (s) => s.status === 'awaiting-approval');
        expect(waiting.plan?.version).toBe(1);
        expect(tools.calls).toEqual([]);
        await handle.signal(approvePlanSignal, { version: 7 });
        await until(handle, (s) => s.events.some((e) => e.type === 'signal-ignored'));
        expect((await handle.query(stateQuery)).status).toBe('awaiting-approval');
        await handle.signal(approvePlanSignal, { version: 1 });
      },
    );
    expect(result.status).toBe('completed');
    expect(tools.calls).toHaveLength(3);
    expect(result.events.find((e) => e.type === 'signal-ignored')?.message).toBe(
      'approvePlan {"version":7} ignored: plan v7 is not the plan awaiting approval (v1)',
    );
  });

  it('ends the run rejected, with nothing executed, when no approval comes within a day', async () => {
    const startedAt = await currentEnv().currentTimeMs();
    const tools = toolsAnswering(reportOutputs);
    const result = await run(mockActivities({ createPlan: async () => planned(reportPlan), runTool: tools.runTool }), {
      goal: 'Report',
      approval: 'plan',
      approvalTimeout: '1 day',
    });
    expect(result.status).toBe('rejected');
    expect(result.failure?.message).toBe('plan v1 was not approved within 1 day');
    expect(tools.calls).toEqual([]);
    expect(result.steps.every((s) => s.status === 'cancelled' && s.error === 'not run: the run ended rejected')).toBe(
      true,
    );
    expect((await currentEnv().currentTimeMs()) - startedAt).toBeGreaterThanOrEqual(24 * 3600 * 1000);
  });

  it('sends a rejected plan back with the feedback and runs the approved revision', async () => {
    const requests: CreatePlanInput[] = [];
    const onlyTotal: Plan = { steps: [reportPlan.steps[1]!] };
    const result = await run(
      mockActivities({
        createPlan: async (input) => {
          requests.push(input);
          return planned(reportPlan);
        },
        revisePlan: async (input) => {
          requests.push(input);
          return planned(onlyTotal);
        },
        runTool: toolsAnswering(reportOutputs).runTool,
        synthesize: async () => ({ answer: 'ok', usage: ONE_CALL }),
      }),
      { goal: 'Report', approval: 'plan' },
      async (handle) => {
        await until(handle, (s) => s.status === 'awaiting-approval');
        await handle.signal(rejectPlanSignal, { version: 1, feedback: 'Only the total, please.' });
        await until(handle, (s) => s.status === 'awaiting-approval' && s.plan?.version === 2);
        await handle.signal(approvePlanSignal, { version: 2 });
      },
    );
    expect(result.status).toBe('completed');
    expect(requests[1]?.revise).toEqual({ plan: reportPlan, issues: [], feedback: 'Only the total, please.' });
    expect(result.steps.map((s) => s.id)).toEqual(['total']);
    expect(result.planHistory.map((h) => [h.version, h.reason])).toEqual([
      [1, 'initial plan'],
      [2, 'revised after rejection: Only the total, please.'],
    ]);
  });

  it('retries a transient tool failure with backoff and counts the attempts', async () => {
    let attempts = 0;
    const result = await run(
      mockActivities({
        createPlan: async () => planned({ steps: [reportPlan.steps[1]!] }),
        runTool: async () => {
          attempts++;
          if (attempts < 3) throw ApplicationFailure.create({ type: ErrorType.ToolUnavailable, message: 'busy' });
          return { output: { value: 1 }, attempt: Context.current().info.attempt };
        },
        synthesize: async () => ({ answer: 'ok', usage: ONE_CALL }),
      }),
      { goal: 'Report' },
    );
    expect(result.status).toBe('completed');
    expect(result.steps[0]?.attempts).toBe(3);
    expect(result.usage.toolCalls).toBe(3);
  });

  it('ends partial when a step fails for good and no replans are left: dependents do not run', async () => {
    const tools = toolsAnswering({ count: reportOutputs.count });
    let failureSeen: string | undefined;
    const result = await run(
      mockActivities({
        createPlan: async () => planned(reportPlan),
        runTool: async (input) => {
          if (input.stepId === 'total') {
            throw ApplicationFailure.create({
              type: ErrorType.ToolFailed,
              nonRetryable: true,
              message: 'file is locked',
              details: [{ attempt: 1 }],
            });
          }
          return tools.runTool(input);
        },
        synthesize: async (input) => {
          failureSeen = input.failure;
          return { answer: 'Partial: counts only.', usage: ONE_CALL };
        },
      }),
      { goal: 'Report', maxReplans: 0 },
    );
    expect(result.status).toBe('partial');
    expect(result.answer).toBe('Partial: counts only.');
    expect(result.failure).toEqual({ stepId: 'total', message: 'file is locked; no replans left' });
    expect(failureSeen).toBe('file is locked; no replans left');
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['count', 'succeeded'],
      ['total', 'failed'],
      ['share', 'cancelled'],
    ]);
    expect(tools.calls.map((c) => c.stepId)).toEqual(['count']);
  });

  it('ends failed, without synthesizing, when no step succeeded', async () => {
    const result = await run(
      mockActivities({
        createPlan: async () => planned({ steps: [reportPlan.steps[1]!] }),
        runTool: async () => {
          throw ApplicationFailure.create({
            type: ErrorType.InvalidToolInput,
            nonRetryable: true,
            message: 'bad file',
          });
        },
      }),
      { goal: 'Report', maxReplans: 0 },
    );
    expect(result.status).toBe('failed');
    expect(result.answer).toBeUndefined();
    expect(result.failure).toEqual({ stepId: 'total', message: 'bad file; no replans left' });
  });

  it('fails a step whose reference cannot be resolved from the outputs', async () => {
    const tools = toolsAnswering({ count: { groups: [] }, total: { value: 0 } });
    const result = await run(
      mockActivities({
        createPlan: async () => planned(reportPlan),
        runTool: tools.runTool,
        synthesize: async () => ({ answer: 'ok', usage: ONE_CALL }),
      }),
      { goal: 'Report', maxReplans: 0 },
    );
    expect(result.status).toBe('partial');
    expect(result.steps[2]).toMatchObject({
      id: 'share',
      status: 'failed',
      attempts: 0,
      error: 'cannot resolve {{count.groups.0.value}}: groups is a list of 0, it has no item "0"',
    });
    expect(tools.calls).toHaveLength(2);
  });

  it('runs an open step through the executor with the results it depends on', async () => {
    const plan: Plan = {
      steps: [
        reportPlan.steps[1]!,
        { id: 'draft', title: 'Draft a summary', description: 'One line.', dependsOn: ['total'] },
      ],
    };
    let seen: unknown;
    const result = await run(
      mockActivities({
        createPlan: async () => planned(plan),
        runTool: toolsAnswering(reportOutputs).runTool,
        executeStep: async (input) => {
          seen = input;
          return { kind: 'answer', output: '120 tickets this week.', attempt: 1, usage: ONE_CALL };
        },
        synthesize: async () => ({ answer: 'ok', usage: ONE_CALL }),
      }),
      { goal: 'Report' },
    );
    expect(result.status).toBe('completed');
    expect(result.steps[1]?.output).toBe('120 tickets this week.');
    expect(seen).toMatchObject({
      goal: 'Report',
      step: { id: 'draft', title: 'Draft a summary', description: 'One line.' },
      inputs: [{ id: 'total', title: 'Count all', status: 'succeeded', output: { value: 120 } }],
      turns: [],
    });
    expect(result.usage.llmCalls).toBe(3);
  });

  it('returns cancelled with what was done when the run is cancelled', async () => {
    const plan: Plan = {
      steps: [
        reportPlan.steps[1]!,
        { id: 'slow', title: 'Slow', dependsOn: ['total'], tool: 'calculator', args: { expression: '1' } },
      ],
    };
    const result = await run(
      mockActivities({
        createPlan: async () => planned(plan),
        runTool: async (input) => {
          if (input.stepId === 'total') return { output: { value: 120 }, attempt: 1 };
          const ctx = Context.current();
          for (;;) {
            ctx.heartbeat();
            await ctx.sleep(50); // throws once the cancellation arrives with a heartbeat response
          }
        },
      }),
      { goal: 'Report' },
      async (handle) => {
        await until(handle, (s) => s.steps[1]?.status === 'running');
        await handle.cancel();
      },
    );
    expect(result.status).toBe('cancelled');
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['total', 'succeeded'],
      ['slow', 'cancelled'],
    ]);
    expect(result.steps[0]?.output).toEqual({ value: 120 });
  });

  it('ends cancelled only once every running step has stopped, the slowest to stop included', async () => {
    const slow = (id: string) => ({ id, title: id, dependsOn: [], tool: 'calculator', args: { expression: '1' } });
    let handle: Handle | undefined;
    const result = await run(
      mockActivities({
        createPlan: async () => planned({ steps: [slow('quick'), slow('lingering')] }),
        runTool: async (input) => {
          const ctx = Context.current();
          try {
            for (;;) {
              ctx.heartbeat();
              await ctx.sleep(50); // throws once the cancellation arrives with a heartbeat response
            }
          } finally {
            // One step takes a while to stop (cleaning up after its tool).
            if (input.stepId === 'lingering') await new Promise((resolve) => setTimeout(resolve, 1500));
          }
        },
      }),
      { goal: 'Two at once' },
      async (h) => {
        handle = h;
        await until(h, (s) => s.steps.length === 2 && s.steps.every((step) => step.status === 'running'));
        await h.cancel();
      },
    );
    expect(result.status).toBe('cancelled');
    expect(result.steps.map((s) => s.status)).toEqual(['cancelled', 'cancelled']);
    const events = (await handle!.fetchHistory()).events ?? [];
    const stopped = events.flatMap((e, i) => (e.activityTaskCanceledEventAttributes ? [i] : []));
    const ended = events.findIndex((e) => e.workflowExecutionCanceledEventAttributes);
    expect(stopped).toHaveLength(2);
    expect(Math.max(...stopped)).toBeLessThan(ended);
  });

  it('records one patch marker for all the changes of its release, and no other', async () => {
    const markers = (await twoStepHistory()).flatMap((e) => {
      const data = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
      return data ? [(JSON.parse(Buffer.from(data).toString()) as { id: string }).id] : [];
    });
    expect(markers).toEqual([RELEASE_0_10]);
  });

  it('fails at once, without retrying, when the input is invalid', async () => {
    const err = await run(mockActivities({}), { goal: '', maxParallel: 0 }).then(
      () => expect.unreachable(),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe(ErrorType.InvalidRunInput);
    expect(cause?.message).toBe(
      'invalid run input: goal: goal must not be empty; maxParallel: Too small: expected number to be >=1',
    );
  });
});

describe('search attributes', () => {
  it('are detected as missing on a server that lacks them, so runs there set none', async () => {
    expect(await registeredSearchAttributes(currentEnv().nativeConnection, 'default')).toEqual([]);
  });

  it('say a plain run is running as soon as it knows them, and how it ended', async () => {
    // Registered as `planwright setup` does (the test server takes them, though it does not list them); the
    // worker says they are there, as a worker on such a server would.
    await setupNamespace(currentEnv().connection, 'default');
    const history = await twoStepHistory({
      describeWorker: async () => ({
        tools: builtinTools.map(toolInfo),
        searchAttributes: ['PlanwrightStatus', 'PlanwrightReplans'],
      }),
    });
    // The history in order: each status set, and each step's tool finishing.
    const seen = history.flatMap((e) => {
      const status = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.PlanwrightStatus;
      if (status?.data) return [`status ${JSON.parse(Buffer.from(status.data).toString()) as string}`];
      return e.activityTaskCompletedEventAttributes ? ['activity done'] : [];
    });
    // planner, status running (with the first step), step a, step b, synthesizer, status completed
    expect(seen).toEqual([
      'activity done',
      'status running',
      'activity done',
      'activity done',
      'activity done',
      'status completed',
    ]);
  });
});

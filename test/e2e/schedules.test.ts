/**
 * Recurring goals on the dev server: a schedule of planwright runs, triggered twice; the second occurrence reuses
 * the first one's plan through the plan cache (the scripted model records no second planner request). Also what
 * `createRunSchedule` refuses before anything is created.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScheduleNotFoundError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { InvalidRunInputError } from '../../src/contract/run-input.js';
import { createFilePlanCache } from '../../src/plan-cache.js';
import { runResult } from '../../src/run-result.js';
import {
  createRunSchedule,
  deleteRunSchedule,
  describeRunSchedule,
  InvalidScheduleError,
  triggerRunSchedule,
} from '../../src/schedules.js';
import { startScriptedModel } from '../../src/testing/scripted-model.js';
import { TRIGGER_WAIT, planReply, scriptedModelWorker, untilScheduleIdle, wireStep } from '../support/e2e.js';
import { rejectionOf } from '../support/rejection.js';
import { unique } from '../support/temporal.js';
import { devServerSuite } from '../support/cli.js';

const env = devServerSuite();

const goal = 'Count this week’s support tickets';

describe('a schedule of runs', () => {
  it('starts planwright runs; the second occurrence reuses the plan without asking the planner', async () => {
    const model = await startScriptedModel({
      script: {
        plan: [planReply(wireStep('total', 'data_query', { file: 'support-tickets.csv' }))],
        synthesize: [{ content: '318 tickets.' }, { content: '318 tickets again.' }],
      },
    });
    const taskQueue = unique('schedule');
    const planCache = createFilePlanCache(await mkdtemp(path.join(tmpdir(), 'pw-schedule-plans-')));
    const worker = await scriptedModelWorker(env(), { taskQueue, url: model.url, planCache });
    const scheduleId = unique('weekly-count');
    const client = env().client;
    try {
      await worker.runUntil(async () => {
        // Paused, so only the triggers below start runs.
        await createRunSchedule(client, {
          scheduleId,
          spec: { every: '7d' },
          runInput: { goal },
          taskQueue,
          paused: true,
        });
        const described = await describeRunSchedule(client, scheduleId);
        expect(described).toMatchObject({ goal, taskQueue, overlap: 'skip', paused: true, runsStarted: 0 });
        expect(described.runInput).toMatchObject({ goal, planCache: true, maxReplans: 3 });
        expect(described.spec.every).toEqual([{ everyMs: 7 * 86_400_000, offsetMs: 0 }]);

        const first = await triggerRunSchedule(client, scheduleId, TRIGGER_WAIT);
        expect(first?.workflowId).toMatch(new RegExp(`^${scheduleId}-`));
        const firstResult = await runResult(client.workflow.getHandle(first!.workflowId));
        expect(firstResult).toMatchObject({ status: 'completed', answer: '318 tickets.' });
        expect(firstResult.planHistory.map((h) => h.reason)).toEqual(['initial plan']);

        await untilScheduleIdle(client, scheduleId);
        const second = await triggerRunSchedule(client, scheduleId, TRIGGER_WAIT);
        expect(second?.runId).not.toBe(first?.runId);
        const secondResult = await runResult(client.workflow.getHandle(second!.workflowId));
        expect(secondResult).toMatchObject({ status: 'completed', answer: '318 tickets again.' });
        expect(secondResult.planHistory.map((h) => h.reason)).toEqual(['initial plan, from the plan cache']);
        expect(secondResult.usage.llmCalls).toBe(1);

        expect(model.requests.map((r) => r.phase)).toEqual(['plan', 'synthesize', 'synthesize']);
        model.assertDone({ all: true });
        expect((await describeRunSchedule(client, scheduleId)).runsStarted).toBe(2);
      });
    } finally {
      await model.close();
    }
    await deleteRunSchedule(client, scheduleId);
    await rejectionOf(describeRunSchedule(client, scheduleId), ScheduleNotFoundError);
  });

  it('refuses run input or a spec that cannot work, before anything is created', async () => {
    const client = env().client;
    const scheduleId = unique('refused');
    const input = await rejectionOf(
      createRunSchedule(client, { scheduleId, spec: { every: '1h' }, runInput: { goal: 'x', maxReplans: 99 } }),
      InvalidRunInputError,
    );
    expect(input.problems).toEqual(['maxReplans: Too big: expected number to be <=50']);
    const noSpec = await rejectionOf(
      createRunSchedule(client, { scheduleId, spec: {}, runInput: { goal } }),
      InvalidScheduleError,
    );
    expect(noSpec.message).toBe('a schedule needs a cron expression or an interval (every)');
    const every = await rejectionOf(
      createRunSchedule(client, { scheduleId, spec: { every: 'soon' }, runInput: { goal } }),
      InvalidScheduleError,
    );
    expect(every.message).toBe(`every "soon" is not a duration such as '30s', '15m', '1h' or '7d'`);
    const cron = await rejectionOf(
      createRunSchedule(client, { scheduleId, spec: { cron: ['every monday'] }, runInput: { goal } }),
      InvalidScheduleError,
    );
    expect(cron.message).toMatch(/^the schedule was refused: .*CronString/);
    await rejectionOf(describeRunSchedule(client, scheduleId), ScheduleNotFoundError);
  });
});

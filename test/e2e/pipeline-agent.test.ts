/**
 * The data-pipeline agent end to end on the dev server, run as its demo runs it: a paused schedule of its goal,
 * triggered twice, with the real worker, activities and tools (reading and writing a copy of the example data),
 * the real plan cache over a folder, and the real `openai` client over HTTP to the scripted model. Its tools count
 * their own calls, so the test shows that no finished step ran twice.
 */
import { cp, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScheduleNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import pipelineTools from '../../examples/pipeline/tools.js';
import type { RunResult } from '../../src/contract/run-state.js';
import { PIPELINE_GOAL, PIPELINE_SCHEDULE, PIPELINE_WORKSPACE, pipelineScript } from '../../src/demo/pipeline.js';
import { createFilePlanCache } from '../../src/plan-cache.js';
import { runResult } from '../../src/run-result.js';
import { createRunSchedule, deleteRunSchedule, describeRunSchedule, triggerRunSchedule } from '../../src/schedules.js';
import { startScriptedModel } from '../../src/testing/scripted-model.js';
import { builtinTools } from '../../src/tools/builtin.js';
import { approvePlanUpdate } from '../../workflows/messages.js';
import { devServerSuite } from '../support/cli.js';
import { TRIGGER_WAIT, counting, recordHistory, scriptedModelWorker, untilScheduleIdle } from '../support/e2e.js';
import { rejectionOf } from '../support/rejection.js';
import { until } from '../support/run-workflow.js';
import { unique } from '../support/temporal.js';

const env = devServerSuite();

/** The activities a run scheduled, by type, from its history. */
async function activitiesIn(handle: WorkflowHandle): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const event of (await handle.fetchHistory()).events ?? []) {
    const type = event.activityTaskScheduledEventAttributes?.activityType?.name;
    if (type) counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

/** How many timers a run started (waiting for approval is one), from its history. */
async function timersIn(handle: WorkflowHandle): Promise<number> {
  return ((await handle.fetchHistory()).events ?? []).filter((e) => e.timerStartedEventAttributes).length;
}

const step = (result: RunResult, id: string) => result.steps.find((s) => s.id === id);
const eventsOf = (result: RunResult, type: string) =>
  result.events.filter((e) => e.type === type).map((e) => e.message);

describe('the data-pipeline agent on a schedule', () => {
  it('revises an invalid plan, is approved once, recovers from a failed check, and reuses the plan on its next run', async () => {
    const workspace = await mkdtemp(path.join(tmpdir(), 'pw-pipeline-'));
    await cp(PIPELINE_WORKSPACE, workspace, { recursive: true });
    const model = await startScriptedModel({ script: pipelineScript(2) });
    const { tools, counts } = counting([...builtinTools, ...pipelineTools]);
    const taskQueue = unique('pipeline');
    const planCache = createFilePlanCache(path.join(workspace, '.plans'));
    const worker = await scriptedModelWorker(env(), { taskQueue, url: model.url, tools, workspace, planCache });
    const client = env().client;
    const scheduleId = unique(PIPELINE_SCHEDULE.id);
    try {
      await worker.runUntil(async () => {
        const runInput = { goal: PIPELINE_GOAL, approval: 'plan' as const };
        await createRunSchedule(client, {
          scheduleId,
          spec: PIPELINE_SCHEDULE.spec,
          runInput,
          taskQueue,
          paused: true,
        });

        // Run 1: the planner's first plan is invalid and goes back with its problems; a person approves the revision.
        const first = client.workflow.getHandle(
          (await triggerRunSchedule(client, scheduleId, TRIGGER_WAIT))!.workflowId,
        );
        const asked = await until(first, (s) => s.status === 'awaiting-approval');
        const callsBeforeApproval = { ...counts.byTool };
        expect(await first.executeUpdate(approvePlanUpdate, { args: [{ version: 1 }] })).toBe('running');
        const run1 = await runResult(first);
        await recordHistory(first, 'pipeline-first-run');

        expect(run1.status).toBe('completed');
        expect(model.requests.slice(0, 2).map((r) => r.phase)).toEqual(['plan', 'plan']);
        expect(JSON.stringify(model.requests[1]?.messages)).toContain('depends on \\"validate\\", which is not a step');
        // The references missing from dependsOn were repaired by the planning activity, and the trace says so; the
        // unknown step needs the model, which is asked again.
        expect(eventsOf(run1, 'plan-invalid')).toEqual([
          "the planner's plan is invalid:\n" +
            '- step "daily": depends on "validate", which is not a step of this plan; repaired without the model: ' +
            'step "daily": added "clean" to dependsOn, as its args refer to it; ' +
            'step "load": added "daily" to dependsOn, as its args refer to it',
        ]);
        expect(run1.planHistory.map((h) => [h.version, h.reason])).toEqual([[1, 'initial plan']]);
        expect(await activitiesIn(first)).toMatchObject({ createPlan: 1, revisePlan: 1 });

        // The checkpoint: the valid plan waited for a person before any step ran, and ran once approved.
        expect(asked.plan?.steps.map((s) => [s.id, s.dependsOn])).toEqual([
          ['extract', []],
          ['clean', ['extract']],
          ['daily', ['clean']],
          ['load', ['daily']],
        ]);
        expect(callsBeforeApproval).toEqual({});
        expect(eventsOf(run1, 'plan-approved')).toEqual(['plan v1 approved']);
        expect(await timersIn(first)).toBe(1); // the approval's timeout

        // The strict cleaning rejected the tills' rows: its check failed, and its fallback normalized them.
        expect(eventsOf(run1, 'fallback')).toEqual([
          'clean failed (its output failed the check "$.rejectedShare <= 0.1": $.rejectedShare is 0.444, ' +
            'expected <= 0.1); trying fallback tool normalize_orders',
        ]);
        expect(step(run1, 'clean')).toMatchObject({ status: 'succeeded', attempts: 2 });
        expect(step(run1, 'clean')?.output).toMatchObject({
          rowsIn: 36,
          rowsOut: 33,
          rejectedShare: 0.056,
          converted: 14,
        });
        // The aggregation's criterion in words was judged by the model, in the check phase.
        expect(model.requests.map((r) => r.phase).slice(2)).toEqual(['check', 'synthesize']);
        expect(eventsOf(run1, 'step-checked')).toContain(
          'daily passed its check: 7 rows, one for each day from 2026-03-02 to 2026-03-08, none missing',
        );
        expect(step(run1, 'load')?.output).toMatchObject({ rowsWritten: 7, replacedRows: 0 });
        expect(run1.answer).toContain('| total          |     33 |   102 | 1095.80 | 683.80 | 412.00 |');
        expect(run1.answer).toContain('kept with their reasons in staging/orders-clean.rejected.csv');
        // Nothing finished ran twice: the extract was kept when the cleaning failed.
        expect(counts.byTool).toEqual({
          extract_orders: 1,
          clean_orders: 1,
          normalize_orders: 1,
          sql_query: 1,
          load_table: 1,
        });

        // Run 2: the approved plan comes from the plan cache; nobody is asked, and the planner is not called.
        await untilScheduleIdle(client, scheduleId);
        const second = client.workflow.getHandle(
          (await triggerRunSchedule(client, scheduleId, TRIGGER_WAIT))!.workflowId,
        );
        const run2 = await runResult(second);
        await recordHistory(second, 'pipeline-cached-run');

        expect(run2.status).toBe('completed');
        expect(run2.planHistory.map((h) => h.reason)).toEqual(['initial plan, from the plan cache']);
        expect(eventsOf(run2, 'plan-approved')).toEqual([
          'plan v1 approved: a person approved this plan for an earlier run',
        ]);
        expect(await timersIn(second)).toBe(0);
        const activities2 = await activitiesIn(second);
        expect(activities2).toMatchObject({ lookupPlan: 1, runTool: 5, checkOutput: 1, synthesize: 1 });
        expect(activities2).not.toHaveProperty('createPlan');
        expect(activities2).not.toHaveProperty('revisePlan');
        expect(run2.usage.llmCalls).toBe(2);
        expect(model.requests.map((r) => r.phase)).toEqual([
          'plan',
          'plan',
          'check',
          'synthesize',
          'check',
          'synthesize',
        ]);
        model.assertDone({ all: true });
        expect(step(run2, 'load')?.output).toMatchObject({ rowsWritten: 7, replacedRows: 7 });
        expect(run2.answer).toContain('replacing the 7 rows it held');

        const described = await describeRunSchedule(client, scheduleId);
        expect(described.runsStarted).toBe(2);
        expect(described.recentRuns.map((r) => r.workflowId)).toEqual([first.workflowId, second.workflowId]);
      });
    } finally {
      await model.close();
      await deleteRunSchedule(client, scheduleId).catch(() => undefined);
    }
    await rejectionOf(describeRunSchedule(client, scheduleId), ScheduleNotFoundError);
    expect(await readFile(path.join(workspace, 'warehouse/daily_revenue.csv'), 'utf8')).toBe(
      [
        'order_date,orders,items,revenue,web_revenue,store_revenue',
        '2026-03-02,5,16,119.4,76.9,42.5',
        '2026-03-03,4,8,113.4,64,49.4',
        '2026-03-04,3,7,123.8,89.8,34',
        '2026-03-05,5,11,141.4,96.5,44.9',
        '2026-03-06,5,8,191.7,108.7,83',
        '2026-03-07,6,45,274.9,169,105.9',
        '2026-03-08,5,7,131.2,78.9,52.3',
        '',
      ].join('\n'),
    );
  });
});

/**
 * `planwright schedule` through `main(argv)` against the dev server: create with the options of `start` and of a
 * schedule, list, describe, pause with a note, unpause, trigger (a real run on a worker), delete, and the
 * expected failures as one line with the documented exit code.
 */
import { describe, expect, it } from 'vitest';
import type { RunScheduleDescription } from '../../src/schedules.js';
import { runResult } from '../../src/run-result.js';
import { devServerSuite, scriptedWorker, terminal, useDevServer } from '../support/cli.js';
import { planReply, wireStep } from '../support/e2e.js';
import { unique } from '../support/temporal.js';

const env = devServerSuite();
const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at /);

/** The JSON the last command printed. */
function lastJson<T>(stdout: string, from: number): T {
  return JSON.parse(stdout.slice(from)) as T;
}

describe('planwright schedule', () => {
  it('creates a schedule with the options of start and of the schedule, and describes and lists it', async () => {
    const taskQueue = useDevServer();
    const t = terminal();
    const id = unique('cli-every');
    const code = await t.cli(
      'schedule',
      'create',
      id,
      'Write',
      'the weekly report',
      '--every',
      '1d',
      '--offset',
      '9h',
      '--jitter',
      '5m',
      '--overlap',
      'buffer-one',
      '--max-replans',
      '2',
      '--budget-cost',
      '0.5',
      '--json',
    );
    expect(t.stderr()).toBe('');
    expect(code).toBe(0);
    const created = lastJson<RunScheduleDescription>(t.stdout(), 0);
    expect(created).toMatchObject({
      scheduleId: id,
      goal: 'Write the weekly report',
      taskQueue,
      overlap: 'buffer-one',
      paused: false,
      spec: { every: [{ everyMs: 86_400_000, offsetMs: 9 * 3_600_000 }], jitterMs: 300_000 },
    });
    expect(created.runInput).toMatchObject({ maxReplans: 2, budget: { cost: 0.5 }, planCache: true });
    expect(created.nextRuns[0]).toMatch(/T09:0\d:\d\d/); // 09:00 UTC, plus up to 5 minutes of jitter

    const cronId = unique('cli-cron');
    const at = t.stdout().length;
    expect(
      await t.cli(
        'schedule',
        'create',
        cronId,
        'Count',
        '--cron',
        '0 8 * * MON',
        '--cron',
        '0 8 * * THU',
        '--timezone',
        'Europe/Berlin',
        '--plan-cache',
        'off',
        '--paused',
        '--note',
        'starts in January',
      ),
    ).toBe(0);
    const human = t.stdout().slice(at);
    expect(human).toContain(`created schedule ${cronId}\nSchedule ${cronId} · paused · note: starts in January`);
    expect(human).toContain(
      'When: cron "0 8 * * MON" (Europe/Berlin) + cron "0 8 * * THU" (Europe/Berlin) · overlap skip',
    );
    expect(human).toContain('plan cache off');
    expect(human).toContain('Next: (paused)');

    const describedAt = t.stdout().length;
    expect(await t.cli('schedule', 'describe', id)).toBe(0);
    expect(t.stdout().slice(describedAt)).toContain(
      `When: every 1d offset 9h · overlap buffer-one · jitter 5m\n  Runs: task queue "${taskQueue}" · plan cache on (7 days) · ` +
        'approval none · escalation replan · max replans 2 · budget $0.50',
    );

    // Listing is eventually consistent: wait for both to show.
    let listed: RunScheduleDescription[] = [];
    for (let i = 0; i < 100 && listed.filter((s) => [id, cronId].includes(s.scheduleId)).length < 2; i++) {
      const from = t.stdout().length;
      expect(await t.cli('schedule', 'list', '--json')).toBe(0);
      listed = lastJson(t.stdout(), from);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(listed.map((s) => s.scheduleId)).toEqual(expect.arrayContaining([id, cronId]));
    const lineAt = t.stdout().length;
    expect(await t.cli('schedule', 'list')).toBe(0);
    expect(t.stdout().slice(lineAt)).toMatch(new RegExp(`${cronId}  paused  cron "0 8 \\* \\* MON"`));

    for (const schedule of [id, cronId]) expect(await t.cli('schedule', 'delete', schedule)).toBe(0);
    expect(t.stderr()).toBe('');
  });

  it('pauses with a note, unpauses, triggers a run that a worker runs, and deletes', async () => {
    const taskQueue = useDevServer();
    const t = terminal();
    const id = unique('cli-trigger');
    expect(await t.cli('schedule', 'create', id, 'Count the tickets', '--every', '7d')).toBe(0);

    expect(await t.cli('schedule', 'pause', id, '--note', 'holidays')).toBe(0);
    expect(t.stdout()).toContain(`paused schedule ${id} (holidays); no run starts until it is unpaused`);
    let at = t.stdout().length;
    expect(await t.cli('schedule', 'describe', id, '--json')).toBe(0);
    expect(lastJson<RunScheduleDescription>(t.stdout(), at)).toMatchObject({ paused: true, note: 'holidays' });

    expect(await t.cli('schedule', 'unpause', id)).toBe(0);
    expect(t.stdout()).toMatch(new RegExp(`unpaused schedule ${id}; next run \\d{4}-`));

    const { worker, model } = await scriptedWorker(env(), taskQueue, {
      plan: [planReply(wireStep('total', 'data_query', { file: 'support-tickets.csv' }))],
      synthesize: [{ content: '318 tickets.' }],
    });
    const started = await worker.runUntil(async () => {
      at = t.stdout().length;
      expect(await t.cli('schedule', 'trigger', id, '--json')).toBe(0);
      const { started: run } = lastJson<{ started: { workflowId: string } }>(t.stdout(), at);
      return { run, result: await runResult(env().client.workflow.getHandle(run.workflowId)) };
    });
    await model.close();
    expect(started.run.workflowId).toMatch(new RegExp(`^${id}-`));
    expect(started.result.status).toBe('completed');

    at = t.stdout().length;
    expect(await t.cli('schedule', 'describe', id)).toBe(0);
    expect(t.stdout().slice(at)).toContain(`Started 1 run`);
    expect(t.stdout().slice(at)).toContain(started.run.workflowId);

    expect(await t.cli('schedule', 'delete', id)).toBe(0);
    expect(t.stdout()).toContain(`deleted schedule ${id}; the runs it started are kept`);
    expect(t.stderr()).toBe('');
  });

  it('reports expected failures on one line with the documented exit code', async () => {
    useDevServer();
    const t = terminal();
    const id = unique('cli-fail');
    expect(await t.cli('schedule', 'create', id, 'Count')).toBe(2);
    expect(await t.cli('schedule', 'create', id, 'Count', '--every', '1h', '--max-replans=99')).toBe(2);
    expect(await t.cli('schedule', 'create', id, 'Count', '--every', '1h', '--overlap', 'sometimes')).toBe(2);
    expect(await t.cli('schedule', 'create', id, 'Count', '--cron', 'every monday')).toBe(2);
    expect(await t.cli('schedule', 'create', id, 'Count', '--every', 'soon')).toBe(2);
    expect(await t.cli('schedule', 'describe', id)).toBe(1);
    expect(await t.cli('schedule', 'frobnicate', id)).toBe(2);
    expect(await t.cli('schedule', 'create', id, 'Count', '--every', '1h')).toBe(0);
    expect(await t.cli('schedule', 'create', id, 'Count again', '--every', '1h')).toBe(2);
    expect(await t.cli('schedule', 'delete', id)).toBe(0);

    const lines = t
      .stderr()
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('Run "planwright help"'));
    expect(lines).toEqual([
      'planwright: schedule create needs --every DURATION or --cron EXPRESSION (or both)',
      'planwright: invalid run input: --max-replans=99: Too big: expected number to be <=50',
      'planwright: --overlap=sometimes: use one of skip, buffer-one, buffer-all, cancel-other, terminate-other, allow-all',
      expect.stringMatching(/^planwright: the schedule was refused: .*CronString/),
      `planwright: every "soon" is not a duration such as '30s', '15m', '1h' or '7d'`,
      `planwright: no schedule with id ${id} in namespace "default"`,
      'planwright: schedule needs a subcommand: create, list, describe, pause, unpause, trigger, delete (not "frobnicate")',
      `planwright: a schedule with id ${id} already exists; pick another id or see \`planwright schedule describe ${id}\``,
    ]);
    noStack(t.stderr());
  });

  it('leaves schedules that start other workflows alone', async () => {
    useDevServer();
    const t = terminal();
    const id = unique('not-planwright');
    await env().client.schedule.create({
      scheduleId: id,
      spec: { intervals: [{ every: '1d' }] },
      action: { type: 'startWorkflow', workflowType: 'somethingElse', taskQueue: 'elsewhere', args: [] },
      state: { paused: true },
    });
    try {
      expect(await t.cli('schedule', 'delete', id)).toBe(1);
      expect(t.stderr()).toBe(
        `planwright: schedule ${id} does not start planwright runs (its action is not planAndExecute); leave it alone\n`,
      );
      await env().client.schedule.getHandle(id).describe(); // still there
    } finally {
      await env().client.schedule.getHandle(id).delete();
    }
  });
});

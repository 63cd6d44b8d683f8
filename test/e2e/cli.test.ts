/**
 * The `planwright` command line through `main(argv)` against the dev server: every start option, expected
 * failures as one message with the documented exit code, the commands that answer a run waiting for a person,
 * the model's retries, and `setup`.
 */
import type { Connection } from '@temporalio/client';
import { RawValue } from '@temporalio/common';
import { describe, expect, it, vi } from 'vitest';
import { startLocalTemporal } from '../../src/temporal/local-server.js';
import type { RunInput } from '../../src/contract/run-input.js';
import type { Script } from '../../src/testing/scripted-model.js';
import { devServerSuite, scriptedWorker as scriptedWorkerOn, terminal, until, useDevServer } from '../support/cli.js';
import { planReply, wireStep } from '../support/e2e.js';
import { timeSkippingEnv, unique } from '../support/temporal.js';
import type { planAndExecute } from '../../workflows/index.js';
import { WORKFLOW_TYPE } from '../../workflows/messages.js';

const env = devServerSuite();

/** A planwright worker on `taskQueue` with the scripted model. */
const scriptedWorker = (taskQueue: string, script: Script) => scriptedWorkerOn(env(), taskQueue, script);

const count = (id: string, file = 'support-tickets.csv') => wireStep(id, 'data_query', { file });
const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at /);

describe('planwright start', () => {
  it('passes every RunInput option to the run', async () => {
    useDevServer();
    const t = terminal();
    const id = unique('cli-options');
    const code = await t.cli(
      'start',
      'Count the tickets',
      '--id',
      id,
      '--approval',
      'plan',
      '--escalation',
      'human',
      '--max-replans',
      '5',
      '--review',
      'every-step',
      '--budget-calls',
      '10',
      '--budget-tokens',
      '5000',
      '--plan-cache',
      '2h',
      '--approval-timeout',
      '30m',
      '--json',
    );
    expect(t.stderr()).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(t.stdout())).toMatchObject({ workflowId: id });
    const history = await env().client.workflow.getHandle(id).fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
    expect(JSON.parse(Buffer.from(payload!).toString())).toMatchObject({
      goal: 'Count the tickets',
      approval: 'plan',
      escalation: 'human',
      maxReplans: 5,
      review: 'every-step',
      budget: { llmCalls: 10, tokens: 5000 },
      planCache: { ttl: '2h' },
      approvalTimeout: '30m',
    });
    await env().client.workflow.getHandle(id).terminate('test over');
  });

  it('refuses an id that is taken with a message and exit code 2, not a stack trace', async () => {
    useDevServer();
    const t = terminal();
    const id = unique('cli-dup');
    expect(await t.cli('start', 'Count', '--id', id)).toBe(0);
    expect(await t.cli('start', 'Count again', '--id', id)).toBe(2);
    // An id names one run, even once that run has ended.
    await env().client.workflow.getHandle(id).terminate('test over');
    expect(await t.cli('start', 'Count once more', '--id', id)).toBe(2);
    const message = `planwright: a run with id ${id} already exists; pick another --id or see \`planwright status ${id}\`\n`;
    expect(t.stderr()).toBe(message.repeat(2));
  });

  it('--wait prints the commands that answer a plan waiting for approval, and the run goes on once approved', async () => {
    const taskQueue = useDevServer();
    const t = terminal();
    const id = unique('cli-approve');
    const { worker, model } = await scriptedWorker(taskQueue, {
      plan: [planReply(count('total'))],
      synthesize: [{ content: '318 tickets.' }],
    });
    const code = await worker.runUntil(async () => {
      const started = t.cli('start', 'Count the tickets', '--approval', 'plan', '--id', id, '--wait');
      await until(() => t.stdout().includes(`planwright approve ${id}`), 'the approval hint');
      expect(t.stdout()).toContain(`planwright reject ${id} --feedback "…"`);

      // status shows the same hint while the run waits.
      expect(await t.cli('status', id)).toBe(0);
      expect(t.stdout().split(`planwright approve ${id}`)).toHaveLength(3);

      expect(await t.cli('approve', id)).toBe(0);
      return started;
    });
    await model.close();
    expect(t.stdout()).toContain(`approved plan v1 of ${id}`);
    expect(t.stdout()).toContain('Status: completed');
    expect(code).toBe(0);
  });

  it('--wait prints the command that decides about an escalated step', async () => {
    const taskQueue = useDevServer();
    const t = terminal();
    const id = unique('cli-resolve');
    const { worker, model } = await scriptedWorker(taskQueue, {
      plan: [planReply(count('total'), count('last_year', 'last-year.csv'))],
      synthesize: [{ content: 'This week: 318 tickets.' }],
    });
    const code = await worker.runUntil(async () => {
      const started = t.cli('start', 'Compare', '--escalation', 'human', '--max-parallel', '1', '--id', id, '--wait');
      await until(() => t.stdout().includes(`planwright resolve ${id} last_year retry|skip|replan|abort`), 'the hint');
      expect(await t.cli('resolve', id, 'last_year', 'skip')).toBe(0);
      return started;
    });
    await model.close();
    expect(t.stdout()).toContain('Step last_year failed and waits for your decision');
    expect(t.stdout()).toContain('Status: partial');
    expect(code).toBe(1);
  });

  it('--wait shows the model being retried, with the last failure', async () => {
    const taskQueue = useDevServer();
    const t = terminal();
    const { worker, model } = await scriptedWorker(taskQueue, {
      plan: [{ fault: { status: 500, message: 'the model is overloaded' } }, planReply(count('total'))],
      synthesize: [{ content: '318 tickets.' }],
    });
    const code = await worker.runUntil(t.cli('start', 'Count the tickets', '--wait'));
    await model.close();
    expect(t.stdout()).toMatch(/retrying the model \(attempt 2\): .*overloaded/);
    expect(t.stdout().match(/retrying the model/g)).toHaveLength(1);
    expect(code).toBe(0);
  });
});

describe('expected failures', () => {
  it('status of a run no worker serves says so at once (exit 1)', async () => {
    useDevServer();
    const t = terminal();
    const id = unique('cli-noworker');
    expect(await t.cli('start', 'Count', '--id', id)).toBe(0);
    const started = Date.now();
    expect(await t.cli('status', id)).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(t.stderr()).toContain('no worker is polling task queue');
    expect(t.stderr()).toContain('planwright worker');
    noStack(t.stderr());
    await env().client.workflow.getHandle(id).terminate('test over');
  });

  it('result and watch of a terminated run say so (exit 1), with no stack trace', async () => {
    useDevServer();
    const t = terminal();
    const id = unique('cli-terminated');
    expect(await t.cli('start', 'Count', '--id', id)).toBe(0);
    await env().client.workflow.getHandle(id).terminate('stopped by hand');
    expect(await t.cli('result', id)).toBe(1);
    expect(await t.cli('watch', id)).toBe(1);
    expect(await t.cli('status', id)).toBe(1);
    expect(t.stderr().split(`planwright: run ${id} was terminated: stopped by hand\n`)).toHaveLength(4);
    noStack(t.stderr());
  });

  it('start --wait exits 3 when the server goes away', async () => {
    const temporal = await startLocalTemporal();
    let stopped = false;
    try {
      vi.stubEnv('TEMPORAL_ADDRESS', temporal.address);
      vi.stubEnv('PLANWRIGHT_TASK_QUEUE', unique('cli-gone'));
      const t = terminal();
      const waiting = t.cli('start', 'Count', '--wait');
      await until(() => t.stdout().includes('no worker is polling task queue'), 'the run to start', 30_000);
      stopped = true;
      await temporal.stop();
      expect(await waiting).toBe(3);
      expect(t.stderr()).toMatch(/^planwright: cannot reach Temporal at 127\.0\.0\.1:\d+: /);
      noStack(t.stderr());
    } finally {
      if (!stopped) await temporal.stop();
    }
  }, 90_000);

  it('result of a run another client started with a context nested thousands deep: failed at once, saying why', async () => {
    const taskQueue = useDevServer();
    const id = unique('cli-deep-context');
    // JSON as another SDK or `temporal workflow start` sends it (the TypeScript client would not stringify it).
    const json = `${'{"a":'.repeat(5000)}"leaf"${'}'.repeat(5000)}`;
    const input = RawValue.fromPayload({
      metadata: { encoding: new TextEncoder().encode('json/plain') },
      data: new TextEncoder().encode(`{"goal":"Count","context":${json}}`),
    });
    const handle = await env().client.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
      args: [input as unknown as RunInput],
      taskQueue,
      workflowId: id,
    });
    const { worker, model } = await scriptedWorker(taskQueue, {});
    try {
      // Before the limit, the workflow task failed again and again: the run never ended.
      const ended = handle.result().then(
        () => 'completed',
        () => 'failed',
      );
      const waited = new Promise((resolve) => setTimeout(() => resolve('still running'), 20_000));
      expect(await worker.runUntil(Promise.race([ended, waited]))).toBe('failed');
    } finally {
      await model.close();
      await handle.terminate('test over').catch(() => undefined);
    }
    const t = terminal(); // After the worker, whose log goes to stderr too.
    expect(await t.cli('result', id)).toBe(1);
    expect(t.stderr()).toBe(
      `planwright: run ${id} failed: invalid run input: context: it is nested more than 32 levels deep; ` +
        'flatten it (at most 32 levels of objects and arrays)\n',
    );
  }, 60_000);

  it('exits 3 when Temporal cannot be reached at all', async () => {
    vi.stubEnv('TEMPORAL_ADDRESS', '127.0.0.1:1');
    const t = terminal();
    expect(await t.cli('status', 'some-run')).toBe(3);
    expect(t.stderr()).toMatch(/^planwright: cannot reach Temporal at 127\.0\.0\.1:1: /);
  });
});

describe('planwright setup', () => {
  it('finds the attributes already registered on the dev server', async () => {
    useDevServer();
    const t = terminal();
    expect(await t.cli('setup')).toBe(0);
    expect(t.stdout()).toContain('Namespace "default": exists');
    expect(t.stdout()).toContain(
      'Search attributes: ok, already registered: PlanwrightStatus (Keyword), PlanwrightReplans (Int)',
    );
  });

  it('creates a namespace that lacks them and registers them, once', async () => {
    useDevServer();
    const namespace = unique('cli-setup');
    vi.stubEnv('TEMPORAL_NAMESPACE', namespace);
    const t = terminal();
    expect(await t.cli('setup')).toBe(0);
    expect(t.stdout()).toContain(`Namespace "${namespace}": created (retention 3 days)`);
    expect(t.stdout()).toContain('Search attributes: registered PlanwrightStatus (Keyword), PlanwrightReplans (Int)');
    expect(await t.cli('setup', '--json')).toBe(0);
    expect(t.stdout()).toContain('"state": "present"');
    const connection = env().connection as Connection;
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    expect(customAttributes).toMatchObject({ PlanwrightStatus: 2, PlanwrightReplans: 3 });
  });

  it('works against a server that does not list search attributes (the time-skipping server)', async () => {
    const timeSkipping = await timeSkippingEnv();
    try {
      vi.stubEnv('TEMPORAL_ADDRESS', (timeSkipping as unknown as { address: string }).address);
      const t = terminal();
      expect(await t.cli('setup')).toBe(0);
      expect(t.stdout()).toContain('Search attributes: registered PlanwrightStatus (Keyword), PlanwrightReplans (Int)');
    } finally {
      await timeSkipping.teardown();
    }
  });
});

describe('planwright status of a finished run', () => {
  it('reads the result when the run is over, with no worker needed', async () => {
    const taskQueue = useDevServer();
    const t = terminal();
    const id = unique('cli-finished');
    const { worker, model } = await scriptedWorker(taskQueue, {
      plan: [planReply(count('total'))],
      synthesize: [{ content: '318 tickets.' }],
    });
    await worker.runUntil(async () => {
      expect(await t.cli('start', 'Count', '--id', id, '--wait')).toBe(0);
    });
    await model.close();
    const started = Date.now();
    expect(await t.cli('status', id)).toBe(0); // The worker is gone: a query would wait 30 s for one.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(t.stdout()).toContain('Status: completed');
  });
});

/**
 * Runs at the size users run them: large outputs, long plans across continue-as-new, oversized messages.
 * The history stays small, every step runs once, and a step's whole output can still be had.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { main } from '../../src/cli/main.js';
import { isOutputRef } from '../../src/contract/output.js';
import { createFileOutputStore } from '../../src/outputs/file.js';
import { createOutputKeeper } from '../../src/outputs/keeper.js';
import type { OutputStore } from '../../src/outputs/store.js';
import { defineTool } from '../../src/tools/define.js';
import type { planAndExecute } from '../../workflows/index.js';
import { approvePlanSignal, approvePlanUpdate, stateQuery } from '../../workflows/messages.js';
import { planReply, runScenario, waitTool, wireStep } from '../support/e2e.js';
import { devServerEnv } from '../support/temporal.js';
import { rejectionOf } from '../support/rejection.js';

/** Returns a text of the given size, so a step's output is as large as asked. */
const blob = defineTool({
  name: 'blob',
  description: 'Returns a text of the given number of characters.',
  input: z.object({ label: z.string(), chars: z.number().int().min(0) }),
  run: ({ label, chars }) => ({ label, text: `${label}:`.padEnd(chars, 'x') }),
});

/** Measures a value it is given whole: proves a large output reaches a tool step through the activity. */
const measure = defineTool({
  name: 'measure',
  description: 'Says how many characters the JSON text of a value has.',
  input: z.object({ label: z.string(), value: z.unknown() }),
  run: ({ label, value }) => ({ label, chars: JSON.stringify(value).length }),
});

let env: TestWorkflowEnvironment;
let dir: string;
let store: OutputStore;
beforeAll(async () => {
  env = await devServerEnv();
  dir = await mkdtemp(path.join(tmpdir(), 'planwright-real-size-'));
  store = createFileOutputStore(dir);
});
afterAll(async () => {
  await env?.teardown();
  await rm(dir, { recursive: true, force: true });
});

/** The size of the whole history and of its largest event, in bytes as the server keeps them. */
async function historySize(handle: WorkflowHandle): Promise<{ total: number; largest: number; events: number }> {
  const history = await handle.fetchHistory();
  const sizes = (history.events ?? []).map((e) => temporal.api.history.v1.HistoryEvent.encode(e).finish().length);
  return { total: sizes.reduce((a, b) => a + b, 0), largest: Math.max(...sizes), events: sizes.length };
}

const id = (i: number) => `s${String(i).padStart(3, '0')}`;

describe('runs at real size', () => {
  it('completes 100 steps of 200 kB with a small history, a budgeted answer and every output to be had', async () => {
    const steps = Array.from({ length: 100 }, (_, i) => wireStep(id(i), 'blob', { label: id(i), chars: 200_000 }));
    const check = wireStep('check', 'measure', { label: 'check', value: '{{s057}}' }, { dependsOn: ['s057'] });
    const { result, handle, model, counts } = await runScenario(env, 'hundred-large-outputs', {
      script: { plan: [planReply(...steps, check)], synthesize: [{ content: 'All pages read.' }] },
      input: { goal: 'Read a hundred large pages', maxSteps: 101, maxParallel: 8 },
      model: { maxTokens: { plan: 16_000 } },
      tools: [blob, measure],
      outputStore: store,
    });

    expect(result.status).toBe('completed');
    expect(Object.values(counts.byKey).every((n) => n === 1)).toBe(true);
    expect(Object.keys(counts.byKey)).toHaveLength(101);
    // The big output reached the tool step that referenced it, whole.
    const page = JSON.stringify({ label: 's057', text: 's057:'.padEnd(200_000, 'x') });
    expect(result.steps.find((s) => s.id === 'check')?.output).toEqual({ label: 'check', chars: page.length });

    const size = await historySize(handle);
    expect(size.total).toBeLessThan(1_000_000);
    expect(size.largest).toBeLessThan(64_000);
    expect(JSON.stringify(result).length).toBeLessThan(64_000);

    const synthesis = model.requests.find((r) => r.phase === 'synthesize');
    const sent = (synthesis?.messages ?? []).reduce((n, m) => n + String(m.content).length, 0);
    expect(sent).toBeLessThanOrEqual(8000 * 4);
    expect(JSON.stringify(synthesis?.messages)).toContain('{{s099}}');

    const s057 = result.steps.find((s) => s.id === 's057')?.output;
    expect(isOutputRef(s057)).toBe(true);
    const whole = (await createOutputKeeper(store).load(s057 ?? null)) as { text: string };
    expect(whole.text).toHaveLength(200_000);
    expect(whole.text.startsWith('s057:x')).toBe(true);
  });

  it('prints a stored step output whole with planwright result --output', async () => {
    const { handle } = await runScenario(env, 'result-output', {
      script: {
        plan: [planReply(wireStep('page', 'blob', { label: 'page', chars: 50_000 }))],
        synthesize: [{ content: 'ok' }],
      },
      input: { goal: 'Read one page' },
      tools: [blob],
      outputStore: store,
    });
    const written: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
    vi.stubEnv('TEMPORAL_ADDRESS', env.connection.options.address as string);
    vi.stubEnv('PLANWRIGHT_OUTPUT_STORE', dir);
    try {
      expect(await main(['result', handle.workflowId, '--output', 'page'])).toBe(0);
      await expect(main(['result', handle.workflowId, '--output', 'nope'])).rejects.toThrow(
        /has no step "nope"; its steps: page/,
      );
    } finally {
      write.mockRestore();
      vi.unstubAllEnvs();
    }
    const printed = JSON.parse(written.join('')) as { text: string };
    expect(printed.text).toHaveLength(50_000);
  });

  it('completes 1,000 steps of 10 kB across continue-as-new, each step run once', async () => {
    const steps = Array.from({ length: 1000 }, (_, i) =>
      wireStep(
        `t${i}`,
        'blob',
        { label: `t${i}`, chars: 10_000 },
        { dependsOn: i % 10 === 0 || i === 0 ? [] : [`t${i - 1}`] },
      ),
    );
    const { result, handle, counts } = await runScenario(env, 'thousand-steps', {
      script: { plan: [planReply(...steps)], synthesize: [{ content: 'All done.' }] },
      input: { goal: 'A thousand small pages', maxSteps: 1000, maxParallel: 16, historyLimit: 2000 },
      model: { maxTokens: { plan: 100_000 } },
      record: false,
      tools: [blob],
      outputStore: store,
    });
    expect(result.status).toBe('completed');
    expect(result.steps.filter((s) => s.status === 'succeeded')).toHaveLength(1000);
    expect(Object.keys(counts.byKey)).toHaveLength(1000);
    expect(Object.entries(counts.byKey).filter(([, n]) => n !== 1)).toEqual([]);
    const runs = [];
    for await (const run of env.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) {
      runs.push(await historySize(env.client.workflow.getHandle(run.workflowId, run.runId)));
    }
    expect(runs.length).toBeGreaterThan(1);
    // What crosses continue-as-new holds references, not outputs: no event comes near the 2 MB payload limit.
    expect(Math.max(...runs.map((r) => r.largest))).toBeLessThan(1_000_000);
  }, 300_000);

  it('refuses signals and updates of 3 MB cleanly; the run goes on and its result is intact', async () => {
    const huge = 'x'.repeat(3_000_000);
    const big = 'y'.repeat(1_200_000);
    const { result } = await runScenario(env, 'oversized-messages', {
      script: {
        plan: [planReply(wireStep('only', 'wait', { label: 'only', ms: 50 }))],
        synthesize: [{ content: 'Done.' }],
      },
      input: { goal: 'One short step', approval: 'plan' },
      record: false,
      tools: [waitTool],
      during: async (h) => {
        const handle = h as WorkflowHandle<typeof planAndExecute>;
        for (let i = 0; i < 50 && (await handle.query(stateQuery)).status !== 'awaiting-approval'; i++) {
          await new Promise((r) => setTimeout(r, 100));
        }
        const args = [{ version: 1, junk: huge }] as unknown as [{ version: number }];
        // The server refuses a signal over its payload limit; the run refuses an update over its own, at once.
        const signal = await rejectionOf(handle.signal(approvePlanSignal, ...args), Error);
        expect(signal.message).toMatch(/Failed to signal/);
        // The run's validator refuses it (the dev server then fails the call rather than record a 3 MB refusal).
        const update = await rejectionOf(handle.executeUpdate(approvePlanUpdate, { args }), Error);
        expect(update.message).toMatch(/Update failed/);
        expect((await handle.query(stateQuery)).status).toBe('awaiting-approval');
        // Under the server's limit but far over what the state keeps: refused, recorded in short.
        for (let i = 0; i < 3; i++) await handle.signal(approvePlanSignal, { version: 7, junk: big } as never);
        await handle.executeUpdate(approvePlanUpdate, { args: [{ version: 1 }] });
      },
    });
    expect(result.status).toBe('completed');
    expect(result.answer).toBe('Done.');
    const ignored = result.events.filter((e) => e.type === 'signal-ignored');
    expect(ignored).toHaveLength(3);
    expect(ignored.every((e) => e.message.length < 600)).toBe(true);
    expect(JSON.stringify(result).length).toBeLessThan(20_000);
  });
});

/**
 * The support-report run end to end on the Temporal dev server (real worker, activities and tools, the real
 * `openai` client over HTTP to the scripted model), and the demo command as a user runs it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_GOAL, DEMO_PLAN, DEMO_WORKSPACE, demoScript } from '../../src/demo/support-report.js';
import type { RunResult } from '../../src/contract/run-state.js';
import { runScenario } from '../support/e2e.js';
import { devServerEnv } from '../support/temporal.js';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await devServerEnv();
});
afterAll(async () => {
  await env?.teardown();
});

/** The facts the report should state, computed here straight from the CSV. */
function factsFromCsv() {
  const [header, ...rows] = readFileSync(path.join(DEMO_WORKSPACE, 'support-tickets.csv'), 'utf8').trim().split('\n');
  const intentAt = header!.split(',').indexOf('intent');
  const counts = new Map<string, number>();
  for (const row of rows) {
    const intent = row.split(',')[intentAt]!;
    counts.set(intent, (counts.get(intent) ?? 0) + 1);
  }
  const [top, topCount] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
  return { total: rows.length, top, topCount, share: Math.round((topCount / rows.length) * 1000) / 10 };
}

describe('the support-report run, end to end', () => {
  it('plans, runs every step once in parallel waves, and reports the figures in the data', async () => {
    const { result, model, counts } = await runScenario(env, 'support-report', {
      script: demoScript(),
      input: { goal: DEMO_GOAL },
    });
    const facts = factsFromCsv();

    expect(result.status).toBe('completed');
    expect(result.steps.map((s) => [s.id, s.status])).toEqual(DEMO_PLAN.steps.map((s) => [s.id, 'succeeded']));
    expect(counts.byTool).toEqual({ data_query: 4, calculator: 1 });
    expect(result.usage.toolCalls).toBe(5);
    expect(result.usage.llmCalls).toBe(2);
    expect(result.answer).toContain(`**${facts.total} tickets**`);
    expect(result.answer).toContain(
      `**Top intent: ${facts.top.replace(/_/g, ' ')}**, ${facts.topCount} tickets (${facts.share}% of all)`,
    );
    expect(result.answer).toContain('## Recommendation');
    expect(model.requests.map((r) => r.phase)).toEqual(['plan', 'synthesize']);
    model.assertDone({ all: true });

    // The three independent steps started before any dependent one did.
    const starts = result.events.filter((e) => e.type === 'step-started').map((e) => e.stepId);
    expect(starts.slice(0, 3).sort()).toEqual(['overall_csat', 'tickets_per_intent', 'week_total']);
  });

  it("starts at once on a worker that shares the client's connection (eager start), as the demo starts it", async () => {
    const { result, eagerlyStarted, handle } = await runScenario(env, 'support-report-eager', {
      script: demoScript(),
      input: { goal: DEMO_GOAL },
      eagerStart: true,
      record: false,
    });
    expect(eagerlyStarted).toBe(true);
    expect(result.status).toBe('completed');
    // A client on the worker's connection follows the run as any other does.
    expect((await handle.describe()).status.name).toBe('COMPLETED');
  });

  it('ends partial with an honest answer when a step cannot read its file', async () => {
    const plan = structuredClone(DEMO_PLAN);
    plan.steps[2]!.args = JSON.stringify({ file: 'last-year.csv', aggregate: { op: 'avg', field: 'csat' } });
    const { result, counts } = await runScenario(env, 'support-report-missing-file', {
      script: {
        plan: [{ content: plan }],
        synthesize: [{ content: 'Partial report: satisfaction could not be computed.' }],
      },
      input: { goal: DEMO_GOAL, maxReplans: 0 },
    });
    expect(result.status).toBe('partial');
    expect(result.failure).toEqual({
      stepId: 'overall_csat',
      message: 'data_query failed: "last-year.csv" does not exist in the workspace; no replans left',
    });
    expect(result.steps.find((s) => s.id === 'overall_csat')).toMatchObject({ status: 'failed', attempts: 1 });
    expect(result.answer).toBe('Partial report: satisfaction could not be computed.');
    // The failure is permanent: the tool ran once for that file, not once per retry.
    expect(counts.byKey['last-year.csv']).toBe(1);
  });
});

describe('planwright demo', () => {
  it('runs offline from the command line and exits 0 with a completed report', async () => {
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const childEnv = { ...process.env };
      delete childEnv.OPENAI_API_KEY;
      delete childEnv.OPENAI_BASE_URL;
      const child = spawn(process.execPath, ['bin/planwright.js', 'demo', '--json'], { env: childEnv });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.once('error', reject);
      child.once('exit', (exitCode) => resolve({ code: exitCode, stdout: out }));
    });
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as RunResult;
    expect(result.status).toBe('completed');
    expect(result.answer).toContain(`**${factsFromCsv().total} tickets**`);
  });
});

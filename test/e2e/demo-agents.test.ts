/**
 * The two seed agents end to end on the dev server (real worker, activities and tools reading the example data,
 * the real `openai` client over HTTP to the scripted model), and their demo commands, and the pipeline's (whose
 * agent has a file of its own), as a user runs them.
 * Tools count their own calls, so the tests show that no finished step ran twice.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import getawayTools from '../../examples/getaway/tools.js';
import researchTools from '../../examples/research/tools.js';
import type { RunResult } from '../../src/contract/run-state.js';
import { freePort } from '../../src/free-port.js';
import { GETAWAY_GOAL, GETAWAY_WORKSPACE, getawayScript } from '../../src/demo/getaway.js';
import { RESEARCH_GOAL, RESEARCH_WORKSPACE, researchScript } from '../../src/demo/research.js';
import { builtinTools } from '../../src/tools/builtin.js';
import { resolveEscalationUpdate } from '../../workflows/messages.js';
import { runScenario } from '../support/e2e.js';
import { until } from '../support/run-workflow.js';
import { devServerSuite } from '../support/cli.js';

const env = devServerSuite();

describe('the weekend-getaway agent', () => {
  it('falls back to trains when flights are down, replans to the next city when the first is full, keeping what was done', async () => {
    const { result, model, counts } = await runScenario(env(), 'getaway', {
      script: getawayScript(),
      input: { goal: GETAWAY_GOAL },
      tools: [...builtinTools, ...getawayTools],
      workspace: GETAWAY_WORKSPACE,
    });

    expect(result.status).toBe('completed');
    // Flights: three attempts (retryable), then the fallback; Prague full: one call; nothing finished ran again.
    expect(counts.byTool).toEqual({
      find_destinations: 1,
      search_flights: 3,
      search_trains: 2,
      check_hotels: 2,
      calculator: 1,
    });
    expect(result.steps.map((s) => [s.id, s.status, s.attempts])).toEqual([
      ['destinations', 'succeeded', 1],
      ['outbound', 'succeeded', 4],
      ['outbound_2', 'succeeded', 1],
      ['stay_2', 'succeeded', 1],
      ['budget_2', 'succeeded', 1],
    ]);
    expect(result.steps[1]?.output).toMatchObject({ mode: 'train', to: 'Prague' });
    expect(result.events.find((e) => e.type === 'fallback')?.message).toMatch(
      /^outbound failed \(search_flights failed: the flight search API is unavailable: 503 .*\); trying fallback tool search_trains$/,
    );
    expect(result.replans).toBe(1);
    expect(result.planHistory[1]?.reason).toBe(
      'step "stay" failed: check_hotels failed: every hotel in Prague is full for 2 nights from 2026-12-11 (3 checked): ' +
        'every hotel in Prague is full that weekend; Amsterdam is the next destination within reach, and the journey ' +
        'goes by train (flights could not be searched)',
    );
    expect(model.requests.map((r) => r.phase)).toEqual(['plan', 'replan', 'synthesize']);
    model.assertDone({ all: false });
    expect(result.answer).toContain('# A weekend in Amsterdam, 11–13 December 2026');
    expect(result.answer).toContain(
      'train from Berlin at 07:52, arriving 14:05 (6.2 h); €54.90 a person, €109.80 for two',
    );
    expect(result.answer).toContain('Canal House Jordaan, 2 nights from 2026-12-11 at €176 a night: €352.');
    expect(result.answer).toContain('**Estimated total:** €571.60 for two');
    expect(result.answer).toContain('Prague came first (4.3 h by train) but could not be booked for these nights.');
  });
});

describe('the research-report agent', () => {
  it('replans for each source it cannot read until replans run out, then ends with an honest partial brief', async () => {
    const { result, model, counts } = await runScenario(env(), 'research-replans-run-out', {
      script: researchScript(2),
      input: { goal: RESEARCH_GOAL, maxReplans: 2 },
      tools: [...builtinTools, ...researchTools],
      workspace: RESEARCH_WORKSPACE,
    });

    expect(result.status).toBe('partial');
    expect(result.replans).toBe(2);
    expect(result.failure?.stepId).toBe('read_5');
    expect(result.failure?.message).toMatch(/behind a paywall.*; no replans left$/);
    // Every source was read once: the search and the two that could be read were kept across both replans.
    expect(counts.byTool).toEqual({ search_sources: 1, read_source: 5 });
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['search', 'succeeded'],
      ['read_1', 'succeeded'],
      ['read_2', 'succeeded'],
      ['read_5', 'failed'],
    ]);
    expect(model.requests.map((r) => r.phase)).toEqual(['plan', 'replan', 'replan', 'synthesize']);
    expect(result.answer).toContain('**Partial:** this brief rests on 2 of the 3 independent sources asked for.');
    expect(result.answer).toContain(
      '- The seasonal coefficient of performance (SCOP) averaged 2.9 across both winters. [1]',
    );
    expect(result.answer).toContain('- No replans were left to look for another source.');
    expect(result.answer).toContain('2. Living with a heat pump below freezing: a survey of 1,140 owners.');
  });

  it('with escalation to a person, asks about each failed source, also once the replans are used up', async () => {
    const asked: Array<{ stepId: string; replans: number }> = [];
    const { result, counts } = await runScenario(env(), 'research-person-decides', {
      script: researchScript(1),
      input: { goal: RESEARCH_GOAL, maxReplans: 1, escalation: 'human' },
      tools: [...builtinTools, ...researchTools],
      workspace: RESEARCH_WORKSPACE,
      during: async (handle) => {
        for (const decision of ['replan', 'skip'] as const) {
          const waiting = await until(
            handle,
            (s) => s.status === 'awaiting-decision' && !asked.some((a) => a.stepId === s.escalation?.stepId),
          );
          asked.push({ stepId: waiting.escalation!.stepId, replans: waiting.replans });
          await handle.executeUpdate(resolveEscalationUpdate, {
            args: [{ stepId: waiting.escalation!.stepId, decision, note: `the test says ${decision}` }],
          });
        }
      },
    });

    // Asked about the paywalled source, then about the withdrawn one, when no replan was left.
    expect(asked).toEqual([
      { stepId: 'read_3', replans: 0 },
      { stepId: 'read_4', replans: 1 },
    ]);
    expect(result.status).toBe('partial');
    expect(result.steps.find((s) => s.id === 'read_4')?.status).toBe('skipped');
    expect(counts.byTool).toEqual({ search_sources: 1, read_source: 4 });
    expect(result.events.filter((e) => e.type === 'escalated').map((e) => e.stepId)).toEqual(['read_3', 'read_4']);
    expect(result.answer).toContain('**Partial:** this brief rests on 2 of the 3 independent sources asked for.');
    expect(result.answer).toMatch(/- Read source 4 \(skipped\): read_source failed: .* was withdrawn by its publisher/);
  });
});

/**
 * Runs `planwright demo` as a user would, without a model configured; resolves to its exit code and output. Its
 * Web UI gets a port of its own (the default one may be taken by another demo that the tests run meanwhile).
 */
async function demoCommand(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const uiPort = String(await freePort());
  return new Promise((resolve, reject) => {
    const childEnv = { ...process.env };
    delete childEnv.OPENAI_API_KEY;
    delete childEnv.OPENAI_BASE_URL;
    const child = spawn(process.execPath, ['bin/planwright.js', 'demo', ...args, '--ui-port', uiPort], {
      env: childEnv,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out, err }));
  });
}

/** Runs a demo with `--json`; resolves to its exit code and the result it printed. */
async function demo(...args: string[]): Promise<{ code: number | null; result: RunResult }> {
  const { code, out, err } = await demoCommand(...args, '--json');
  try {
    return { code, result: JSON.parse(out) as RunResult };
  } catch (error) {
    throw new Error(`the demo printed no result (exit ${code}): ${(error as Error).message}\n${out}\n${err}`);
  }
}

describe('planwright demo getaway | research | pipeline', () => {
  it('runs the getaway offline and exits 0 with the itinerary', async () => {
    const { code, result } = await demo('getaway');
    expect(code).toBe(0);
    expect(result.status).toBe('completed');
    expect(result.answer).toContain('# A weekend in Amsterdam');
  });

  it('runs the research brief offline, answering for the person it asks, and exits 1 for a partial brief', async () => {
    const { code, result } = await demo('research', '--escalation', 'human');
    expect(code).toBe(1);
    expect(result.status).toBe('partial');
    expect(result.events.filter((e) => e.type === 'escalation-resolved').map((e) => e.message)).toEqual([
      'replan read_3: try the next search result',
      'replan read_4: try the next search result',
      'skip read_5: no replans left: write the brief from the sources that could be read',
    ]);
    expect(result.answer).toContain('**Partial:** this brief rests on 2 of the 3 independent sources asked for.');
  });

  // Two runs and a schedule: about twice the others' time, more on a busy machine.
  it(
    'runs the pipeline twice on a schedule it makes and deletes, answering for the person, and exits 0',
    { timeout: 180_000 },
    async () => {
      const { code, out, err } = await demoCommand('pipeline');
      const lines = out.split('\n');
      expect(code, err).toBe(0);
      const has = (start: string) =>
        expect(
          lines.filter((l) => l.startsWith(start)),
          start,
        ).toHaveLength(1);
      has("(demo) creating the schedule for you: planwright schedule create orders-nightly 'Refresh the warehouse");
      has("    --cron '0 2 * * *' --paused --note 'paused: the demo triggers its runs itself' --approval plan");
      expect(out).toContain(
        '! the planner\'s plan is invalid:\n- step "daily": depends on "validate", which is not a step of this plan',
      );
      has('⏸ Plan v1 waits for your approval. Answer with:');
      has('(demo) answering for you: planwright approve orders-nightly-');
      expect(out).toMatch(/\$\.rejectedShare is 0\.444, expected <= 0\.1\); trying fallback tool normalize_orders/);
      expect(lines.filter((l) => l.startsWith('# daily_revenue refreshed: 2026-03-02 to 2026-03-08'))).toHaveLength(2);
      has('Run 1: completed · 2 planner calls (1 invalid plan sent back) · plan approved by a person');
      has(
        'Run 2: completed · plan from the plan cache (no planner call) · not asked: a person approved this plan for an ' +
          'earlier run',
      );
      has('(demo) deleting the schedule for you: planwright schedule delete orders-nightly');
      has('deleted schedule orders-nightly; the runs it started are kept');
      // The tools wrote into a copy of the example's data, removed afterwards; the example is left as it was.
      const workspace = /^Workspace: (\S+) /m.exec(out)?.[1];
      expect(workspace && existsSync(workspace)).toBe(false);
      expect(existsSync('examples/pipeline/warehouse/daily_revenue.csv')).toBe(false);
      expect(existsSync('examples/pipeline/staging')).toBe(false);
    },
  );
});

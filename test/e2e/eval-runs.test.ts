/**
 * Whole runs in `planwright eval`: the oracle's runs all succeed through the real workflow on the embedded dev
 * server, a run's answer checks decide its success, and an evaluation stopped while a run is under way follows
 * that run by its workflow id afterwards, on a server restarted from the same folder, without starting it again.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createModel } from '../../src/llm/model.js';
import { ORACLE_MODEL, oracleAnswer, oraclePlan, startOracle } from '../../src/eval/oracle.js';
import { markdownTable, reportRows, svgChart } from '../../src/eval/report.js';
import { runEval, runsFile, type EvalRun } from '../../src/eval/run.js';
import { loadSuites } from '../../src/eval/suites.js';
import { runId, startRunHost } from '../../src/eval/whole-run.js';
import type { EvalSuite, EvalTask } from '../../src/eval/task.js';
import { startScriptedModel, type ScriptEntry, type ScriptedModel } from '../../src/testing/scripted-model.js';

const modelAt = (url: string, model = ORACLE_MODEL) =>
  createModel({ apiKey: 'none', baseURL: url, model, timeoutMs: 10_000 });

/** A scripted model that plans `task` as its gold sequence (for the evaluation and the run) and synthesizes so. */
const goldPlanner = (task: EvalTask, synthesize: ScriptEntry[]) =>
  startScriptedModel({
    strict: { alternation: false },
    script: { plan: [{ content: oraclePlan(task) }, { content: oraclePlan(task) }], synthesize },
  });

/** One evaluation of `suite` with whole runs, by the scripted model "m". */
const evalRuns = (model: ScriptedModel, suite: EvalSuite, out: string, more: Partial<EvalRun> = {}) =>
  runEval({
    model: modelAt(model.url, 'm'),
    modelName: 'm',
    suites: [suite],
    concurrency: 1,
    runs: true,
    out,
    ...more,
  });

describe('planwright eval --runs', () => {
  it('runs every task whole with the oracle in every role, and every run succeeds', async () => {
    const suites = await loadSuites(
      'nestful-sgd:sgd-1+sgd-2+sgd-8,nestful-glaive:glaive-2+glaive-109,seed-agents:support-report+research',
    );
    // glaive-109's goal ends in a space, which a run trims. A task with answer checks: the oracle's synthesizer
    // writes what they look for.
    suites[0]!.tasks[0]!.answerIncludes = ['car reserved'];
    const oracle = await startOracle(suites, 2);
    const out = await mkdtemp(path.join(tmpdir(), 'pw-eval-runs-'));
    try {
      const results = await runEval({
        model: modelAt(oracle.url),
        modelName: ORACLE_MODEL,
        suites,
        concurrency: 2,
        repeat: 2,
        runs: true,
        out,
      });
      expect(results).toHaveLength(14);
      // sgd-8's gold call misses a parameter its tool requires: it is planned, not run whole.
      expect(suites[0]!.tasks[2]!.notRun).toMatch(/must have required property 'destination'/);
      for (const r of results)
        if (r.task === 'sgd-8') expect(r.run).toBeUndefined();
        else expect(r.run).toMatchObject({ status: 'completed', success: true });
      expect(results.map((r) => r.try ?? 1).sort()).toEqual([1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2]);
      const rows = reportRows(results);
      for (const row of rows) {
        expect(row).toMatchObject({ validFirst: 1, valid: 1, runs: { success: 1 } });
        expect(row.runs!.llmCalls).toBeGreaterThanOrEqual(2 * row.runs!.count); // a planner and a synthesizer a run
      }
      expect(rows.find((r) => r.suite === 'nestful-sgd')?.runs?.toolCalls).toBe(8); // two calls a task, two tries
      expect(markdownTable(rows)).toMatch(/\| oracle \| nestful-sgd \| 6 \| 100\.0 % .*\| 4 \| 100\.0 % \|/);
      expect(svgChart(rows)).toContain('oracle seed-agents run ok: 100.0 %');
      expect(oracleAnswer(suites[0]!.tasks[0]!)).toContain('car reserved');
    } finally {
      await oracle.close();
    }
  }, 180_000);

  it('fails a run whose answer misses what the task checks for', async () => {
    const [suite] = await loadSuites('nestful-sgd:sgd-1');
    const task = suite!.tasks[0]!;
    const model = await goldPlanner(task, [{ content: 'No car today.' }]);
    const out = await mkdtemp(path.join(tmpdir(), 'pw-eval-runs-'));
    try {
      const [result] = await evalRuns(model, { ...suite!, tasks: [{ ...task, answerIncludes: ['reserved'] }] }, out);
      expect(result?.run).toMatchObject({
        status: 'completed',
        success: false,
        why: 'the answer does not say "reserved"',
      });
    } finally {
      await model.close();
    }
  }, 120_000);

  it('follows a run under way when it stopped, by its workflow id, on the server restarted from its folder', async () => {
    const [suite] = await loadSuites('nestful-sgd:sgd-1');
    const task = suite!.tasks[0]!;
    const stop = new AbortController();
    // The evaluation is stopped while the run's synthesizer writes; the run's retry asks again.
    const model = await goldPlanner(task, [
      () => {
        stop.abort();
        return { content: 'first answer, lost', delayMs: 1000 };
      },
      { content: 'Reserved.' },
      { content: 'Reserved.' },
    ]);
    const out = await mkdtemp(path.join(tmpdir(), 'pw-eval-runs-'));
    try {
      const stopped = await evalRuns(model, suite!, out, { signal: stop.signal });
      expect(stopped[0]?.run).toBeUndefined();
      expect(await readFile(runsFile(out, 'm'), 'utf8').catch(() => '')).toBe('');
      const host = await startRunHost(out);
      try {
        const [resumed] = await evalRuns(model, suite!, out, { host });
        expect(resumed?.run).toMatchObject({
          status: 'completed',
          success: true,
          workflowId: runId('m', 'nestful-sgd', 'sgd-1', 1),
        });
        // One run of that id: followed, not started again; its planner was asked once (the other plan request is
        // the planner-path evaluation's).
        const runs = host.temporal.env.client.workflow.list({ query: `WorkflowId = "${resumed!.run!.workflowId}"` });
        let count = 0;
        for await (const execution of runs) if (execution.workflowId) count++;
        expect(count).toBe(1);
        expect(model.requests.filter((r) => r.phase === 'plan')).toHaveLength(2);
      } finally {
        await host.close();
      }
    } finally {
      await model.close();
    }
  }, 180_000);
});

/**
 * The evaluation harness: NESTFUL's files become tasks whose gold plans validate, the scripted oracle scores
 * 100 % through the real planner path, a wrong plan scores less, and a stopped evaluation resumes.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel } from '../../src/llm/model.js';
import { goldProblems, loadNestful, referencesOf, toolName } from '../../src/eval/nestful.js';
import { ORACLE_MODEL, oraclePlan, startOracle } from '../../src/eval/oracle.js';
import { markdownTable, reportRows, svgChart } from '../../src/eval/report.js';
import { readResults, resultsFile, runEval } from '../../src/eval/run.js';
import { scoreSequence } from '../../src/eval/score.js';
import { loadSuites, nestfulDir } from '../../src/eval/suites.js';
import type { EvalSuite } from '../../src/eval/task.js';
import { startScriptedModel, type ScriptedModel } from '../../src/testing/scripted-model.js';
import { planFromWire } from '../../src/contract/plan.js';

const modelAt = (url: string, model = ORACLE_MODEL) =>
  createModel({ apiKey: 'none', baseURL: url, model, timeoutMs: 10_000 });

describe('NESTFUL as evaluation tasks', () => {
  it('turns names and references into planwright form', () => {
    expect(toolName('RentalCars.GetCarsAvailable')).toBe('rental_cars_get_cars_available');
    expect(toolName('calculate_bmi')).toBe('calculate_bmi');
    expect(referencesOf('$var1.results[0].id$')).toBe('{{var1.results.0.id}}');
    expect(referencesOf('Meeting ID: $var2.event_id$')).toBe('Meeting ID: {{var2.event_id}}');
    expect(referencesOf('$var1$')).toBe('{{var1}}');
  });

  it('keeps the tasks whose gold plan validates against their tools, and says why the others are left out', async () => {
    const sgd = await loadNestful('sgd', nestfulDir());
    const glaive = await loadNestful('glaive', nestfulDir());
    expect(sgd.tasks.length + (sgd.skipped?.length ?? 0)).toBe(46);
    expect(glaive.tasks.length + (glaive.skipped?.length ?? 0)).toBe(169);
    expect(sgd.tasks.length).toBeGreaterThan(40);
    expect(glaive.tasks.length).toBeGreaterThan(120);
    for (const task of [...sgd.tasks, ...glaive.tasks]) expect(goldProblems(task)).toEqual([]);
    expect(glaive.skipped).toContainEqual({
      id: 'glaive-5',
      reason: 'its gold sequence calls create_task, not in the spec',
    });
    const first = sgd.tasks[0]!;
    expect(first.gold?.[1]).toMatchObject({ id: 'var2', tool: 'rental_cars_reserve_car' });
    expect(first.gold?.[1]?.args.pickup_location).toBe('{{var1.pickup_location}}');
  });

  it('picks suites and tasks by name, and says what it cannot find', async () => {
    const [suite] = await loadSuites('nestful-sgd:sgd-1+sgd-2');
    expect(suite?.tasks.map((t) => t.id)).toEqual(['sgd-1', 'sgd-2']);
    await expect(loadSuites('nestful-sgd:sgd-999')).rejects.toThrow('suite nestful-sgd has no task sgd-999');
    await expect(loadSuites('no-such-suite')).rejects.toThrow(/no suite "no-such-suite": name one of nestful-sgd/);
  });
});

describe('scores', () => {
  it('gives a wrong plan less than the gold plan', async () => {
    const [suite] = await loadSuites('nestful-sgd:sgd-1');
    const task = suite!.tasks[0]!;
    const gold = planFromWire(oraclePlan(task)).plan!;
    expect(scoreSequence(gold, task.gold!)).toEqual({
      toolsF1: 1,
      argsF1: 1,
      partialSequence: 1,
      fullSequence: 1,
      references: 1,
    });
    // The same calls under other step ids score the same: references compare by position.
    const renamed = JSON.parse(JSON.stringify(gold).replaceAll('var1', 'search').replaceAll('var2', 'reserve'));
    expect(scoreSequence(renamed, task.gold!).fullSequence).toBe(1);
    // A reference to the wrong field, and a missing call.
    const wrongField = JSON.parse(JSON.stringify(gold).replace('{{var1.pickup_location}}', '{{var1.type}}'));
    const wrong = scoreSequence(wrongField, task.gold!);
    expect(wrong.fullSequence).toBe(0);
    expect(wrong.references).toBeLessThan(1);
    expect(wrong.argsF1).toBeLessThan(1);
    const short = scoreSequence({ steps: gold.steps.slice(0, 1) }, task.gold!);
    expect(short).toMatchObject({ toolsF1: 2 / 3, partialSequence: 0.5, fullSequence: 0, references: 0 });
    expect(scoreSequence(undefined, task.gold!).toolsF1).toBe(0);
  });
});

describe('planwright eval', () => {
  let suites: EvalSuite[];
  let oracle: ScriptedModel;
  beforeAll(async () => {
    suites = await loadSuites('nestful-sgd,nestful-glaive,seed-agents');
    oracle = await startOracle(suites);
  });
  afterAll(() => oracle.close());

  it('scores the oracle 100 % on every task, through the planner', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'pw-eval-'));
    const results = await runEval({ model: modelAt(oracle.url), modelName: ORACLE_MODEL, suites, concurrency: 4, out });
    expect(results).toHaveLength(suites.reduce((n, s) => n + s.tasks.length, 0));
    const rows = reportRows(results);
    for (const row of rows) {
      expect(row).toMatchObject({ validFirst: 1, valid: 1 });
      if (row.suite !== 'seed-agents')
        expect(row.scores).toEqual({ toolsF1: 1, argsF1: 1, partialSequence: 1, fullSequence: 1, references: 1 });
      expect(row.llmCalls).toBe(row.tasks);
      expect(row.inputTokensPerTask).toBeGreaterThan(100);
    }
    expect(markdownTable(rows)).toContain('| oracle | nestful-sgd | 42 | 100.0 % | 100.0 % | 100.0 % |');
    expect(svgChart(rows)).toMatch(/^<svg[^]*oracle nestful-glaive F1 args: 100\.0 %[^]*<\/svg>\n$/);
  }, 120_000);

  it('scores a model that drops the last call lower, and resumes without asking again', async () => {
    const [suite] = await loadSuites('nestful-sgd:sgd-1+sgd-2+sgd-3');
    const wrong = await startScriptedModel({ strict: { alternation: false } });
    try {
      const byGoal = new Map(suite!.tasks.map((t) => [t.goal, t]));
      wrong.enqueue({
        plan: Array.from({ length: 3 }, () => (request) => {
          const text = JSON.stringify(request.messages);
          const task = [...byGoal.values()].find((t) => text.includes(t.goal.slice(0, 40)))!;
          const plan = oraclePlan(task);
          return { content: { ...plan, steps: plan.steps.slice(0, -1) } };
        }),
      });
      const out = await mkdtemp(path.join(tmpdir(), 'pw-eval-'));
      const run = () =>
        runEval({
          model: modelAt(wrong.url, 'dropper'),
          modelName: 'dropper',
          suites: [suite!],
          concurrency: 1,
          limit: 2,
          out,
        });
      const results = await run();
      expect(results).toHaveLength(2);
      const [row] = reportRows(results);
      expect(row?.valid).toBe(1);
      expect(row?.scores?.fullSequence).toBe(0);
      expect(row?.scores?.toolsF1).toBeLessThan(1);
      expect(wrong.requests).toHaveLength(2);
      // A second run finds both results in the file and asks nothing.
      expect(await run()).toHaveLength(2);
      expect(wrong.requests).toHaveLength(2);
      expect(await readResults(resultsFile(out, 'dropper'))).toHaveLength(2);
      expect(await readFile(resultsFile(out, 'dropper'), 'utf8')).toContain('"task":"sgd-2"');
    } finally {
      await wrong.close();
    }
  });
});

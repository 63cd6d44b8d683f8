/**
 * `planwright eval`: plans the tasks of evaluation suites with the configured model (or the scripted oracle)
 * through the real planner path, with `--runs` also runs them whole on the embedded dev server, and writes a JSON
 * report, a Markdown table and an SVG chart of the scores.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { integer, type CommandContext } from '../command.js';
import { UsageError } from '../errors.js';
import { modelConfigFromEnv } from '../../llm/config.js';
import { createModel } from '../../llm/model.js';
import { ORACLE_MODEL, startOracle } from '../../eval/oracle.js';
import { markdownTable, reportRows, svgChart } from '../../eval/report.js';
import { readEvaluation, resultsFile, runEval, type TaskResult } from '../../eval/run.js';
import { loadSuites } from '../../eval/suites.js';
import { readdir } from 'node:fs/promises';

/** Suites evaluated when `--tasks` names none. */
const DEFAULT_TASKS = 'nestful-sgd,nestful-glaive,seed-agents';
/** Where results and reports go when `--output` names no directory. */
const DEFAULT_OUT = 'eval-results';

/** A progress bar on a terminal, a line per task elsewhere. */
function progressBar(write: (text: string) => void, tty: boolean) {
  return ({ done, total, last }: { done: number; total: number; last?: TaskResult }) => {
    const width = 30;
    const filled = total === 0 ? width : Math.round((done / total) * width);
    const ran = last?.run ? (last.run.success ? ', run succeeded' : `, run ${last.run.status}`) : '';
    const what = last
      ? ` ${last.suite}/${last.task}${last.try ? ` #${last.try}` : ''} ${last.valid ? 'valid' : 'invalid'}${ran}`
      : '';
    const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}${what}`;
    if (tty) write(`\r${line.padEnd(90).slice(0, 100)}${done === total ? '\n' : ''}`);
    else if (last) write(`${line}\n`);
  };
}

/** Every model's results in `out`, for a report across models. */
async function allResults(out: string): Promise<TaskResult[]> {
  const suffix = '.results.jsonl';
  const models = (await readdir(out)).filter((f) => f.endsWith(suffix)).sort();
  return (await Promise.all(models.map((f) => readEvaluation(out, f.slice(0, -suffix.length))))).flat();
}

/**
 * `planwright eval [--tasks SUITES] [--limit N] [--model NAME|oracle] [--runs] [--repeat N] [--concurrency N]
 * [--output DIR]`.
 * @throws {UsageError} for a bad number, or a suite that cannot be found or read.
 */
export async function evaluate({ values, print, follow, json, out }: CommandContext): Promise<number> {
  const limit = integer(values.limit, 'limit');
  const concurrency = integer(values.concurrency, 'concurrency') ?? 1;
  const repeat = integer(values.repeat, 'repeat') ?? 1;
  if (limit !== undefined && limit < 1) throw new UsageError('--limit expects a number of tasks of at least 1');
  if (repeat < 1) throw new UsageError('--repeat expects a number of tries of at least 1');
  if (concurrency < 1) throw new UsageError('--concurrency expects at least 1');
  const suites = await loadSuites(values.tasks ?? DEFAULT_TASKS).catch((err: Error) => {
    throw new UsageError(err.message, { help: false });
  });
  const dir = values.output ?? DEFAULT_OUT;
  const oracle = values.model === ORACLE_MODEL ? await startOracle(suites, repeat) : undefined;
  const config = modelConfigFromEnv(
    oracle
      ? { ...process.env, OPENAI_BASE_URL: oracle.url, OPENAI_API_KEY: 'none', PLANWRIGHT_MODEL: ORACLE_MODEL }
      : {
          ...process.env,
          ...(values.model ? { PLANWRIGHT_MODEL: values.model } : {}),
        },
  );
  for (const suite of suites) {
    if (suite.skipped?.length)
      follow(
        `${suite.name}: ${suite.tasks.length} tasks; ${suite.skipped.length} left out (gold does not fit its tools)`,
      );
    const notRun = suite.tasks.filter((t) => t.notRun !== undefined).length;
    if (values.runs && notRun > 0)
      follow(`${suite.name}: ${notRun} tasks planned, not run whole (their gold plan cannot run with simulated tools)`);
  }
  const stop = new AbortController();
  const onInterrupt = () => {
    follow('\nstopping after the tasks under way; run the same command again to resume');
    stop.abort();
  };
  process.once('SIGINT', onInterrupt);
  try {
    const results = await runEval({
      model: createModel(config),
      modelName: config.model,
      suites,
      concurrency,
      repeat,
      runs: values.runs,
      ...(limit !== undefined ? { limit } : {}),
      out: dir,
      signal: stop.signal,
      ...(json ? {} : { onProgress: progressBar((t) => process.stderr.write(t), process.stderr.isTTY === true) }),
    });
    const rows = reportRows(await allResults(dir));
    const table = markdownTable(rows);
    await writeFile(path.join(dir, 'report.json'), `${JSON.stringify({ rows }, null, 2)}\n`);
    await writeFile(path.join(dir, 'report.md'), table);
    await writeFile(path.join(dir, 'scores.svg'), svgChart(rows));
    out(table, { rows, results: results.length });
    if (!json)
      print(
        `results: ${resultsFile(dir, config.model)}; report: ${path.join(dir, 'report.md')}, report.json, scores.svg`,
      );
    return stop.signal.aborted ? 130 : 0;
  } finally {
    process.off('SIGINT', onInterrupt);
    await oracle?.close();
  }
}

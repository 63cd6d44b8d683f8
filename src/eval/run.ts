/**
 * An evaluation: every task of the chosen suites planned with one model (each `repeat` times), a few at a time, each
 * result appended to the model's results file as soon as it is known; with `runs`, each try also run whole
 * (`whole-run.ts`), its outcome appended to the model's runs file. An evaluation stopped part way (Ctrl-C) resumes
 * where it stopped: tries already in the files are not asked again, and a run under way is followed, not restarted.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Plan } from '../contract/plan.js';
import type { Model } from '../llm/model.js';
import type { TokenUsage } from '../llm/usage.js';
import { planTask } from './plan-task.js';
import { runTask, startRunHost, type RunHost, type RunOutcome } from './whole-run.js';
import { scoreSequence, type SequenceScores } from './score.js';
import type { EvalSuite, EvalTask } from './task.js';

/** The result of one task with one model: one line of the results file. */
export interface TaskResult {
  model: string;
  suite: string;
  task: string;
  /** Which try of the task (from 1; absent in results written before tries were counted, which are try 1). */
  try?: number;
  validFirst: boolean;
  valid: boolean;
  attempts: number;
  /** NESTFUL's scores of the last plan against the gold sequence; absent for tasks without one. */
  scores?: SequenceScores;
  issues: string[];
  repairs: string[];
  usage: TokenUsage;
  ms: number;
  error?: string;
  plan?: Plan;
  /** The whole run of this try, when the evaluation ran it (kept in the runs file, joined here). */
  run?: RunOutcome;
}

/** What an evaluation runs. */
export interface EvalRun {
  model: Model;
  /** The model's name, as results and reports name it. */
  modelName: string;
  suites: readonly EvalSuite[];
  /** Tasks planned at the same time. */
  concurrency: number;
  /** At most this many tasks of each suite (the first ones). */
  limit?: number;
  /** Tries of each task (default 1), for the variance of a model's plans. */
  repeat?: number;
  /** Also run each try whole, on the embedded dev server (its history kept in `out`). */
  runs?: boolean;
  /** With `runs`: where to run them (left running at the end); default a dev server started and stopped here. */
  host?: RunHost;
  /** The directory of results files and reports. */
  out: string;
  /** Told after each task, and once before the first with the tasks already done. */
  onProgress?: (progress: { done: number; total: number; last?: TaskResult }) => void;
  /** Stops handing out tasks when aborted; tasks under way finish and are kept. */
  signal?: AbortSignal;
}

/** A file name for a model name: `gpt-4o-mini` stays, `org/model:7b` → `org_model_7b`. */
export function modelSlug(model: string): string {
  return model.replace(/[^A-Za-z0-9._-]+/g, '_') || 'model';
}

/** The results file of a model in `out`. */
export function resultsFile(out: string, model: string): string {
  return path.join(out, `${modelSlug(model)}.results.jsonl`);
}

/** The whole runs' file of a model in `out`. */
export function runsFile(out: string, model: string): string {
  return path.join(out, `${modelSlug(model)}.runs.jsonl`);
}

/** What results and runs are keyed by: the suite, the task and the try. */
const keyOf = (r: { suite: string; task: string; try?: number }) => `${r.suite}\u0000${r.task}\u0000${r.try ?? 1}`;

/** A model's results in `out`, each with its whole run when there is one. */
export async function readEvaluation(out: string, model: string): Promise<TaskResult[]> {
  const runs = new Map((await readLines<RunOutcome>(runsFile(out, model))).map((r) => [keyOf(r), r]));
  return (await readResults(resultsFile(out, model))).map((r) => {
    const run = runs.get(keyOf(r));
    return run ? { ...r, run } : r;
  });
}

/** Reads a results file; an absent file holds no results, and a line cut short by a stop is skipped. */
export function readResults(file: string): Promise<TaskResult[]> {
  return readLines<TaskResult>(file);
}

/** Reads a file of JSON lines; an absent file holds none, and a line cut short by a stop is skipped. */
async function readLines<T>(file: string): Promise<T[]> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return text.split('\n').flatMap((line) => {
    if (!line.trim()) return [];
    try {
      return [JSON.parse(line) as T];
    } catch {
      return [];
    }
  });
}

/** Plans and scores one task. */
export async function evaluateTask(
  model: Model,
  modelName: string,
  suite: string,
  task: EvalTask,
  attempt = 1,
): Promise<TaskResult> {
  const started = Date.now();
  const planned = await planTask(model, task);
  return {
    model: modelName,
    suite,
    task: task.id,
    ...(attempt > 1 ? { try: attempt } : {}),
    validFirst: planned.validFirst,
    valid: planned.valid,
    attempts: planned.attempts,
    ...(task.gold ? { scores: scoreSequence(planned.valid ? planned.plan : undefined, task.gold) } : {}),
    issues: planned.issues,
    repairs: planned.repairs,
    usage: planned.usage,
    ms: Date.now() - started,
    ...(planned.error ? { error: planned.error } : {}),
    ...(planned.plan ? { plan: planned.plan } : {}),
  };
}

/**
 * Runs the evaluation, skipping tries whose result (and, with `runs`, whose whole run) the model's files already
 * hold.
 * @returns every result of this model for the chosen tasks and tries, earlier ones included, with their runs.
 * @throws {ProvisioningError} with `runs`, when no Temporal dev server can be provided.
 */
export async function runEval(run: EvalRun): Promise<TaskResult[]> {
  await mkdir(run.out, { recursive: true });
  const file = resultsFile(run.out, run.modelName);
  const ranFile = runsFile(run.out, run.modelName);
  const earlier = new Map((await readEvaluation(run.out, run.modelName)).map((r) => [keyOf(r), r]));
  const tries = Array.from({ length: Math.max(1, run.repeat ?? 1) }, (_, i) => i + 1);
  const chosen = run.suites.flatMap((suite) =>
    suite.tasks
      .slice(0, run.limit ?? suite.tasks.length)
      .flatMap((task) => tries.map((attempt) => ({ suite: suite.name, task, attempt }))),
  );
  const find = ({ suite, task, attempt }: (typeof chosen)[number]) =>
    earlier.get(keyOf({ suite, task: task.id, try: attempt }));
  const runs = (task: EvalTask) => run.runs === true && task.notRun === undefined;
  const done = (item: (typeof chosen)[number]) => {
    const result = find(item);
    return result !== undefined && (!runs(item.task) || result.run !== undefined);
  };
  const results = chosen.flatMap((item) => find(item) ?? []);
  const todo = chosen.filter((item) => !done(item));
  let finished = chosen.length - todo.length;
  run.onProgress?.({ done: finished, total: chosen.length });
  if (todo.length === 0) return results;
  const host: RunHost | undefined = todo.some((item) => runs(item.task))
    ? (run.host ?? (await startRunHost(run.out)))
    : undefined;
  const slug = modelSlug(run.modelName);
  let next = 0;
  const worker = async () => {
    while (next < todo.length && !run.signal?.aborted) {
      const item = todo[next++]!;
      const { suite, task, attempt } = item;
      let result = find(item);
      if (!result) {
        result = await evaluateTask(run.model, run.modelName, suite, task, attempt);
        await appendFile(file, `${JSON.stringify(result)}\n`);
        results.push(result);
      }
      if (host && runs(task)) {
        const outcome = await runTask(host, {
          model: run.model,
          modelName: run.modelName,
          modelSlug: slug,
          suite,
          task,
          attempt,
          ...(run.signal ? { signal: run.signal } : {}),
        });
        if (!outcome) return;
        await appendFile(ranFile, `${JSON.stringify(outcome)}\n`);
        result.run = outcome;
      }
      run.onProgress?.({ done: ++finished, total: chosen.length, last: result });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, run.concurrency) }, worker));
  } finally {
    if (host !== run.host) await host?.close();
  }
  return results;
}

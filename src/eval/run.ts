/**
 * An evaluation: every task of the chosen suites planned with one model, a few at a time, each result appended to
 * the model's results file as soon as it is known. A run stopped part way (Ctrl-C) resumes where it stopped: tasks
 * already in the file are not asked again.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Plan } from '../contract/plan.js';
import type { Model } from '../llm/model.js';
import type { TokenUsage } from '../llm/usage.js';
import { planTask } from './plan-task.js';
import { scoreSequence, type SequenceScores } from './score.js';
import type { EvalSuite, EvalTask } from './task.js';

/** The result of one task with one model: one line of the results file. */
export interface TaskResult {
  model: string;
  suite: string;
  task: string;
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

/** Reads a results file; an absent file holds no results, and a line cut short by a stop is skipped. */
export async function readResults(file: string): Promise<TaskResult[]> {
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
      return [JSON.parse(line) as TaskResult];
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
): Promise<TaskResult> {
  const started = Date.now();
  const planned = await planTask(model, task);
  return {
    model: modelName,
    suite,
    task: task.id,
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
 * Runs the evaluation, skipping tasks whose result the model's results file already holds.
 * @returns every result of this model for the chosen tasks, earlier ones included.
 */
export async function runEval(run: EvalRun): Promise<TaskResult[]> {
  await mkdir(run.out, { recursive: true });
  const file = resultsFile(run.out, run.modelName);
  const key = (suite: string, task: string) => `${suite}\u0000${task}`;
  const earlier = new Map((await readResults(file)).map((r) => [key(r.suite, r.task), r]));
  const chosen = run.suites.flatMap((suite) =>
    suite.tasks.slice(0, run.limit ?? suite.tasks.length).map((task) => ({ suite: suite.name, task })),
  );
  const results = chosen.flatMap(({ suite, task }) => earlier.get(key(suite, task.id)) ?? []);
  const todo = chosen.filter(({ suite, task }) => !earlier.has(key(suite, task.id)));
  let done = results.length;
  run.onProgress?.({ done, total: chosen.length });
  let next = 0;
  const worker = async () => {
    while (next < todo.length && !run.signal?.aborted) {
      const { suite, task } = todo[next++]!;
      const result = await evaluateTask(run.model, run.modelName, suite, task);
      await appendFile(file, `${JSON.stringify(result)}\n`);
      results.push(result);
      run.onProgress?.({ done: ++done, total: chosen.length, last: result });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, run.concurrency) }, worker));
  return results;
}

/**
 * A worker's capacity settings for many runs at once: how many runs it keeps in memory, how many workflow tasks
 * and activities it handles at a time, how many polls it keeps open. Each comes from a `PLANWRIGHT_*` variable
 * (docs/configuration.md) or from `createPlanwrightWorker`'s `tuning`; unset, the Temporal SDK's default holds.
 */
import type { WorkerOptions } from '@temporalio/worker';

/**
 * Thrown when a worker setting in the environment cannot be used; the message names it and what to write.
 * @example workerTuningFromEnv({ PLANWRIGHT_MAX_CACHED_RUNS: 'many' }); // throws: PLANWRIGHT_MAX_CACHED_RUNS=many cannot be used: …
 */
export class WorkerTuningError extends Error {
  override readonly name = 'WorkerTuningError';
}

/** The settings, named as the Temporal SDK's worker options name them. */
export type WorkerTuning = Partial<
  Pick<
    WorkerOptions,
    | 'maxCachedWorkflows'
    | 'maxConcurrentWorkflowTaskExecutions'
    | 'maxConcurrentActivityTaskExecutions'
    | 'maxConcurrentWorkflowTaskPolls'
    | 'maxConcurrentActivityTaskPolls'
  >
>;

/** Each setting's variable, and the least value it takes. */
export const WORKER_TUNING_VARIABLES: Readonly<Record<keyof WorkerTuning, { variable: string; least: number }>> = {
  maxCachedWorkflows: { variable: 'PLANWRIGHT_MAX_CACHED_RUNS', least: 0 },
  maxConcurrentWorkflowTaskExecutions: { variable: 'PLANWRIGHT_MAX_CONCURRENT_WORKFLOW_TASKS', least: 2 },
  maxConcurrentActivityTaskExecutions: { variable: 'PLANWRIGHT_MAX_CONCURRENT_ACTIVITIES', least: 1 },
  maxConcurrentWorkflowTaskPolls: { variable: 'PLANWRIGHT_WORKFLOW_TASK_POLLERS', least: 1 },
  maxConcurrentActivityTaskPolls: { variable: 'PLANWRIGHT_ACTIVITY_TASK_POLLERS', least: 1 },
};

/**
 * The settings the environment sets.
 * @throws {WorkerTuningError} when a variable is set to something other than a whole number of at least its least.
 * @example workerTuningFromEnv({ PLANWRIGHT_MAX_CACHED_RUNS: '500' }) // { maxCachedWorkflows: 500 }
 */
export function workerTuningFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerTuning {
  const tuning: WorkerTuning = {};
  for (const [option, { variable, least }] of Object.entries(WORKER_TUNING_VARIABLES)) {
    const value = env[variable]?.trim();
    if (!value) continue;
    const number = Number(value);
    if (!Number.isInteger(number) || number < least) {
      throw new WorkerTuningError(
        `${variable}=${value} cannot be used: expected a whole number, at least ${least} (unset, the Temporal SDK's default holds)`,
      );
    }
    tuning[option as keyof WorkerTuning] = number;
  }
  return tuning;
}

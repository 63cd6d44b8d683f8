import { describe, expect, it } from 'vitest';
import { WorkerTuningError, workerTuningFromEnv } from '../../src/worker-tuning.js';

describe('worker tuning from the environment', () => {
  it('reads each setting its variable sets, and nothing else', () => {
    expect(workerTuningFromEnv({})).toEqual({});
    expect(
      workerTuningFromEnv({
        PLANWRIGHT_MAX_CACHED_RUNS: '500',
        PLANWRIGHT_MAX_CONCURRENT_WORKFLOW_TASKS: ' 20 ',
        PLANWRIGHT_MAX_CONCURRENT_ACTIVITIES: '200',
        PLANWRIGHT_WORKFLOW_TASK_POLLERS: '4',
        PLANWRIGHT_ACTIVITY_TASK_POLLERS: '8',
        PLANWRIGHT_MODEL: 'other',
      }),
    ).toEqual({
      maxCachedWorkflows: 500,
      maxConcurrentWorkflowTaskExecutions: 20,
      maxConcurrentActivityTaskExecutions: 200,
      maxConcurrentWorkflowTaskPolls: 4,
      maxConcurrentActivityTaskPolls: 8,
    });
    // 0 turns the cache off, which the SDK allows.
    expect(workerTuningFromEnv({ PLANWRIGHT_MAX_CACHED_RUNS: '0' })).toEqual({ maxCachedWorkflows: 0 });
  });

  it('refuses what is not a whole number at least the least, naming the variable and what to write', () => {
    expect(() => workerTuningFromEnv({ PLANWRIGHT_MAX_CACHED_RUNS: 'many' })).toThrow(
      new WorkerTuningError(
        "PLANWRIGHT_MAX_CACHED_RUNS=many cannot be used: expected a whole number, at least 0 (unset, the Temporal SDK's default holds)",
      ),
    );
    expect(() => workerTuningFromEnv({ PLANWRIGHT_MAX_CONCURRENT_WORKFLOW_TASKS: '1' })).toThrow(/at least 2/);
    expect(() => workerTuningFromEnv({ PLANWRIGHT_ACTIVITY_TASK_POLLERS: '2.5' })).toThrow(
      /^PLANWRIGHT_ACTIVITY_TASK_POLLERS=2.5 cannot be used/,
    );
  });
});

/**
 * Whole runs of evaluation tasks: each task's goal run by the real `planAndExecute` workflow on the embedded dev
 * server, on a worker of its own whose tools are the task's, simulated from their output schemas, with the
 * configured model in every role. The server keeps its history in the evaluation's folder, so a run under way when
 * the evaluation stopped is found by its workflow id and followed, never started twice.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import type { WorkflowBundle } from '@temporalio/worker';
import { parseRunInput } from '../contract/run-input.js';
import type { RunResult, Usage } from '../contract/run-state.js';
import type { Model } from '../llm/model.js';
import { startLocalTemporal, type LocalTemporal } from '../temporal/local-server.js';
import { createPlanwrightWorker } from '../worker.js';
import { planwrightWorkflowBundle } from '../workflow-bundle.js';
import type { planAndExecute } from '../../workflows/index.js';
import { WORKFLOW_TYPE } from '../../workflows/messages.js';
import { taskTools } from './plan-task.js';
import type { EvalTask } from './task.js';

/** How one whole run of a task went: one line of the runs file. */
export interface RunOutcome {
  model: string;
  suite: string;
  task: string;
  /** Which try of the task (from 1; see `--repeat`). */
  try: number;
  workflowId: string;
  /** The run's status at its end, or `failed` when the workflow itself failed. */
  status: string;
  /** Completed, with an answer that holds every text the task's answer checks ask for. */
  success: boolean;
  /** Why the run is not a success; absent when it is. */
  why?: string;
  /** The run's own usage: model calls, tokens, tool calls and cost. */
  usage: Usage;
  /** From the run's start to its end, by the server's clock. */
  ms: number;
}

/** Where whole runs happen: the embedded dev server, with its history in the evaluation's folder. */
export interface RunHost {
  temporal: LocalTemporal;
  bundle: WorkflowBundle;
  /** Where the tasks' workers work (their simulated tools touch nothing). */
  workspace: string;
  close(): Promise<void>;
}

/**
 * Starts the embedded dev server with its database in `out`, so that runs outlive the evaluation's process.
 * @throws {ProvisioningError} when no Temporal dev server can be provided.
 */
export async function startRunHost(out: string): Promise<RunHost> {
  const temporal = await startLocalTemporal({ dbFilename: path.join(path.resolve(out), 'temporal.db') });
  try {
    const bundle = await planwrightWorkflowBundle();
    const workspace = await mkdtemp(path.join(tmpdir(), 'planwright-eval-'));
    return {
      temporal,
      bundle,
      workspace,
      close: async () => {
        await temporal.stop();
        await rm(workspace, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await temporal.stop();
    throw err;
  }
}

/** The workflow id (and task queue) of a try of a task: the same in every evaluation of the same model. */
export function runId(modelSlug: string, suite: string, task: string, attempt: number): string {
  return `eval-${modelSlug}-${suite}-${task}-${attempt}`.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/** Whether `answer` holds every text the task asks for, case ignored; the first one missing, if not. */
export function missingText(task: EvalTask, answer: string | undefined): string | undefined {
  const text = (answer ?? '').toLowerCase();
  return (task.answerIncludes ?? []).find((want) => !text.includes(want.toLowerCase()));
}

/** What makes a run a success or not, from its result. */
export function judgeRun(task: EvalTask, result: RunResult): { success: boolean; why?: string } {
  if (result.status !== 'completed')
    return {
      success: false,
      why: `the run ended ${result.status}${result.failure ? `: ${result.failure.message}` : ''}`,
    };
  const missing = missingText(task, result.answer);
  return missing === undefined ? { success: true } : { success: false, why: `the answer does not say "${missing}"` };
}

const NO_USAGE: Usage = { llmCalls: 0, inputTokens: 0, outputTokens: 0, toolCalls: 0 };

/**
 * Runs one try of a task to its end (or follows the run of that try already started), on a worker of its own.
 * @returns the outcome; undefined when `signal` stopped the evaluation first (the run stays on the server, and the
 * next evaluation follows it).
 */
export async function runTask(
  host: RunHost,
  {
    model,
    modelName,
    modelSlug,
    suite,
    task,
    attempt,
    signal,
  }: {
    model: Model;
    modelName: string;
    modelSlug: string;
    suite: string;
    task: EvalTask;
    attempt: number;
    signal?: AbortSignal;
  },
): Promise<RunOutcome | undefined> {
  const workflowId = runId(modelSlug, suite, task.id, attempt);
  const client = host.temporal.workerClient;
  const worker = await createPlanwrightWorker({
    connection: host.temporal.env.nativeConnection,
    namespace: 'default',
    taskQueue: workflowId,
    model,
    tools: taskTools(task),
    workspace: host.workspace,
    workflowBundle: host.bundle,
  });
  const handle = client.workflow.getHandle<typeof planAndExecute>(workflowId);
  const started = await handle.describe().then(
    () => true,
    (err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    },
  );
  let onAbort = () => {};
  const stopped = new Promise<'stopped'>((resolve) => {
    onAbort = () => resolve('stopped');
    if (signal?.aborted) resolve('stopped');
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  const outcome = async (): Promise<RunResult | Error | 'stopped'> => {
    if (!started)
      await client.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
        taskQueue: workflowId,
        workflowId,
        // A try plans afresh: no plan cache, so repeated tries measure the model, not the cache.
        args: [
          parseRunInput({
            goal: task.goal,
            ...(task.context ? { context: task.context } : {}),
            maxSteps: task.maxSteps ?? 25,
            planCache: false,
          }),
        ],
        staticSummary: `eval ${suite}/${task.id} #${attempt}`,
        requestEagerStart: true,
      });
    return Promise.race([
      handle.result().catch((err: unknown) => (err instanceof WorkflowFailedError ? err : Promise.reject(err))),
      stopped,
    ]);
  };
  let ended: Awaited<ReturnType<typeof outcome>>;
  try {
    ended = await worker.runUntil(outcome());
  } catch (err) {
    // Ctrl-C also shuts the worker down and stops the server: the run is left to the next evaluation.
    if (signal?.aborted) return undefined;
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (ended === 'stopped') return undefined;
  const { startTime, closeTime } = await handle.describe();
  const ms = closeTime ? closeTime.getTime() - startTime.getTime() : 0;
  const base = { model: modelName, suite, task: task.id, try: attempt, workflowId, ms };
  if (ended instanceof Error)
    return {
      ...base,
      status: 'failed',
      success: false,
      why: `the workflow failed: ${(ended.cause as Error | undefined)?.message ?? ended.message}`,
      usage: NO_USAGE,
    };
  return { ...base, status: ended.status, ...judgeRun(task, ended), usage: ended.usage };
}

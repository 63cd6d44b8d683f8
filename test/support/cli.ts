/**
 * Running the `planwright` command line in a test: its output captured, pointed at the shared dev server, with
 * a planwright worker on the scripted model to serve the runs it starts.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, inject, vi } from 'vitest';
import { main, reportError } from '../../src/cli/main.js';
import type { ModelConfig } from '../../src/llm/config.js';
import type { PlanCache } from '../../src/plan-cache.js';
import { startScriptedModel, type Script, type ScriptedModel } from '../../src/testing/scripted-model.js';
import { scriptedModelWorker } from './e2e.js';
import { devServerEnv, unique } from './temporal.js';

/** Captures what the CLI writes; `cli` runs it as bin/planwright.js does and resolves to the exit code. */
export function terminal() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err.push(String(chunk));
    return true;
  });
  return {
    stdout: () => out.join(''),
    stderr: () => err.join(''),
    async cli(...argv: string[]): Promise<number> {
      try {
        return await main(argv);
      } catch (error) {
        return reportError(error);
      }
    },
  };
}

/** Points the CLI at the shared dev server and a task queue of its own. */
export function useDevServer(taskQueue = unique('cli')): string {
  vi.stubEnv('TEMPORAL_ADDRESS', inject('devServerAddress'));
  vi.stubEnv('TEMPORAL_NAMESPACE', 'default');
  vi.stubEnv('PLANWRIGHT_TASK_QUEUE', taskQueue);
  return taskQueue;
}

/** A planwright worker on `taskQueue` with the scripted model (its settings overridable), and no plan cache by default. */
export async function scriptedWorker(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  script: Script,
  options: { model?: Partial<ModelConfig>; planCache?: PlanCache } = {},
): Promise<{ worker: Worker; model: ScriptedModel }> {
  const model = await startScriptedModel({ script });
  return { worker: await scriptedModelWorker(env, { ...options, taskQueue, url: model.url }), model };
}

/**
 * Declares the shared dev server for the current test file (connected before its tests, closed after them),
 * with the CLI's environment and mocks reset after each test.
 */
export function devServerSuite(): () => TestWorkflowEnvironment {
  let env: TestWorkflowEnvironment | undefined;
  beforeAll(async () => {
    env = await devServerEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });
  return () => {
    if (!env) throw new Error('the dev server environment is not connected');
    return env;
  };
}

/** Waits until `predicate` holds, polling every 50 ms. @throws {Error} naming `what` after `ms`. */
export async function until(predicate: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

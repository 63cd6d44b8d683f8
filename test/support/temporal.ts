/**
 * Temporal environments for tests: the time-skipping server (one per test file) and the shared dev
 * server started by the global setup; workers on a fresh task queue per test.
 */
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type Logger, type WorkerOptions } from '@temporalio/worker';
import { inject } from 'vitest';
import { startTestServer } from '../../src/provision/temporal.js';

let runtimeInstalled = false;
function quietRuntime(logger: Logger = new DefaultLogger('WARN')): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger });
}

/** Starts a time-skipping test environment on the provisioned Java test server. */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return startTestServer((executable) => TestWorkflowEnvironment.createTimeSkipping({ server: { executable } }));
}

/** Connects to the dev server the global setup started (the first call of a file may give the worker's logger). */
export async function devServerEnv(logger?: Logger): Promise<TestWorkflowEnvironment> {
  quietRuntime(logger);
  return TestWorkflowEnvironment.createFromExistingServer({ address: inject('devServerAddress') });
}

/** A unique name for a task queue or workflow id. */
export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Creates a worker on the prebuilt workflow bundle. */
export async function bundledWorker(
  env: TestWorkflowEnvironment,
  options: Omit<WorkerOptions, 'connection' | 'workflowBundle' | 'workflowsPath'>,
): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    ...options,
  });
}

/**
 * Once per test run: make sure both Temporal servers are provisioned (building them the first time,
 * with progress), bundle the workflow code once, and start one dev server for the end-to-end tests.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { startLocalTemporal, type LocalTemporal } from '../../src/temporal/local-server.js';
import { provisionServers } from '../../src/temporal/provision.js';
import { WORKFLOWS_PATH } from '../../src/worker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    workflowBundlePath: string;
    devServerAddress: string;
  }
}

let devServer: LocalTemporal | undefined;

export async function setup(project: TestProject): Promise<void> {
  await provisionServers();
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  const dir = path.resolve('.planwright/test');
  await mkdir(dir, { recursive: true });
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  await writeFile(bundlePath, code);
  project.provide('workflowBundlePath', bundlePath);

  devServer = await startLocalTemporal();
  project.provide('devServerAddress', devServer.address);
}

export async function teardown(): Promise<void> {
  await devServer?.stop();
}

const quietLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

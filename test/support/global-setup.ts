/**
 * Once per test run: make sure both Temporal servers are provisioned (building them the first time,
 * with progress), bundle the workflow code once, and start one dev server for the end-to-end tests.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startLocalTemporal, type LocalTemporal } from '../../src/temporal/local-server.js';
import { provisionServers } from '../../src/provision/temporal.js';
import { bundleWorkflows } from '../../src/testing/environment.js';

declare module 'vitest' {
  export interface ProvidedContext {
    workflowBundlePath: string;
    devServerAddress: string;
  }
}

let devServer: LocalTemporal | undefined;

/** Bundles the workflow code once for every test file (`workflowBundlePath`). */
export async function provideWorkflowBundle(project: TestProject): Promise<void> {
  const { code } = await bundleWorkflows();
  const dir = path.resolve('.planwright/test');
  await mkdir(dir, { recursive: true });
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  await writeFile(bundlePath, code);
  project.provide('workflowBundlePath', bundlePath);
}

export async function setup(project: TestProject): Promise<void> {
  await provisionServers();
  await provideWorkflowBundle(project);

  devServer = await startLocalTemporal();
  project.provide('devServerAddress', devServer.address);
}

export async function teardown(): Promise<void> {
  await devServer?.stop();
}

/**
 * Once per `npm run test:cluster`: Temporal's own server on PostgreSQL (built the first time), `planwright setup`
 * against it, and the workflow bundle. The end-to-end helpers (test/support) connect to whatever server
 * `devServerAddress` names, so the scenarios of test/e2e run here unchanged.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { provideWorkflowBundle } from '../../support/global-setup.js';
import { startTemporalCluster, type TemporalCluster } from './server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** postgres:// URL of the output store every worker of the suite shares. */
    clusterOutputStore: string;
    /** Seconds each phase of the server's start took, and `planwright setup`. */
    clusterTimings: Record<string, number>;
  }
}

let cluster: TemporalCluster | undefined;

export async function setup(project: TestProject): Promise<void> {
  cluster = await startTemporalCluster();
  const started = Date.now();
  const { stdout } = await promisify(execFile)(process.execPath, ['bin/planwright.js', 'setup'], {
    env: { ...process.env, TEMPORAL_ADDRESS: cluster.address, TEMPORAL_NAMESPACE: 'default' },
  });
  process.stderr.write(`[cluster] planwright setup: ${stdout.trim().replace(/\n/g, '; ')}\n`);
  const timings = { ...cluster.timings, setup: (Date.now() - started) / 1000 };
  process.stderr.write(`[cluster] ready on ${cluster.address} (seconds: ${JSON.stringify(timings)})\n`);

  await provideWorkflowBundle(project);
  project.provide('devServerAddress', cluster.address);
  project.provide('clusterOutputStore', cluster.outputStoreUrl);
  project.provide('clusterTimings', timings);
}

export async function teardown(): Promise<void> {
  await cluster?.stop();
}

/**
 * What a test kit runs on: a Temporal server provisioned offline the way planwright's own tests get one
 * (`TEMPORAL_TEST_SERVER_PATH` / `TEMPORAL_CLI_PATH`, the per-user cache, the SDK's download, a build from
 * package registries), the workflow bundle built once per process, and a quiet Temporal runtime.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type LogLevel, type WorkflowBundle } from '@temporalio/worker';
import { IllegalStateError } from '@temporalio/common';
import { startLocalTemporal } from '../temporal/local-server.js';
import { startTestServer } from '../provision/temporal.js';
import { planwrightWorkflowBundle } from '../workflow-bundle.js';

/**
 * Which Temporal server a kit runs on: `'time-skipping'` (Temporal's Java test server: the timers a run waits on
 * are skipped while the test awaits its result, and time moves no further), `'dev-server'` (the Temporal CLI's dev
 * server: real time, visibility, search attributes), or a server that is already running.
 */
export type TestServer = 'time-skipping' | 'dev-server' | { address: string; namespace?: string };

/**
 * Starts a test environment on `server`, provisioning the server when needed.
 * @throws {ProvisioningError} when the server can be neither found nor built (the message says what to install).
 */
export async function startEnvironment(server: TestServer): Promise<TestWorkflowEnvironment> {
  if (server === 'time-skipping') {
    return startTestServer((executable) => TestWorkflowEnvironment.createTimeSkipping({ server: { executable } }));
  }
  if (server === 'dev-server') return (await startLocalTemporal()).env;
  return TestWorkflowEnvironment.createFromExistingServer({
    address: server.address,
    ...(server.namespace ? { namespace: server.namespace } : {}),
  });
}

let bundle: Promise<WorkflowBundle> | undefined;

/**
 * The workflow bundle of `planAndExecute`, loaded (from the user cache when this code was bundled before, else
 * built, which takes a few seconds) on the first call and shared by every later one in this process. Pass it to
 * workers, or write `code` to a file in a test runner's global setup and give kits `{ codePath }`.
 * @throws {Error} when the workflow code cannot be bundled.
 * @example
 * const { code } = await bundleWorkflows();
 * await writeFile('.cache/planwright-workflows.js', code);
 */
export function bundleWorkflows(): Promise<WorkflowBundle> {
  bundle ??= planwrightWorkflowBundle().catch((err: unknown) => {
    bundle = undefined; // a later call tries again
    throw err;
  });
  return bundle;
}

/**
 * Installs this process's Temporal runtime with a logger at `level`, unless a runtime is installed already
 * (then it is left as it is). Workers log every failed activity at WARN, which is noise in tests of expected
 * failures; at `'ERROR'` only real trouble is shown. The SDK core's own messages follow the same level.
 */
export function quietRuntime(level: LogLevel): void {
  try {
    Runtime.install({
      logger: new DefaultLogger(level),
      // The SDK core's own messages go to the same logger, at the same level.
      telemetryOptions: { logging: { forward: {}, filter: { core: level, other: level } } },
    });
  } catch (err) {
    // Installed by the caller, or by an earlier kit: keep that one.
    if (!(err instanceof IllegalStateError)) throw err;
  }
}

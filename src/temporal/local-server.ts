/**
 * The embedded local Temporal dev server (with its Web UI), for the demo, `planwright dev` and tests.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { startDevServer, type ProvisionOptions } from './provision.js';

/** A running local dev server. */
export interface LocalTemporal {
  env: TestWorkflowEnvironment;
  /** host:port of its gRPC frontend. */
  address: string;
  /** Base URL of the Web UI, when it was started. */
  uiUrl?: string;
  stop(): Promise<void>;
}

/**
 * Starts a local dev server, provisioning it if needed.
 * @throws {ProvisioningError} when no server can be found, downloaded or built.
 */
export async function startLocalTemporal(
  options: ProvisionOptions & { uiPort?: number; port?: number; dbFilename?: string } = {},
): Promise<LocalTemporal> {
  const { uiPort, port, dbFilename } = options;
  const env = await startDevServer(
    (executable) =>
      TestWorkflowEnvironment.createLocal({
        server: {
          executable,
          ...(uiPort !== undefined ? { uiPort } : {}),
          ...(port !== undefined ? { port } : {}),
          ...(dbFilename !== undefined ? { dbFilename } : {}),
          log: { format: 'pretty', level: 'error' },
        },
      }),
    options,
  );
  return {
    env,
    address: env.address,
    ...(uiPort !== undefined ? { uiUrl: `http://localhost:${uiPort}` } : {}),
    stop: () => env.teardown(),
  };
}

/**
 * The embedded local Temporal dev server (with its Web UI), for the demo, `planwright dev` and tests.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TestWorkflowEnvironment, type EphemeralServerExecutable } from '@temporalio/testing';
import { cacheDir, startDevServer, type ProvisionOptions } from './provision.js';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';

/**
 * The CLI prints its banner on stdout, which the SDK passes through to ours; a wrapper that sends it to
 * stderr keeps stdout for the caller's own output (`--json`). Only paths we can wrap are wrapped.
 */
async function withStdoutOnStderr(executable: EphemeralServerExecutable): Promise<EphemeralServerExecutable> {
  if (executable.type !== 'existing-path') return executable;
  const digest = createHash('sha256').update(executable.path).digest('hex').slice(0, 12);
  const wrapper = path.join(cacheDir(), 'bin', `temporal-${digest}`);
  if (!existsSync(wrapper)) {
    await mkdir(path.dirname(wrapper), { recursive: true });
    const quoted = `'${executable.path.replace(/'/g, `'\\''`)}'`;
    await writeFile(
      wrapper,
      `#!/bin/sh\n# Runs ${executable.path} with its stdout sent to stderr.\nexec ${quoted} "$@" 1>&2\n`,
      {
        mode: 0o755,
      },
    );
  }
  return { type: 'existing-path', path: wrapper };
}

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
    async (executable) =>
      TestWorkflowEnvironment.createLocal({
        server: {
          executable: await withStdoutOnStderr(executable),
          ...(uiPort !== undefined ? { uiPort } : {}),
          ...(port !== undefined ? { port } : {}),
          ...(dbFilename !== undefined ? { dbFilename } : {}),
          log: { format: 'pretty', level: 'error' },
          searchAttributes: SEARCH_ATTRIBUTES,
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

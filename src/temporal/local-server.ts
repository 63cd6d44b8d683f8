/**
 * The embedded local Temporal dev server (with its Web UI), for the demo, `planwright dev` and tests.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment, type EphemeralServerExecutable } from '@temporalio/testing';
import { cacheDir } from '../cache-dir.js';
import type { ProvisionOptions } from '../provision/build.js';
import { startDevServer } from '../provision/temporal.js';
import { SEARCH_ATTRIBUTES } from '../contract/search-attributes.js';
import { clientTracing, tracingFromEnv } from '../telemetry/tracing.js';

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

/**
 * Server settings that make steps fast on the embedded server, passed as `--dynamic-config-value`:
 * - `history.transferProcessorMaxPollRPS`: how often per second the history service may read its queue of
 *   tasks to hand to task queues (workflow and activity tasks alike). The server's default, 20 per shard, is
 *   made for clusters of hundreds of shards; the dev server has one, so every task waited up to 50 ms for its
 *   turn (35–45 ms in practice), twice per step. Raised, a task reaches a waiting worker in a few ms.
 * - `system.enableActivityEagerExecution`: a workflow task that schedules an activity may take it at once,
 *   on the same worker, instead of the activity waiting in the task queue for a poll.
 * - `system.enableEagerWorkflowStart`: a client that shares its connection with a worker of the run's task
 *   queue, and asks for it (`requestEagerStart`), gets the run's first workflow task in the answer to its start
 *   request and hands it to that worker (the server's default; named here with the other two, for clusters).
 */
export const FAST_DEV_SERVER_CONFIG: Readonly<Record<string, string | number | boolean>> = Object.freeze({
  'history.transferProcessorMaxPollRPS': 10_000,
  'system.enableActivityEagerExecution': true,
  'system.enableEagerWorkflowStart': true,
});

/** A running local dev server. */
export interface LocalTemporal {
  env: TestWorkflowEnvironment;
  /** host:port of its gRPC frontend. */
  address: string;
  /** Base URL of the Web UI, when it was started. */
  uiUrl?: string;
  /** The {@link workerClient} of `env`: runs it starts with `requestEagerStart` begin on this process's workers. */
  workerClient: Client;
  stop(): Promise<void>;
}

/**
 * A client on an environment's `nativeConnection`, the connection its workers are given: a run it starts with
 * `requestEagerStart` begins on such a worker of the run's task queue at once, not through the task queue. When the
 * OpenTelemetry variables ask for traces, a run's trace starts in it, as in `connectClient`'s.
 * @throws {TelemetryConfigError} for OpenTelemetry variables planwright cannot follow.
 */
export function workerClient(
  env: TestWorkflowEnvironment,
  interceptors = { workflow: clientTracing(tracingFromEnv()) },
): Client {
  return new Client({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', interceptors });
}

/**
 * Starts a local dev server, provisioning it if needed.
 * @throws {ProvisioningError} when no server can be found, downloaded or built.
 * @throws {TelemetryConfigError} for OpenTelemetry variables planwright cannot follow (before any server starts).
 */
export async function startLocalTemporal(
  options: ProvisionOptions & {
    uiPort?: number;
    port?: number;
    dbFilename?: string;
    /** Start with {@link FAST_DEV_SERVER_CONFIG} (default true). */
    fast?: boolean;
    /** More dynamic config values, on top of the fast settings. */
    dynamicConfig?: Record<string, string | number | boolean>;
  } = {},
): Promise<LocalTemporal> {
  const { uiPort, port, dbFilename } = options;
  const interceptors = { workflow: clientTracing(tracingFromEnv()) }; // read first: a bad variable starts nothing
  const dynamicConfig = { ...(options.fast === false ? {} : FAST_DEV_SERVER_CONFIG), ...options.dynamicConfig };
  const extraArgs = Object.entries(dynamicConfig).flatMap(([key, value]) => [
    '--dynamic-config-value',
    `${key}=${JSON.stringify(value)}`,
  ]);
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
          extraArgs,
        },
      }),
    options,
  );
  return {
    env,
    address: env.address,
    workerClient: workerClient(env, interceptors),
    ...(uiPort !== undefined ? { uiUrl: `http://localhost:${uiPort}` } : {}),
    stop: () => env.teardown(),
  };
}

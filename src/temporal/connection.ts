/**
 * Reaching Temporal: a local dev server, a self-hosted cluster, or Temporal Cloud, from the environment.
 */
import { clientTracing, tracingFromEnv } from '../telemetry/tracing.js';
import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';

/** Task queue used when `PLANWRIGHT_TASK_QUEUE` is not set. */
export const DEFAULT_TASK_QUEUE = 'planwright';

/** Where and how to reach Temporal. */
export interface TemporalConfig {
  /** host:port; undefined means "start the embedded local dev server". */
  address?: string;
  namespace: string;
  taskQueue: string;
  apiKey?: string;
  tls?: ConnectionOptions['tls'];
}

/**
 * Reads `TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS`,
 * `TEMPORAL_TLS_CERT` / `TEMPORAL_TLS_KEY` (mTLS file paths), `TEMPORAL_TLS_SERVER_NAME` and `PLANWRIGHT_TASK_QUEUE`.
 * @throws {Error} when a TLS file cannot be read.
 */
export function temporalConfigFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalConfig {
  const cert = env.TEMPORAL_TLS_CERT;
  const key = env.TEMPORAL_TLS_KEY;
  const read = (file: string, name: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read ${name}=${file}: ${(err as Error).message}`);
    }
  };
  let tls: ConnectionOptions['tls'];
  if (cert && key) {
    tls = {
      clientCertPair: { crt: read(cert, 'TEMPORAL_TLS_CERT'), key: read(key, 'TEMPORAL_TLS_KEY') },
      ...(env.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME } : {}),
    };
  } else if (env.TEMPORAL_API_KEY || env.TEMPORAL_TLS === 'true') {
    tls = true; // Temporal Cloud API keys travel over TLS.
  }
  return {
    ...(env.TEMPORAL_ADDRESS ? { address: env.TEMPORAL_ADDRESS } : {}),
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.PLANWRIGHT_TASK_QUEUE || DEFAULT_TASK_QUEUE,
    ...(env.TEMPORAL_API_KEY ? { apiKey: env.TEMPORAL_API_KEY } : {}),
    ...(tls !== undefined ? { tls } : {}),
  };
}

/** The gRPC status code and details of an error from a client call, found on it or on one of its causes. */
export function grpcStatus(err: unknown): { code: number; details: string } | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const { code, details, message, cause } = e as {
      code?: unknown;
      details?: unknown;
      message?: unknown;
      cause?: unknown;
    };
    if (typeof code === 'number') return { code, details: String(details ?? message) };
    e = cause;
  }
  return undefined;
}

/** gRPC status UNAVAILABLE: the server could not be reached (after the client's own retries). */
const UNAVAILABLE = 14;

/** Whether an error from a client call means that the server could not be reached, or went away. */
export function isUnreachable(err: unknown): boolean {
  return grpcStatus(err)?.code === UNAVAILABLE;
}

/**
 * Thrown when Temporal cannot be reached, or went away during a call; the CLI exits 3 on it.
 * @example
 * try { await connectClient(config); } catch (err) { if (err instanceof TemporalUnreachableError) console.error(err.address); }
 */
export class TemporalUnreachableError extends Error {
  override readonly name = 'TemporalUnreachableError';
  constructor(
    readonly address: string,
    options: { cause: unknown },
  ) {
    const status = grpcStatus(options.cause);
    const reason = status?.code === UNAVAILABLE ? status.details : ((options.cause as Error)?.message ?? options.cause);
    // gRPC ends its details with an empty "Resolution note: ." more often than not.
    const said = String(reason)
      .replace(/\s*Resolution note:\s*\.?\s*$/, '')
      .replace(/\.$/, '');
    super(
      `cannot reach Temporal at ${address}: ${said}. ` +
        'Start one with `planwright dev`, or set TEMPORAL_ADDRESS (and TEMPORAL_API_KEY / TLS for Temporal Cloud).',
      options,
    );
  }
}

function connectionOptions(config: TemporalConfig & { address: string }) {
  return {
    address: config.address,
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
    ...(config.tls !== undefined ? { tls: config.tls } : {}),
  };
}

/**
 * Connects a client.
 * @throws {TemporalUnreachableError} when the server does not answer.
 */
export async function connectClient(config: TemporalConfig & { address: string }): Promise<Client> {
  try {
    const connection = await Connection.connect(connectionOptions(config));
    const interceptors = { workflow: clientTracing(tracingFromEnv()) }; // a run's trace starts here when tracing
    return new Client({ connection, namespace: config.namespace, interceptors });
  } catch (err) {
    throw new TemporalUnreachableError(config.address, { cause: err });
  }
}

/**
 * Connects a worker's native connection.
 * @throws {TemporalUnreachableError} when the server does not answer.
 */
export async function connectWorker(config: TemporalConfig & { address: string }): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect(connectionOptions(config));
  } catch (err) {
    throw new TemporalUnreachableError(config.address, { cause: err });
  }
}

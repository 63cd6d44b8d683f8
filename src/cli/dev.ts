/**
 * `planwright dev`: the embedded dev server (with its Web UI) and a worker, for working on one machine. Runs are
 * kept in a SQLite file in the cache directory, so they survive a restart; `--ephemeral` keeps them in memory.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { modelConfigFromEnv } from '../llm/config.js';
import { createModel } from '../llm/model.js';
import { startLocalTemporal } from '../temporal/local-server.js';
import { cacheDir } from '../cache-dir.js';
import { searchAttributeNotice } from '../temporal/setup.js';
import { createPlanwrightWorker, loadTools, registeredSearchAttributes } from '../worker.js';
import { workspaceFromEnv } from '../default-workspace.js';
import { temporalSettings, workspaceNotice } from './command.js';

/** Where `planwright dev` keeps its runs. */
export interface DevStorage {
  /** The database file (`--db FILE`); default `dev-server.db` in the cache directory. */
  db?: string;
  /** Keep runs in memory only (`--ephemeral`). */
  ephemeral?: boolean;
}

/**
 * The dev server's database file, or undefined when runs are kept in memory only.
 * @example devDatabase({}) // '/home/me/.cache/planwright/dev-server.db'
 */
export function devDatabase(storage: DevStorage, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (storage.ephemeral) return undefined;
  return storage.db ? path.resolve(storage.db) : path.join(cacheDir(env), 'dev-server.db');
}

/** Options of {@link runDev}. */
export interface DevOptions extends DevStorage {
  port: number;
  uiPort: number;
  print: (line: string) => void;
}

/**
 * Starts the dev server and a worker and runs until the worker is shut down (Ctrl-C or SIGTERM).
 * @throws {ProvisioningError} when no dev server can be provided.
 */
export async function runDev(options: DevOptions): Promise<void> {
  const { port, uiPort, print } = options;
  // Every setting is read before the server starts: a wrong one is reported at once.
  const config = temporalSettings();
  const model = createModel(modelConfigFromEnv());
  const workspace = await workspaceFromEnv();
  const database = devDatabase(options);
  if (database) await mkdir(path.dirname(database), { recursive: true });
  const temporal = await startLocalTemporal({ port, uiPort, ...(database ? { dbFilename: database } : {}) });
  try {
    print(`Temporal dev server: ${temporal.address} · Web UI: ${temporal.uiUrl}`);
    print(
      database
        ? `Runs are kept in ${database}; they survive a restart (--ephemeral keeps them in memory only).`
        : 'Runs are kept in memory only (--ephemeral); they go when the server stops.',
    );
    const connection = temporal.env.nativeConnection;
    print(searchAttributeNotice(await registeredSearchAttributes(connection, 'default'), 'default'));
    const worker = await createPlanwrightWorker({
      connection,
      namespace: 'default',
      taskQueue: config.taskQueue,
      model,
      tools: await loadTools(),
      workspace,
    });
    print(workspaceNotice(workspace));
    print(`Worker polling task queue "${config.taskQueue}". Press Ctrl-C to stop.`);
    await worker.run(); // The SDK's runtime shuts the worker down gracefully on SIGINT and SIGTERM.
  } finally {
    await temporal.stop();
  }
}

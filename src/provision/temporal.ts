/**
 * Temporal servers on machines without internet. The dev server (Temporal CLI, with the Web UI) and the
 * time-skipping test server are found, in order: an explicit path from the environment; a copy cached
 * per user outside the project; the SDK's own download (where there is internet); a build from package
 * registries (`go install` for the CLI, `temporal-cli.ts`; Maven Central for the Java test server,
 * `test-server.ts`).
 */
import { existsSync } from 'node:fs';
import type { EphemeralServerExecutable } from '@temporalio/testing';
import { stderrLog, type ProvisionOptions } from './build.js';
import { buildDevServer, DEV_ADVICE, devServerPath, TEMPORAL_CLI_VERSION } from './temporal-cli.js';
import { buildTestServer, TEST_ADVICE, testServerPath } from './test-server.js';

/**
 * Thrown when no route produced a server; the message lists every route tried and what to install.
 * @example
 * try { await startTestKit(); } catch (err) { if (err instanceof ProvisioningError) console.error(err.attempts); }
 */
export class ProvisioningError extends Error {
  override readonly name = 'ProvisioningError';
  constructor(
    readonly server: 'dev server' | 'time-skipping test server',
    readonly attempts: readonly string[],
    advice: string,
  ) {
    super(`cannot provide the Temporal ${server}. Tried:\n${attempts.map((a) => `  - ${a}`).join('\n')}\n${advice}`);
  }
}

/** Paths of the cached servers. */
export function cachedPaths(env: NodeJS.ProcessEnv = process.env) {
  return { devServer: devServerPath(env), testServer: testServerPath(env) };
}

/** One way of getting a server, as tried by {@link startWithFallbacks}. */
interface Route {
  name: string;
  executable: () => Promise<EphemeralServerExecutable>;
}

/**
 * Starts a server by trying each route in turn until one starts.
 * @throws {ProvisioningError} listing every route and its error when none works.
 */
async function startWithFallbacks<T>(
  server: ProvisioningError['server'],
  routes: Route[],
  start: (executable: EphemeralServerExecutable) => Promise<T>,
  advice: string,
): Promise<T> {
  const attempts: string[] = [];
  for (const route of routes) {
    try {
      return await start(await route.executable());
    } catch (err) {
      attempts.push(`${route.name}: ${firstLine(err)}`);
    }
  }
  throw new ProvisioningError(server, attempts, advice);
}

/** The routes to a server, in order; an explicit path from the environment is the only one when set. */
function routesFor(
  kind: 'dev' | 'test',
  { log = stderrLog, env = process.env }: ProvisionOptions,
): { routes: Route[]; explicit: boolean } {
  const variable = kind === 'dev' ? 'TEMPORAL_CLI_PATH' : 'TEMPORAL_TEST_SERVER_PATH';
  const explicit = env[variable];
  const existing = (p: string): EphemeralServerExecutable => ({ type: 'existing-path', path: p });
  if (explicit) {
    // An explicit path is a decision: use it or fail, never fall through to something else.
    return {
      explicit: true,
      routes: [
        {
          name: `${variable}=${explicit}`,
          executable: async () => {
            if (!existsSync(explicit)) throw new Error(`${explicit} does not exist`);
            return existing(explicit);
          },
        },
      ],
    };
  }
  const cached = cachedPaths(env)[kind === 'dev' ? 'devServer' : 'testServer'];
  const routes: Route[] = [];
  if (existsSync(cached)) routes.push({ name: `cached copy ${cached}`, executable: async () => existing(cached) });
  if (env.PLANWRIGHT_OFFLINE !== '1') {
    routes.push({ name: "the Temporal SDK's download", executable: async () => ({ type: 'cached-download' }) });
  }
  routes.push({
    name:
      kind === 'dev' ? `go install of the Temporal CLI ${TEMPORAL_CLI_VERSION}` : 'Maven Central temporal-test-server',
    executable: async () =>
      existing(kind === 'dev' ? await buildDevServer({ log, env }) : await buildTestServer({ log, env })),
  });
  return { routes, explicit: false };
}

/**
 * Starts something with the Temporal dev server executable, trying each route in order.
 * @throws {ProvisioningError} when no route works.
 * @example const env = await startDevServer((executable) => TestWorkflowEnvironment.createLocal({ server: { executable } }));
 */
export async function startDevServer<T>(
  start: (executable: EphemeralServerExecutable) => Promise<T>,
  options: ProvisionOptions = {},
): Promise<T> {
  const { routes } = routesFor('dev', options);
  return startWithFallbacks('dev server', routes, start, DEV_ADVICE);
}

/**
 * Starts something with the time-skipping test server executable, trying each route in order.
 * @throws {ProvisioningError} when no route works.
 */
export async function startTestServer<T>(
  start: (executable: EphemeralServerExecutable) => Promise<T>,
  options: ProvisionOptions = {},
): Promise<T> {
  const { routes } = routesFor('test', options);
  return startWithFallbacks('time-skipping test server', routes, start, TEST_ADVICE);
}

/**
 * Makes sure both servers are on disk (explicit path or cache), building them from registries if not.
 * Used by `planwright provision` and the test setup, so the slow builds happen once, with progress.
 * @throws {ProvisioningError} when a server can be neither found nor built.
 */
export async function provisionServers(
  options: ProvisionOptions = {},
): Promise<{ devServer: string; testServer: string }> {
  const { log = stderrLog, env = process.env } = options;
  const find = async (kind: 'dev' | 'test'): Promise<string> => {
    const variable = kind === 'dev' ? 'TEMPORAL_CLI_PATH' : 'TEMPORAL_TEST_SERVER_PATH';
    const explicit = env[variable];
    const server = kind === 'dev' ? 'dev server' : 'time-skipping test server';
    if (explicit) {
      if (existsSync(explicit)) return explicit;
      throw new ProvisioningError(server, [`${variable}=${explicit}: the file does not exist`], `Fix ${variable}.`);
    }
    try {
      return kind === 'dev' ? await buildDevServer({ log, env }) : await buildTestServer({ log, env });
    } catch (err) {
      throw new ProvisioningError(
        server,
        [`build from registries: ${firstLine(err)}`],
        kind === 'dev' ? DEV_ADVICE : TEST_ADVICE,
      );
    }
  };
  return { devServer: await find('dev'), testServer: await find('test') };
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err)
    .split('\n')
    .slice(0, 3)
    .join(' ');
}

/**
 * Temporal servers on machines without internet. The dev server (Temporal CLI, with the Web UI) and the
 * time-skipping test server are found, in order: an explicit path from the environment; a copy cached
 * per user outside the project; the SDK's own download (where there is internet); a build from package
 * registries (`go install` for the CLI, Maven Central for the Java test server).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import path from 'node:path';
import type { EphemeralServerExecutable } from '@temporalio/testing';

/** Temporal CLI release built by `go install`; later tags cannot be go-installed (a replace directive). */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
/** Maven Central version of `io.temporal:temporal-test-server`. */
export const TEST_SERVER_VERSION = '1.38.0';

/** Where progress goes; the default writes to stderr. */
export type ProgressLog = (line: string) => void;
export const stderrLog: ProgressLog = (line) => process.stderr.write(`[planwright] ${line}\n`);

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

/** The per-user cache directory: `PLANWRIGHT_CACHE_DIR`, else `$XDG_CACHE_HOME/planwright`, else `~/.cache/planwright`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PLANWRIGHT_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'planwright');
}

/** Paths of the cached servers. */
export function cachedPaths(env: NodeJS.ProcessEnv = process.env) {
  const root = cacheDir(env);
  return {
    devServer: path.join(root, `temporal-cli-${TEMPORAL_CLI_VERSION}`, 'temporal'),
    testServer: path.join(root, `temporal-test-server-${TEST_SERVER_VERSION}`, 'temporal-test-server'),
  };
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

/** Options shared by the two `start…` functions. */
export interface ProvisionOptions {
  log?: ProgressLog;
  env?: NodeJS.ProcessEnv;
}

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

const DEV_ADVICE =
  `Install Go >= 1.25 (so that \`go install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}\` can run), ` +
  'or point TEMPORAL_CLI_PATH at a Temporal CLI binary.';
const TEST_ADVICE =
  'Install a JDK (>= 11) and Maven (so that io.temporal:temporal-test-server can be fetched from Maven Central), ' +
  'or point TEMPORAL_TEST_SERVER_PATH at a time-skipping test server executable.';

/**
 * Builds the Temporal CLI with `go install` into the cache (once; later calls return the cached path).
 * @throws {Error} when Go is missing or too old, or the build fails.
 */
export async function buildDevServer({ log = stderrLog, env = process.env }: ProvisionOptions = {}): Promise<string> {
  const target = cachedPaths(env).devServer;
  return withBuildLock(target, log, async () => {
    const go = goCommand(env);
    const version = (await run(go, ['env', 'GOVERSION'], { env })).stdout.trim();
    const [major = 0, minor = 0] = version.replace(/^go/, '').split('.').map(Number);
    if (major < 1 || (major === 1 && minor < 25))
      throw new Error(`Go ${version} is too old; the Temporal CLI needs Go >= 1.25`);
    const staging = `${path.dirname(target)}.staging`;
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    log(
      `building the Temporal CLI ${TEMPORAL_CLI_VERSION} with ${version} (first time only; about 5 minutes on 2 cores)…`,
    );
    let modules = 0;
    let packages = 0;
    await run(go, ['install', '-v', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], {
      env: { ...env, GOBIN: staging, GOFLAGS: '-mod=mod' },
      progress: {
        log,
        every: 15_000,
        describe: () => `${modules} Go modules downloaded, ${packages} of about 1,300 packages compiled`,
      },
      onStderrLine: (line) => {
        if (line.startsWith('go: downloading')) modules++;
        else packages++;
      },
    });
    await mkdir(path.dirname(path.dirname(target)), { recursive: true });
    await rm(path.dirname(target), { recursive: true, force: true });
    await rename(staging, path.dirname(target));
    log(`Temporal CLI ready: ${target}`);
    return target;
  });
}

/** `go` from PATH, or from the standard install location when PATH lacks it (as in some CI shells). */
function goCommand(env: NodeJS.ProcessEnv): string {
  const onPath = (env.PATH ?? '').split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, 'go')));
  return !onPath && existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';
}

/**
 * Fetches the Java time-skipping test server from Maven Central into the cache, writes a wrapper that
 * `exec`s java, and records a class-data-sharing archive so the JVM answers well inside the SDK's 5 s.
 * @throws {Error} when java or mvn is missing or the fetch fails.
 */
export async function buildTestServer({ log = stderrLog, env = process.env }: ProvisionOptions = {}): Promise<string> {
  const target = cachedPaths(env).testServer;
  return withBuildLock(target, log, async () => {
    await run('java', ['-version'], { env });
    const staging = `${path.dirname(target)}.staging`;
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    await writeFile(path.join(staging, 'pom.xml'), testServerPom());
    log(`fetching io.temporal:temporal-test-server:${TEST_SERVER_VERSION} from Maven Central (first time only)…`);
    let downloads = 0;
    await run(
      'mvn',
      ['-B', '-ntp', 'dependency:copy-dependencies', '-DoutputDirectory=lib', '-DincludeScope=runtime'],
      {
        env,
        cwd: staging,
        progress: { log, every: 10_000, describe: () => `${downloads} Maven steps done` },
        onStdoutLine: () => downloads++,
      },
    );
    // The archive records the class path, so it is made where the jars will stay; the wrapper comes last
    // because its presence marks the copy complete.
    const final = path.dirname(target);
    await rm(final, { recursive: true, force: true });
    await rename(staging, final);
    log('recording a class-data-sharing archive for fast JVM start-up…');
    await recordClassDataArchive(final);
    await writeFile(target, testServerWrapper(final));
    await chmod(target, 0o755);
    log(`time-skipping test server ready: ${target}`);
    return target;
  });
}

function testServerPom(): string {
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.planwright</groupId><artifactId>temporal-test-server-fetch</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>${TEST_SERVER_VERSION}</version></dependency>
    <!-- binds SLF4J to a silent logger, so the server does not print a warning at every start -->
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-nop</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
`;
}

/** JVM flags for a fast start: the archive of loaded classes, C1 only, and quiet CDS warnings. */
function jvmFlags(dir: string): string[] {
  return [
    `-XX:SharedArchiveFile=${dir}/classes.jsa`,
    '-Xshare:auto',
    '-Xlog:cds=off',
    '-Xlog:cds+dynamic=off',
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
  ];
}

function testServerWrapper(dir: string): string {
  return `#!/bin/sh
# Temporal time-skipping test server ${TEST_SERVER_VERSION} (from Maven Central), written by planwright.
# Usage: temporal-test-server <port> [--enable-time-skipping]
exec java ${jvmFlags(dir)
    .map((f) => `'${f}'`)
    .join(' ')} -cp '${dir}/lib/*' io.temporal.testserver.TestServer "$@"
`;
}

/** Runs the test server once with -XX:ArchiveClassesAtExit so later starts map its classes from the archive. */
async function recordClassDataArchive(dir: string): Promise<void> {
  const port = 17000 + Math.floor(Math.random() * 20000);
  const child = spawn(
    'java',
    [
      `-XX:ArchiveClassesAtExit=${dir}/classes.jsa`,
      '-Xlog:cds=off',
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      '-cp',
      `${dir}/lib/*`,
      'io.temporal.testserver.TestServer',
      String(port),
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForPort(port, 30_000);
  await new Promise((r) => setTimeout(r, 1500));
  child.kill('SIGTERM');
  await exited;
  await stat(`${dir}/classes.jsa`).catch(() => {
    throw new Error('the JVM did not write a class-data-sharing archive');
  });
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. @throws {Error} after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listened on port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Builds `target` once across processes: returns at once when it exists, otherwise takes a lock
 * directory next to it (waiting for another process that holds it) and runs `build`.
 */
export async function withBuildLock(target: string, log: ProgressLog, build: () => Promise<string>): Promise<string> {
  if (existsSync(target)) return target;
  const lock = `${path.dirname(target)}.lock`;
  await mkdir(path.dirname(lock), { recursive: true });
  for (let waited = 0; ; waited++) {
    try {
      await mkdir(lock);
      break;
    } catch {
      const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 30 * 60_000) await rm(lock, { recursive: true, force: true });
      if (waited % 30 === 0) log(`waiting for another process that is building ${path.basename(target)}…`);
      await new Promise((r) => setTimeout(r, 2000));
      if (existsSync(target)) return target;
    }
  }
  try {
    return existsSync(target) ? target : await build();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  progress?: { log: ProgressLog; every: number; describe: () => string };
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
}

/** Runs a command; rejects with its last output lines when it fails or cannot start. */
export function run(command: string, args: string[], options: RunOptions): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(command, args, { env: options.env, ...(options.cwd ? { cwd: options.cwd } : {}) });
    let stdout = '';
    const tail: string[] = [];
    const lines = (handler?: (line: string) => void) => {
      let partial = '';
      return (chunk: Buffer) => {
        const text = partial + chunk.toString();
        const all = text.split('\n');
        partial = all.pop() ?? '';
        for (const line of all) {
          tail.push(line);
          if (tail.length > 15) tail.shift();
          handler?.(line);
        }
      };
    };
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stdout.on('data', lines(options.onStdoutLine));
    child.stderr.on('data', lines(options.onStderrLine));
    const { progress } = options;
    const timer = progress
      ? setInterval(
          () => progress.log(`  … ${progress.describe()}, ${Math.round((Date.now() - started) / 1000)} s`),
          progress.every,
        )
      : undefined;
    const done = (err?: Error) => {
      if (timer) clearInterval(timer);
      if (err) reject(err);
      else resolve({ stdout });
    };
    child.once('error', (err: NodeJS.ErrnoException) =>
      done(new Error(err.code === 'ENOENT' ? `"${command}" is not installed (not found on PATH)` : err.message)),
    );
    child.once('exit', (code) =>
      code === 0 ? done() : done(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${tail.join('\n')}`)),
    );
  });
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err)
    .split('\n')
    .slice(0, 3)
    .join(' ');
}

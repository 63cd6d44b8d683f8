/**
 * The Java time-skipping test server, fetched from Maven Central into the per-user cache, with a wrapper script
 * and a class-data-sharing archive that make the JVM answer well inside the SDK's 5 seconds.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { cacheDir } from '../cache-dir.js';
import { run, stderrLog, withBuildLock, type ProvisionOptions } from './build.js';

/** Maven Central version of `io.temporal:temporal-test-server`. */
export const TEST_SERVER_VERSION = '1.38.0';

/** Where the fetched server's wrapper script is cached (its jars beside it). */
export function testServerPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheDir(env), `temporal-test-server-${TEST_SERVER_VERSION}`, 'temporal-test-server');
}

/** What to install when the server can be neither found nor fetched. */
export const TEST_ADVICE =
  'Install a JDK (>= 11) and Maven (so that io.temporal:temporal-test-server can be fetched from Maven Central), ' +
  'or point TEMPORAL_TEST_SERVER_PATH at a time-skipping test server executable.';

/**
 * Fetches the Java time-skipping test server from Maven Central into the cache, writes a wrapper that
 * `exec`s java, and records a class-data-sharing archive so the JVM answers well inside the SDK's 5 s.
 * @throws {Error} when java or mvn is missing or the fetch fails.
 */
export async function buildTestServer({ log = stderrLog, env = process.env }: ProvisionOptions = {}): Promise<string> {
  const target = testServerPath(env);
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

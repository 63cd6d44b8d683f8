/**
 * The Temporal CLI (the dev server, with the Web UI), built with `go install` into the per-user cache.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { cacheDir } from '../cache-dir.js';
import { run, stderrLog, withBuildLock, type ProvisionOptions } from './build.js';

/** Temporal CLI release built by `go install`; later tags cannot be go-installed (a replace directive). */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

/** Where the built CLI is cached. */
export function devServerPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheDir(env), `temporal-cli-${TEMPORAL_CLI_VERSION}`, 'temporal');
}

/** What to install when the CLI can be neither found nor built. */
export const DEV_ADVICE =
  `Install Go >= 1.25 (so that \`go install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}\` can run), ` +
  'or point TEMPORAL_CLI_PATH at a Temporal CLI binary.';

/**
 * Builds the Temporal CLI with `go install` into the cache (once; later calls return the cached path).
 * @throws {Error} when Go is missing or too old, or the build fails.
 */
export async function buildDevServer({ log = stderrLog, env = process.env }: ProvisionOptions = {}): Promise<string> {
  const target = devServerPath(env);
  return withBuildLock(target, log, async () => {
    const { go, version } = await goForBuild('the Temporal CLI', env);
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

/**
 * The `go` command and its version, for building `what`.
 * @throws {Error} when Go is missing or older than 1.25.
 */
export async function goForBuild(what: string, env: NodeJS.ProcessEnv): Promise<{ go: string; version: string }> {
  const go = goCommand(env);
  const version = (await run(go, ['env', 'GOVERSION'], { env })).stdout.trim();
  const [major = 0, minor = 0] = version.replace(/^go/, '').split('.').map(Number);
  if (major < 1 || (major === 1 && minor < 25)) throw new Error(`Go ${version} is too old; ${what} needs Go >= 1.25`);
  return { go, version };
}

/** `go` from PATH, or from the standard install location when PATH lacks it (as in some CI shells). */
function goCommand(env: NodeJS.ProcessEnv): string {
  const onPath = (env.PATH ?? '').split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, 'go')));
  return !onPath && existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';
}

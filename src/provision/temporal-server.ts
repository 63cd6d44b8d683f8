/**
 * Temporal's own server (`go.temporal.io/server`, the release the Temporal CLI embeds) and its SQL schema tool,
 * built with `go install` into the per-user cache, with the server's configuration template (`config/docker.yaml`,
 * the one its Docker images read) and the PostgreSQL schemas next to them: what a self-hosted, PostgreSQL-backed
 * cluster runs.
 */
import { cp, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { cacheDir } from '../cache-dir.js';
import { run, stderrLog, withBuildLock, type ProvisionOptions } from './build.js';
import { goForBuild } from './temporal-cli.js';

/** The server release the Temporal CLI v1.5.1 embeds; docker-compose.yml runs the same one. */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';

const MODULE = 'go.temporal.io/server';

/** The built server's files. */
export interface TemporalServerFiles {
  /** The folder holding everything below. */
  dir: string;
  /** `temporal-server` (`cmd/server`). */
  server: string;
  /** `temporal-sql-tool` (`cmd/tools/sql`). */
  sqlTool: string;
  /** The server's configuration template, `config/docker.yaml`, read with `--env docker`. */
  configTemplate: string;
  /** `schema/postgresql/v12`: `temporal/versioned` and `visibility/versioned`. */
  postgresSchemas: string;
}

/** Where the built server is cached. */
export function temporalServerFiles(env: NodeJS.ProcessEnv = process.env): TemporalServerFiles {
  const dir = path.join(cacheDir(env), `temporal-server-${TEMPORAL_SERVER_VERSION}`);
  return {
    dir,
    server: path.join(dir, 'temporal-server'),
    sqlTool: path.join(dir, 'temporal-sql-tool'),
    configTemplate: path.join(dir, 'config', 'docker.yaml'),
    postgresSchemas: path.join(dir, 'schema', 'postgresql', 'v12'),
  };
}

/**
 * Builds the server and the schema tool with `go install` into the cache (once; later calls return the cached
 * files), copying the configuration template and the PostgreSQL schemas from the module's source.
 * @throws {Error} when Go is missing or too old, or a download or the build fails.
 */
export async function buildTemporalServer({
  log = stderrLog,
  env = process.env,
}: ProvisionOptions = {}): Promise<TemporalServerFiles> {
  const files = temporalServerFiles(env);
  await withBuildLock(files.sqlTool, log, async () => {
    const { go, version } = await goForBuild("Temporal's server", env);
    const staging = `${files.dir}.staging`;
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    log(
      `building Temporal's server ${TEMPORAL_SERVER_VERSION} and its SQL schema tool with ${version} ` +
        '(first time only; about 10 minutes on 2 cores)…',
    );
    let modules = 0;
    let packages = 0;
    const goEnv = { ...env, GOBIN: staging, GOFLAGS: '-mod=mod' };
    try {
      await run(
        go,
        [
          'install',
          '-v',
          `${MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`,
          `${MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`,
        ],
        {
          env: goEnv,
          cwd: staging,
          progress: {
            log,
            every: 15_000,
            describe: () => `${modules} Go modules downloaded, ${packages} of about 1,500 packages compiled`,
          },
          onStderrLine: (line) => {
            if (line.startsWith('go: downloading')) modules++;
            else packages++;
          },
        },
      );
      // The module's source, now in Go's module cache: the configuration template and the schemas.
      const { stdout } = await run(go, ['mod', 'download', '-json', `${MODULE}@${TEMPORAL_SERVER_VERSION}`], {
        env: goEnv,
        cwd: staging,
      });
      const source = (JSON.parse(stdout) as { Dir?: string }).Dir;
      if (!source) throw new Error(`go mod download did not say where ${MODULE}@${TEMPORAL_SERVER_VERSION} is`);
      await cp(path.join(source, 'config', 'docker.yaml'), path.join(staging, 'config', 'docker.yaml'));
      await cp(path.join(source, 'schema', 'postgresql', 'v12'), path.join(staging, 'schema', 'postgresql', 'v12'), {
        recursive: true,
      });
      await rename(path.join(staging, 'server'), path.join(staging, 'temporal-server'));
      await rename(path.join(staging, 'sql'), path.join(staging, 'temporal-sql-tool'));
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      throw new Error(
        `could not build Temporal's server ${TEMPORAL_SERVER_VERSION}: ${(err as Error).message}\n` +
          'It needs Go >= 1.25 and the Go module proxy (GOPROXY) or a filled module cache.',
        { cause: err },
      );
    }
    await rm(files.dir, { recursive: true, force: true });
    await rename(staging, files.dir);
    log(`Temporal's server ready: ${files.server}`);
    return files.sqlTool;
  });
  return files;
}

/**
 * A production-shaped Temporal for tests and benchmarks: Temporal's own server (all services in one process) with
 * persistence and visibility on PostgreSQL, configured as docker-compose.yml configures it — the server's
 * `config/docker.yaml` template read with the environment in deploy/temporal.env, and the dynamic config in
 * deploy/dynamicconfig/planwright.yaml. Only where things are differs: the database's host and port, the server's
 * ports, and the dynamic config file's path.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import pg from 'pg';
import { freePort } from '../../../src/free-port.js';
import { run, type ProgressLog } from '../../../src/provision/build.js';
import { buildTemporalServer, type TemporalServerFiles } from '../../../src/provision/temporal-server.js';
import { startPostgres } from '../../support/postgres.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The environment docker-compose.yml gives the server (its `env_file`). */
export const COMPOSE_ENV_FILE = path.join(ROOT, 'deploy', 'temporal.env');
/** The dynamic config docker-compose.yml mounts. */
export const DYNAMIC_CONFIG_FILE = path.join(ROOT, 'deploy', 'dynamicconfig', 'planwright.yaml');

/** Reads a compose `env_file`: `KEY=value` lines; `#` starts a comment line. */
export function readEnvFile(file: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`${file}: expected KEY=value, got "${line}"`);
    entries[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return entries;
}

/** A running PostgreSQL-backed Temporal server. */
export interface TemporalCluster {
  /** host:port of its gRPC frontend. */
  address: string;
  /** `postgres://` URL of a database for planwright's output store. */
  outputStoreUrl: string;
  /** The server process's id (for CPU figures). */
  pid(): number | undefined;
  /** Stops the server (SIGTERM, SIGKILL after 20 s) and starts it again on the same ports and database. */
  restart(): Promise<void>;
  /** Stops the server and PostgreSQL (when it started it) and deletes their files. */
  stop(): Promise<void>;
  /** Seconds each phase of the start took. */
  timings: Record<string, number>;
}

/** Where the server keeps its data: a throwaway PostgreSQL, or the one `PLANWRIGHT_TEST_PG` names. */
async function database(log: ProgressLog): Promise<{
  host: string;
  port: string;
  user: string;
  password: string;
  suffix: string;
  stop: () => Promise<void>;
}> {
  const compose = readEnvFile(COMPOSE_ENV_FILE);
  const existing = process.env.PLANWRIGHT_TEST_PG;
  if (existing) {
    const url = new URL(existing);
    if (!/^postgres(ql)?:$/.test(url.protocol))
      throw new Error(`PLANWRIGHT_TEST_PG=${existing} is not a postgres:// URL (postgres://user:password@host:port)`);
    log(`using the PostgreSQL server at ${url.host} (PLANWRIGHT_TEST_PG), in databases of this run's own`);
    return {
      host: url.hostname,
      port: url.port || '5432',
      user: decodeURIComponent(url.username || 'postgres'),
      password: decodeURIComponent(url.password),
      // Databases of their own, so that runs of the suite never meet.
      suffix: `_${Date.now().toString(36)}`,
      stop: async () => {},
    };
  }
  const postgres = await startPostgres();
  const url = new URL(postgres.url);
  // The user and password docker-compose.yml gives the server.
  const user = compose.POSTGRES_USER ?? 'temporal';
  const password = compose.POSTGRES_PWD ?? 'temporal';
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE ${user} LOGIN SUPERUSER PASSWORD '${password.replace(/'/g, "''")}'`);
  } finally {
    await admin.end();
  }
  return { host: url.hostname, port: url.port, user, password, suffix: '', stop: () => postgres.stop() };
}

/**
 * Builds the server when it is not cached, starts PostgreSQL (or uses `PLANWRIGHT_TEST_PG`), creates both
 * schemas with the schema tool, and starts the server; resolves once its frontend answers.
 */
export async function startTemporalCluster({
  log = (line: string) => process.stderr.write(`[cluster] ${line}\n`),
}: { log?: ProgressLog } = {}): Promise<TemporalCluster> {
  const timings: Record<string, number> = {};
  let phase = Date.now();
  const lap = (name: string) => {
    timings[name] = (Date.now() - phase) / 1000;
    phase = Date.now();
  };
  const files = await buildTemporalServer({ log });
  lap('provision');
  const db = await database(log);
  lap('postgres');
  const work = await mkdtemp(path.join(os.tmpdir(), 'planwright-temporal-'));
  let server: ServerProcess | undefined;
  try {
    const compose = readEnvFile(COMPOSE_ENV_FILE);
    const names = {
      DBNAME: `${compose.DBNAME ?? 'temporal'}${db.suffix}`,
      VISIBILITY_DBNAME: `${compose.VISIBILITY_DBNAME ?? 'temporal_visibility'}${db.suffix}`,
    };
    await createSchemas(files, db, names);
    lap('schemas');
    const ports = await serverPorts();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...compose,
      ...names,
      ...ports,
      POSTGRES_SEEDS: db.host,
      DB_PORT: db.port,
      VISIBILITY_DB_PORT: db.port,
      POSTGRES_USER: db.user,
      POSTGRES_PWD: db.password,
      DYNAMIC_CONFIG_FILE_PATH: DYNAMIC_CONFIG_FILE,
      LOG_LEVEL: process.env.PLANWRIGHT_TEST_TEMPORAL_LOG_LEVEL ?? 'warn',
    };
    const address = `127.0.0.1:${ports.FRONTEND_GRPC_PORT}`;
    const logFile = path.join(work, 'server.log');
    server = await startServer(files, env, address, logFile);
    lap('server');
    const outputStoreUrl = `postgres://${encodeURIComponent(db.user)}:${encodeURIComponent(db.password)}@${db.host}:${db.port}/${names.DBNAME}`;
    let current: ServerProcess = server;
    let stopped: Promise<void> | undefined;
    return {
      address,
      outputStoreUrl,
      timings,
      pid: () => current.child.pid,
      async restart() {
        await current.stop();
        current = await startServer(files, env, address, logFile);
      },
      stop() {
        stopped ??= (async () => {
          await current.stop();
          await db.stop();
          await rm(work, { recursive: true, force: true });
        })();
        return stopped;
      },
    };
  } catch (err) {
    await server?.stop();
    await db.stop();
    await rm(work, { recursive: true, force: true });
    throw err;
  }
}

/** Creates the persistence and visibility databases and brings their schemas to the newest version. */
async function createSchemas(
  files: TemporalServerFiles,
  db: { host: string; port: string; user: string; password: string },
  names: { DBNAME: string; VISIBILITY_DBNAME: string },
): Promise<void> {
  const base = ['--plugin', 'postgres12', '--ep', db.host, '-p', db.port, '-u', db.user, '--pw', db.password];
  const tool = (database: string, ...args: string[]) =>
    run(files.sqlTool, [...base, '--db', database, ...args], { env: process.env });
  for (const [database, schema] of [
    [names.DBNAME, 'temporal'],
    [names.VISIBILITY_DBNAME, 'visibility'],
  ] as const) {
    await tool(database, 'create-database');
    await tool(database, 'setup-schema', '-v', '0.0');
    await tool(database, 'update-schema', '-d', path.join(files.postgresSchemas, schema, 'versioned'));
  }
}

/**
 * Free ports for every service's gRPC and membership listeners (the template's defaults would clash), below 32768:
 * the server keeps membership ports in a smallint column.
 */
async function serverPorts(): Promise<Record<string, string>> {
  const names = [
    'FRONTEND_GRPC_PORT',
    'FRONTEND_HTTP_PORT',
    'FRONTEND_MEMBERSHIP_PORT',
    'INTERNAL_FRONTEND_GRPC_PORT',
    'INTERNAL_FRONTEND_HTTP_PORT',
    'INTERNAL_FRONTEND_MEMBERSHIP_PORT',
    'HISTORY_GRPC_PORT',
    'HISTORY_MEMBERSHIP_PORT',
    'MATCHING_GRPC_PORT',
    'MATCHING_MEMBERSHIP_PORT',
    'WORKER_GRPC_PORT',
    'WORKER_MEMBERSHIP_PORT',
  ];
  const ports: Record<string, string> = {};
  const taken = new Set<number>();
  for (const name of names) {
    let port = 0;
    while (!port || taken.has(port)) {
      const preferred = 20_000 + Math.floor(Math.random() * 12_000);
      if ((await freePort(preferred)) === preferred) port = preferred;
    }
    taken.add(port);
    ports[name] = String(port);
  }
  return ports;
}

interface ServerProcess {
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `temporal-server --env docker start` and waits until its frontend answers. */
async function startServer(
  files: TemporalServerFiles,
  env: NodeJS.ProcessEnv,
  address: string,
  logFile: string,
): Promise<ServerProcess> {
  const out = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(files.server, ['--root', files.dir, '--config', 'config', '--env', 'docker', 'start'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  const stop = async () => {
    process.off('exit', onExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) {
      const tail = (await readFile(logFile, 'utf8').catch(() => '')).slice(-3000);
      throw new Error(`Temporal's server exited with ${child.exitCode} while starting:\n${tail}`);
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return { child, stop };
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`Temporal's server did not answer on ${address} within 120 s: ${(err as Error).message}`, {
          cause: err,
        });
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

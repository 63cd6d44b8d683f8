/**
 * A throwaway PostgreSQL server for tests: a fresh cluster in a temporary folder, listening on 127.0.0.1 only,
 * with trust authentication and fsync off. Needs the server binaries (`initdb`, `pg_ctl`); as root, also the
 * `postgres` system user, since PostgreSQL refuses to run as root.
 */
import { execFile } from 'node:child_process';
import { constants, readFileSync, rmSync } from 'node:fs';
import { access, chown, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../src/free-port.js';

const run = promisify(execFile);

/** A running throwaway server. */
export interface RunningPostgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` */
  url: string;
  /** Stops the server at once and deletes its files. */
  stop(): Promise<void>;
}

/**
 * Starts a fresh PostgreSQL server on a free port and waits until it accepts connections.
 * @throws {Error} when no PostgreSQL server binaries are installed, or the server does not start.
 * @example const postgres = await startPostgres(); try { use(postgres.url) } finally { await postgres.stop() }
 */
export async function startPostgres(): Promise<RunningPostgres> {
  const bin = await findBinaries();
  const asUser = await runAs();
  const root = await mkdtemp(path.join(os.tmpdir(), 'planwright-pg-'));
  const dataDir = path.join(root, 'data');
  const logFile = path.join(root, 'server.log');
  const pgCtl = (args: string[]) => asUser(path.join(bin, 'pg_ctl'), args, root);
  let port = 0;
  try {
    if (asUser.owner) await chown(root, asUser.owner.uid, asUser.owner.gid);
    await asUser(
      path.join(bin, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
      root,
    );
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const settings = `-c listen_addresses=127.0.0.1 -p ${port} -k ${shellQuote(root)} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
      try {
        await pgCtl(['start', '-D', dataDir, '-w', '-t', '30', '-l', logFile, '-o', settings]);
        break;
      } catch (err) {
        const log = await readFile(logFile, 'utf8').catch(() => '');
        // Someone took the port between our probe and the server's bind: try another.
        if (attempt < 3 && /could not bind|already in use/i.test(log)) continue;
        throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n${log.slice(-2000)}`, { cause: err });
      }
    }
  } catch (err) {
    // pg_ctl may give up waiting on a server that is still starting.
    await pgCtl(['stop', '-D', dataDir, '-m', 'immediate']).catch(() => {});
    await rm(root, { recursive: true, force: true });
    throw err;
  }

  // Should the test process end without calling stop(), take the server down with it.
  const onExit = () => {
    try {
      const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGQUIT');
      rmSync(root, { recursive: true, force: true });
    } catch {
      // Already gone.
    }
  };
  process.once('exit', onExit);
  let stopping: Promise<void> | undefined;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      stopping ??= (async () => {
        process.off('exit', onExit);
        try {
          await pgCtl(['stop', '-D', dataDir, '-m', 'immediate', '-w']);
        } finally {
          await rm(root, { recursive: true, force: true });
        }
      })();
      return stopping;
    },
  };
}

/** The folder holding `initdb` and `pg_ctl`: from PATH, else the newest `/usr/lib/postgresql/<version>/bin`. */
async function findBinaries(): Promise<string> {
  const versions = await readdir('/usr/lib/postgresql').catch(() => [] as string[]);
  const installed = versions
    .filter((version) => /^\d+(\.\d+)?$/.test(version))
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => path.join('/usr/lib/postgresql', version, 'bin'));
  const onPath = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of [...onPath, ...installed]) {
    if ((await isExecutable(path.join(dir, 'initdb'))) && (await isExecutable(path.join(dir, 'pg_ctl')))) return dir;
  }
  throw new Error(
    'These tests need a PostgreSQL server, but initdb and pg_ctl were found neither on PATH nor in ' +
      '/usr/lib/postgresql/*/bin. Install the PostgreSQL server binaries (Debian/Ubuntu: apt-get install postgresql; ' +
      'macOS: brew install postgresql).',
  );
}

async function isExecutable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** Runs a PostgreSQL program: as ourselves, or as root through the `postgres` system user. */
interface RunAs {
  (file: string, args: string[], cwd: string): Promise<void>;
  /** Who must own the server's files, when that is not us. */
  owner?: { uid: number; gid: number };
}

async function runAs(): Promise<RunAs> {
  const execute = (prefix: string[]): RunAs =>
    async function (file, args, cwd) {
      const [command = file, ...rest] = [...prefix, file, ...args];
      try {
        await run(command, rest, { cwd, env: { ...process.env, LC_ALL: 'C' } });
      } catch (err) {
        const { stderr = '', stdout = '' } = err as { stderr?: string; stdout?: string };
        throw new Error(`${path.basename(file)} failed: ${stderr || stdout || (err as Error).message}`, { cause: err });
      }
    };
  if (process.getuid?.() !== 0) return execute([]);

  let owner: { uid: number; gid: number };
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    owner = { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    throw new Error(
      'PostgreSQL refuses to run as root and there is no postgres system user to run it as: create one ' +
        '(Debian/Ubuntu: apt-get install postgresql does) or run the tests as another user.',
    );
  }
  const hasRunuser = (await isExecutable('/usr/sbin/runuser')) || (await isExecutable('/sbin/runuser'));
  const asPostgres = execute(
    hasRunuser
      ? ['runuser', '-u', 'postgres', '--']
      : ['setpriv', `--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--init-groups', '--'],
  );
  asPostgres.owner = owner;
  return asPostgres;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * An output store in a PostgreSQL table, shared by workers on any number of machines.
 */
import { Client, DatabaseError, Pool } from 'pg';
import type { OutputStore } from './store.js';

/** Options of {@link createPostgresOutputStore}. */
export interface PostgresOutputStoreOptions {
  /** Table that holds the outputs, created when missing: lower-case letters, digits and `_`. */
  table?: string;
}

/** Table names we accept: unquoted PostgreSQL identifiers, at most 63 characters. */
const TABLE_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * An output store in a PostgreSQL table (`key text primary key, body text, created_at timestamptz`), created
 * when missing. Ages are measured by the database clock, so workers with skewed clocks sweep alike.
 * @throws {Error} when the table name is not a plain identifier, or the server cannot be reached or set up;
 * the message names the address and user, never the password.
 * @example await createPostgresOutputStore('postgres://planwright@db:5432/planwright')
 */
export async function createPostgresOutputStore(
  connectionString: string,
  options: PostgresOutputStoreOptions = {},
): Promise<OutputStore> {
  const table = options.table ?? 'planwright_outputs';
  if (!TABLE_NAME.test(table) || table.length > 63) {
    throw new Error(
      `invalid output table name ${JSON.stringify(table)}: use lower-case letters, digits and _ (at most 63)`,
    );
  }
  const where = addressOf(connectionString);
  const pool = new Pool({ connectionString, connectionTimeoutMillis: 10_000, allowExitOnIdle: true });
  // An idle connection that breaks (the server restarted) is dropped by the pool; the next query reconnects.
  pool.on('error', () => {});
  const run = async <T>(action: string, query: () => Promise<T>): Promise<T> => {
    try {
      return await query();
    } catch (err) {
      throw storeError(where, action, err);
    }
  };

  const quoted = `"${table}"`;
  try {
    await run(`create table ${table}`, () => createTable(pool, table));
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }

  let closing: Promise<void> | undefined;
  return {
    kind: 'postgres',
    async put(key, body) {
      await run('store an output', () =>
        pool.query(
          `INSERT INTO ${quoted} (key, body) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET created_at = now()`,
          [key, body],
        ),
      );
    },
    async get(key) {
      const result = await run('read an output', () =>
        pool.query<{ body: string }>(`SELECT body FROM ${quoted} WHERE key = $1`, [key]),
      );
      return result.rows[0]?.body;
    },
    async sweep(maxAgeMs) {
      if (!Number.isFinite(maxAgeMs) || maxAgeMs < 0) {
        throw new RangeError(`sweep needs a finite age of 0 ms or more, got ${maxAgeMs}`);
      }
      const result = await run('sweep old outputs', () =>
        pool.query(`DELETE FROM ${quoted} WHERE created_at < now() - $1::double precision * interval '1 millisecond'`, [
          maxAgeMs,
        ]),
      );
      return result.rowCount ?? 0;
    },
    close() {
      closing ??= pool.end();
      return closing;
    },
  };
}

/** `user@host:port/database` of a connection string, for messages; never the password. */
function addressOf(connectionString: string): string {
  let client: Client;
  try {
    client = new Client({ connectionString });
  } catch {
    // The parser's error may quote the string, password included.
    throw new Error('the postgres output store was given a connection string that does not parse');
  }
  const user = client.user ? `${client.user}@` : '';
  return `${user}${client.host}:${client.port}/${client.database ?? ''}`;
}

/**
 * SQLSTATE classes that mean the store could not be reached or logged into: connection exception, invalid
 * authorization, unknown database, too many connections, server shutting down or starting.
 */
const UNREACHABLE = /^(08|28|3D000|53300|57P0[1-3])/;

function storeError(where: string, action: string, err: unknown): Error {
  const reason = err instanceof Error ? err.message || String(err) : String(err);
  const code = err instanceof DatabaseError ? err.code : undefined;
  const unreachable = code === undefined || UNREACHABLE.test(code);
  const message = unreachable
    ? `could not reach the postgres output store at ${where}: ${reason}`
    : `postgres output store at ${where} could not ${action}: ${reason}`;
  return new Error(message, { cause: err });
}

/**
 * Creates the table and its index unless the table exists (then no CREATE privilege is needed). Workers
 * starting together take turns on an advisory lock: concurrent `CREATE TABLE IF NOT EXISTS` can still fail.
 */
async function createTable(pool: Pool, table: string): Promise<void> {
  const exists = await pool.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [`"${table}"`]);
  if (exists.rows[0]?.found) return;
  const client = await pool.connect();
  // A connection the server drops fails the query in flight, then emits `error`: unheard while the pool has lent
  // the client out, that event would end the worker process. A broken client is not given back for reuse.
  const dropped = () => {};
  client.on('error', dropped);
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`planwright output table ${table}`]);
    await client.query(`CREATE TABLE IF NOT EXISTS "${table}" (
      key text PRIMARY KEY,
      body text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await client.query(`CREATE INDEX IF NOT EXISTS "${table}_created_at" ON "${table}" (created_at)`);
    await client.query('COMMIT');
  } catch (err) {
    // A connection that cannot even roll back is broken: the pool drops it instead of reusing it.
    const rolledBack = await client.query('ROLLBACK').then(
      () => true,
      () => false,
    );
    client.release(!rolledBack);
    throw err;
  }
  client.off('error', dropped);
  client.release();
}

/**
 * The data engine behind `data_query` and `sql_query`: DuckDB in memory, one database per workspace, its
 * configuration locked at creation so that queries can read files inside the workspace and nothing else
 * (no other paths, no network, no extensions), each query on its own connection with a time limit, its result read
 * back up to a number of rows and bytes. What does not fit in memory spills to a private folder of the database's own.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import {
  DuckDBInstance,
  DuckDBTypeId,
  JsonDuckDBValueConverter,
  StatementType,
  type DuckDBConnection,
  type DuckDBDecimalValue,
  type DuckDBResultReader,
  type DuckDBType,
  type DuckDBValue,
  type DuckDBValueConverter,
} from '@duckdb/node-api';
import type { Json } from '../contract/plan.js';
import { ToolError } from './define.js';
import { makeSpillFolder, removeSpillFolder } from './spill-folder.js';

/** How long a query may run. */
export interface QueryLimits {
  /** The query is interrupted after this long. */
  timeoutMs: number;
  /** Interrupts the query when aborted (the activity was cancelled or timed out). */
  signal?: AbortSignal;
}

/** A query's result, as plain JSON. */
export interface QueryResult {
  columns: Array<{ name: string; type: string }>;
  rows: Array<Record<string, Json>>;
  truncated: boolean;
  /** When `truncated`: which rows were left out, and which limit left them out. */
  cut?: string;
}

/** How much of a result is read back. */
export interface ReadLimits {
  /** Rows read back at most. */
  maxRows: number;
  /** Bytes of the rows' JSON text read back at most. */
  maxBytes: number;
}

/** Memory one workspace's database may use (`PLANWRIGHT_SQL_MEMORY`, a DuckDB size such as `1GB`). */
const DEFAULT_MEMORY = '1GB';

const databases = new Map<string, Promise<DuckDBInstance>>();

/** SQL text for a string literal. */
export function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** SQL text for an identifier (a column name). */
export function sqlIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The database of a workspace (its real path), created and locked on first use. */
function databaseFor(root: string): Promise<DuckDBInstance> {
  let database = databases.get(root);
  if (!database) {
    database = openDatabase(root);
    database.catch(() => databases.delete(root));
    databases.set(root, database);
  }
  return database;
}

async function openDatabase(root: string): Promise<DuckDBInstance> {
  // Queries may read the spill folder too (DuckDB allows it once external access is off): see spill-folder.ts.
  const spill = await makeSpillFolder(root);
  try {
    const instance = await DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      memory_limit: process.env.PLANWRIGHT_SQL_MEMORY || DEFAULT_MEMORY,
      temp_directory: spill,
    });
    const setup = await instance.connect();
    try {
      // Order matters: the allowed directory first, then external access off, then no more changes (not even by SET).
      await setup.run(`SET allowed_directories = [${sqlString(root + path.sep)}]`);
      await setup.run('SET enable_external_access = false');
      await setup.run('SET lock_configuration = true');
    } finally {
      setup.closeSync();
    }
    return instance;
  } catch (err) {
    removeSpillFolder(spill);
    throw err;
  }
}

/** The workspace's real path: what the database allows, and what relative paths are resolved against. */
export function workspaceRoot(workspace: string): Promise<string> {
  return realpath(workspace);
}

/**
 * Opens a connection to the workspace's database, gives it to `work`, and closes it after; the query
 * `work` runs is interrupted after `timeoutMs` or when the signal aborts.
 * @throws {ToolError} (not retryable) when the time limit stopped the query; (retryable) when it was cancelled.
 */
export async function withConnection<T>(
  root: string,
  limits: QueryLimits,
  work: (connection: DuckDBConnection) => Promise<T>,
): Promise<T> {
  const connection = await (await databaseFor(root)).connect();
  let stopped: 'timeout' | 'cancelled' | undefined;
  const stop = (why: 'timeout' | 'cancelled') => {
    stopped ??= why;
    connection.interrupt();
  };
  const timer = setTimeout(() => stop('timeout'), limits.timeoutMs);
  const onAbort = () => stop('cancelled');
  limits.signal?.addEventListener('abort', onAbort);
  try {
    if (limits.signal?.aborted) stop('cancelled');
    return await work(connection);
  } catch (err) {
    if (stopped === 'timeout') {
      throw new ToolError(
        `the query ran longer than ${limits.timeoutMs / 1000} s and was stopped; narrow it (filter, aggregate, LIMIT)`,
        false,
        { cause: err },
      );
    }
    if (stopped === 'cancelled') throw new ToolError('the query was cancelled', true, { cause: err });
    throw engineError(err);
  } finally {
    clearTimeout(timer);
    limits.signal?.removeEventListener('abort', onAbort);
    connection.closeSync();
  }
}

/**
 * Runs one SELECT and reads back its rows as JSON, a chunk at a time, until the rows or their JSON text reach a limit
 * (so a result too large to return is never converted whole).
 * @throws {ToolError} when the statement is not a SELECT, or the engine refused or failed it.
 */
export async function selectRows(
  connection: DuckDBConnection,
  sql: string,
  values: DuckDBValue[],
  { maxRows, maxBytes }: ReadLimits,
): Promise<QueryResult> {
  const prepared = await connection.prepare(sql);
  if (prepared.statementType !== StatementType.SELECT) {
    throw new ToolError('only a SELECT may run here: nothing is written, attached, installed or set', false);
  }
  if (values.length > 0) prepared.bind(values);
  const result = await prepared.stream();
  const names = result.columnNames();
  const columns = columnsOf(names, result.columnTypes());
  const rows: Array<Record<string, Json>> = [];
  let bytes = 2; // the brackets of the list
  const cut = (why: string): QueryResult => ({ columns, rows, truncated: true, cut: why });
  for (let chunk = await result.fetchChunk(); chunk?.rowCount; chunk = await result.fetchChunk()) {
    // Row by row, so that no more than one row past the limits is ever converted.
    for (let i = 0; i < chunk.rowCount; i++) {
      if (rows.length === maxRows) return cut(`rows after the first ${maxRows} were left out (maxRows ${maxRows})`);
      const cells = chunk.convertRowValues(i, toJson);
      const row: Record<string, Json> = Object.fromEntries(names.map((name, c) => [name, cells[c] ?? null]));
      const size = Buffer.byteLength(JSON.stringify(row)) + (rows.length > 0 ? 1 : 0);
      if (bytes + size > maxBytes) {
        return cut(
          rows.length === 0
            ? `the first row alone has ${size} bytes of JSON, over the limit of ${maxBytes}: select fewer or ` +
                'shorter columns (left(text, 100), say)'
            : `rows after the first ${rows.length} were left out: a result has at most ${maxBytes} bytes of JSON`,
        );
      }
      bytes += size;
      rows.push(row);
    }
  }
  return { columns, rows, truncated: false };
}

/**
 * Runs a SELECT its caller built (never SQL from outside) and reads back all its rows as JSON. One without values
 * runs at once, unprepared: preparing it would make DuckDB read a CSV source's header and sample twice.
 */
export async function readBuiltSelect(
  connection: DuckDBConnection,
  sql: string,
  values: DuckDBValue[] = [],
): Promise<QueryResult> {
  return queryResult(
    values.length > 0 ? await connection.runAndReadAll(sql, values) : await connection.runAndReadAll(sql),
  );
}

/** A result's rows as JSON, with its columns. */
function queryResult(reader: DuckDBResultReader): QueryResult {
  const rows = reader.convertRowObjects(toJson) as Array<Record<string, Json>>;
  return { columns: columnsOf(reader.columnNames(), reader.columnTypes()), rows, truncated: false };
}

/** A result's columns: their names and DuckDB types. */
function columnsOf(names: string[], types: DuckDBType[]): QueryResult['columns'] {
  return types.map((type, i) => ({ name: names[i] ?? `column${i}`, type: type.toString() }));
}

/** DuckDB values as JSON: whole numbers as numbers when exact (else strings), decimals as numbers. */
const toJson: DuckDBValueConverter<Json> = (value, type, converter) => {
  if (value === null) return null;
  switch (type.typeId) {
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT: {
      const big = value as bigint;
      return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER)
        ? Number(big)
        : big.toString();
    }
    case DuckDBTypeId.DECIMAL:
      return (value as DuckDBDecimalValue).toDouble();
    default:
      return JsonDuckDBValueConverter(value, type, converter) as Json;
  }
};

/** A DuckDB error as a permanent `ToolError` whose message says what to change. */
function engineError(err: unknown): ToolError {
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
  if (err instanceof ToolError) return err;
  const denied = /^Permission Error: Cannot access (?:file|directory) "([^"]*)"/.exec(message);
  if (denied) {
    return new ToolError(
      `"${denied[1]}" cannot be read: queries read files inside the workspace only (paths relative to it), ` +
        'and never URLs or extensions',
      false,
      { cause: err },
    );
  }
  if (/^Permission Error/.test(message)) {
    return new ToolError(`refused: ${message}; queries may only read the workspace's files`, false, { cause: err });
  }
  return new ToolError(message, false, { cause: err });
}

/**
 * `sql_query`: one read-only SQL query (DuckDB's dialect) over the workspace's CSV, JSON and Parquet files.
 * The query is parsed by DuckDB itself: anything but a single SELECT is refused, relative file paths are
 * made absolute under the workspace, and the locked database refuses every other path.
 */
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { z } from 'zod';
import { defineTool, ToolError, type Tool } from './define.js';
import { selectRows, withConnection, workspaceRoot } from './duckdb.js';

/** Table functions whose first argument is a file path (or a list of them, or a glob). */
const FILE_FUNCTIONS = new Set([
  'read_csv',
  'read_csv_auto',
  'read_json',
  'read_json_auto',
  'read_ndjson',
  'read_ndjson_auto',
  'read_json_objects',
  'read_json_objects_auto',
  'read_ndjson_objects',
  'read_parquet',
  'parquet_scan',
  'parquet_metadata',
  'parquet_schema',
  'parquet_file_metadata',
  'parquet_kv_metadata',
  'read_text',
  'read_blob',
  'glob',
  'sniff_csv',
]);

/** A table name that DuckDB reads as a file (`FROM 'tickets.csv'`). */
const FILE_NAME = /[/*]|\.(csv|tsv|txt|json|jsonl|ndjson|parquet)(\.gz|\.zst)?$/i;

/** The bytes of JSON a result holds at most when {@link SqlLimits} does not say. */
export const DEFAULT_SQL_MAX_BYTES = 1_000_000;

/** Limits of one query: rows read back by default and at most, time, and the size of the rows read back. */
export interface SqlLimits {
  defaultRows: number;
  maxRows: number;
  timeoutMs: number;
  /** Bytes of the rows' JSON text returned at most; rows past it are cut (default {@link DEFAULT_SQL_MAX_BYTES}). */
  maxBytes?: number;
}

/** Input of `sql_query`. */
export const SqlQueryInput = z.object({
  sql: z
    .string()
    .min(1)
    .max(20_000)
    .describe(
      "one SELECT in DuckDB's SQL; read files with read_csv('a.csv'), read_json('b.json'), read_parquet('c.parquet') " +
        "or FROM 'a.csv', paths relative to the workspace",
    ),
  maxRows: z.number().int().positive().optional().describe('rows to return at most (the result says if it was cut)'),
});

/** Output of `sql_query`. */
export const SqlQueryOutput = z.object({
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  rows: z.array(z.record(z.string(), z.unknown())),
  rowCount: z.number(),
  truncated: z.boolean().describe('true when the query had more rows than were returned'),
  cut: z.string().optional().describe('when truncated: which rows were left out, and which limit left them out'),
});

type Node = { [key: string]: unknown };

/** A path as the database must see it: relative ones under the workspace; absolute ones and URLs unchanged. */
function absolute(root: string, file: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file) || file.startsWith('~') || path.isAbsolute(file)) return file;
  return path.resolve(root, file);
}

/** Makes the file paths in a parsed query absolute (constant strings, and lists of them). */
function rewritePaths(node: unknown, root: string): void {
  if (Array.isArray(node)) {
    for (const child of node) rewritePaths(child, root);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const n = node as Node;
  if (n.type === 'BASE_TABLE' && !n.schema_name && !n.catalog_name && typeof n.table_name === 'string') {
    if (FILE_NAME.test(n.table_name)) n.table_name = absolute(root, n.table_name);
  }
  const fn = n.type === 'TABLE_FUNCTION' ? (n.function as Node | undefined) : undefined;
  if (fn && FILE_FUNCTIONS.has(String(fn.function_name))) {
    const [first] = (fn.children ?? []) as Node[];
    const constants = first?.function_name === 'list_value' ? ((first.children ?? []) as Node[]) : [first];
    for (const constant of constants) {
      const value = constant?.class === 'CONSTANT' ? (constant.value as Node | undefined) : undefined;
      if (value && typeof value.value === 'string') value.value = absolute(root, value.value);
    }
  }
  for (const child of Object.values(n)) rewritePaths(child, root);
}

/** Marks integers too large for a JS number (DuckDB's AST has 64-bit ones) so they survive a JSON round trip. */
const BIG = '\\u0000int:';

/** JSON.parse, keeping integers of 16 digits or more as marked strings. */
function parseKeepingIntegers(text: string): unknown {
  return JSON.parse(text.replace(/"(?:[^"\\]|\\.)*"|-?\d{16,}/g, (m) => (m.startsWith('"') ? m : `"${BIG}${m}"`)));
}

/** JSON.stringify, turning the marked strings back into the integers they were. */
function stringifyKeepingIntegers(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0000int:(-?\d+)"/g, '$1');
}

/**
 * Checks that `sql` is one SELECT and returns it with its relative file paths made absolute under `root`.
 * @throws {ToolError} (not retryable) for anything but one SELECT, or SQL that does not parse.
 */
export async function readOnlySelect(connection: DuckDBConnection, sql: string, root: string): Promise<string> {
  const parsed = await connection.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR) AS ast', [sql]);
  const ast = parseKeepingIntegers(String(parsed.getRowObjectsJson()[0]?.ast)) as {
    error: boolean;
    error_message?: string;
    statements?: unknown[];
  };
  if (ast.error) {
    if (/Only SELECT/i.test(ast.error_message ?? '')) {
      throw new ToolError(
        'sql_query only reads: give one SELECT (WITH … SELECT and FROM-first queries are fine); ' +
          'COPY, ATTACH, INSTALL, LOAD, SET, PRAGMA, CREATE and other statements are refused',
        false,
      );
    }
    throw new ToolError(`the SQL does not parse: ${ast.error_message ?? 'unknown error'}`, false);
  }
  if (ast.statements?.length !== 1) {
    throw new ToolError(`give exactly one SELECT statement, not ${ast.statements?.length ?? 0}`, false);
  }
  rewritePaths(ast.statements, root);
  const back = await connection.runAndReadAll('SELECT json_deserialize_sql($1::JSON) AS sql', [
    stringifyKeepingIntegers(ast),
  ]);
  return String(back.getRowObjectsJson()[0]?.sql);
}

/**
 * Limits from `PLANWRIGHT_SQL_TIMEOUT` (seconds, default 30), `PLANWRIGHT_SQL_MAX_ROWS` (default 10,000) and
 * `PLANWRIGHT_SQL_MAX_BYTES` (bytes of JSON in a result, default 1,000,000).
 * @throws {ToolError} (not retryable) when one of them is set to something other than a positive number.
 */
export function sqlLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): SqlLimits {
  const positive = (name: string, fallback: number) => {
    const value = env[name];
    if (!value) return fallback;
    const n = Number(value);
    if (!(n > 0)) throw new ToolError(`${name}=${value} cannot be used: expected a positive number`, false);
    return n;
  };
  return {
    defaultRows: 100,
    maxRows: positive('PLANWRIGHT_SQL_MAX_ROWS', 10_000),
    timeoutMs: positive('PLANWRIGHT_SQL_TIMEOUT', 30) * 1000,
    maxBytes: positive('PLANWRIGHT_SQL_MAX_BYTES', DEFAULT_SQL_MAX_BYTES),
  };
}

/**
 * Builds the `sql_query` tool with fixed limits (default: read from the environment on each call).
 * @example const sql = createSqlQueryTool({ defaultRows: 100, maxRows: 1000, timeoutMs: 5000 });
 */
export function createSqlQueryTool(limits?: SqlLimits): Tool {
  return defineTool({
    name: 'sql_query',
    description:
      "Runs one read-only SQL query (DuckDB's dialect: joins, window functions, GROUP BY, DESCRIBE, SUMMARIZE…) over " +
      "CSV, JSON and Parquet files in the workspace: read_csv('a.csv'), read_json('b.json'), " +
      "read_parquet('c.parquet') or FROM 'a.csv'. Returns columns and rows (at most maxRows, default 100, and at " +
      'most about 1 MB; a cut result says what was left out).',
    input: SqlQueryInput,
    output: SqlQueryOutput,
    async run({ sql, maxRows }, ctx) {
      const { defaultRows, maxRows: cap, timeoutMs, maxBytes = DEFAULT_SQL_MAX_BYTES } = limits ?? sqlLimitsFromEnv();
      if (maxRows !== undefined && maxRows > cap) {
        throw new ToolError(`maxRows ${maxRows} is over the limit of ${cap}; aggregate, or ask for fewer rows`, false);
      }
      const root = await workspaceRoot(ctx.workspace);
      const result = await withConnection(root, { timeoutMs, signal: ctx.signal }, async (connection) =>
        selectRows(connection, await readOnlySelect(connection, sql, root), [], {
          maxRows: maxRows ?? defaultRows,
          maxBytes,
        }),
      );
      return { ...result, rowCount: result.rows.length };
    },
  });
}

/** The `sql_query` tool, with limits from the environment. */
export const sqlQuery = createSqlQueryTool();

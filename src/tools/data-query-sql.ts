/**
 * `data_query` on DuckDB: its filters, aggregate and grouping as one SQL query over the file, with the
 * semantics of the in-memory {@link queryRows} (case-insensitive equality, numbers compared as numbers,
 * groups ordered by value then key), so plans written for either give the same answers.
 */
import { stat } from 'node:fs/promises';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { z } from 'zod';
import { ToolError } from './define.js';
import { readBuiltSelect, sqlIdentifier, sqlString } from './duckdb.js';
import {
  answerGroups,
  MAX_GROUPS,
  type DataQueryInput,
  type DataQueryOutput,
  type Filter,
  type Scalar,
} from './data-query-schema.js';

type Input = z.output<typeof DataQueryInput>;
/** What a query gives back, before the file name is added. */
export type DataQueryAnswer = Omit<z.input<typeof DataQueryOutput>, 'file'>;

/** A number as the CSV reader of {@link parseCsv} recognises it. */
const NUMBER = '^-?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?$';
const NUMERIC_TYPE =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/;

/**
 * The rows of a file as a SQL table expression, by its extension. A CSV column is a number when its values
 * are (dates and times stay text), judged on a sample of rows, or on every row (`wholeFile`) once a value
 * past the sample did not fit.
 */
function fileSource(file: string, wholeFile: boolean): string {
  const lower = file.toLowerCase();
  if (lower.endsWith('.csv')) {
    return (
      `read_csv(${sqlString(file)}, header = true, delim = ',', quote = '"', escape = '"', ` +
      `auto_type_candidates = ['BIGINT', 'DOUBLE', 'VARCHAR']${wholeFile ? ', sample_size = -1' : ''})`
    );
  }
  if (lower.endsWith('.json')) return `read_json_auto(${sqlString(file)})`;
  if (lower.endsWith('.parquet')) return `read_parquet(${sqlString(file)})`;
  throw new ToolError(`"${file}" is not a .csv, .json or .parquet file`, false);
}

/** A file's table expression and column types. */
interface Description {
  source: string;
  types: Map<string, string>;
}

/** Descriptions of files read before, by path and way of judging types, with the version of the file they are of. */
const described = new Map<string, { version: string; description: Description }>();
/** Files whose descriptions are kept at most (the oldest goes first). */
const MAX_DESCRIBED = 256;

/**
 * The table's columns and their types, judged once per version of the file (its size and modification time): a
 * plan's queries over one file, and the next run's, do not read the file twice per query to learn its types.
 */
async function describe(connection: DuckDBConnection, file: string, wholeFile: boolean): Promise<Description> {
  const key = `${wholeFile ? 'whole' : 'sample'}:${file}`;
  const version = await stat(file).then(
    (s) => `${s.ino}:${s.size}:${s.mtimeMs}`,
    () => undefined, // the engine says what is wrong with the file
  );
  const kept = described.get(key);
  if (version !== undefined && kept?.version === version) return kept.description;
  const description = await readDescription(connection, file, wholeFile);
  if (version !== undefined) {
    described.delete(key);
    described.set(key, { version, description });
    if (described.size > MAX_DESCRIBED) described.delete(described.keys().next().value as string);
  }
  return description;
}

/** Reads the table's columns and their types; a JSON `{ "rows": [...] }` wrapper is unwrapped. */
async function readDescription(connection: DuckDBConnection, file: string, wholeFile: boolean): Promise<Description> {
  const columns = async (source: string) => {
    const { rows } = await readBuiltSelect(
      connection,
      `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${source})`,
    );
    return new Map(rows.map((r) => [String(r.column_name), String(r.column_type)]));
  };
  let source = fileSource(file, wholeFile);
  let types = await columns(source);
  const only = [...types.entries()];
  if (file.toLowerCase().endsWith('.json') && only.length === 1) {
    const [name, type] = only[0] as [string, string];
    if (name === 'rows' && /^STRUCT\(.*\)\[\]$/.test(type)) {
      source = `(SELECT unnest(rows, max_depth := 2) FROM ${source})`;
      types = await columns(source);
    } else if (name === 'json' || !type.startsWith('STRUCT') || name === 'rows') {
      throw new ToolError('expected a JSON array of objects, or an object with a "rows" array of objects', false);
    }
  }
  return { source, types };
}

/** Builds the SQL of one query, collecting the values it binds. */
class QueryBuilder {
  readonly values: DuckDBValue[] = [];
  constructor(private readonly types: Map<string, string>) {}

  param(value: DuckDBValue): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  numeric(field: string): boolean {
    return NUMERIC_TYPE.test(this.types.get(field) ?? '');
  }

  /** The column as a number: itself when numeric, else its values that read as numbers. */
  number(field: string): string {
    const col = sqlIdentifier(field);
    if (this.numeric(field)) return col;
    return `CASE WHEN regexp_full_match(trim(CAST(${col} AS VARCHAR)), ${sqlString(NUMBER)}) THEN CAST(trim(CAST(${col} AS VARCHAR)) AS DOUBLE) END`;
  }

  /** Case-insensitive equality, numbers compared as numbers; never NULL. */
  same(field: string, value: Scalar): string {
    if (this.numeric(field)) {
      const n =
        typeof value === 'number'
          ? value
          : typeof value === 'string' && new RegExp(NUMBER).test(value.trim())
            ? Number(value)
            : undefined;
      return n === undefined ? 'false' : `coalesce(${sqlIdentifier(field)} = ${this.param(n)}, false)`;
    }
    return `coalesce(lower(CAST(${sqlIdentifier(field)} AS VARCHAR)) = lower(${this.param(String(value))}), false)`;
  }

  condition({ field, op, value }: Filter): string {
    const first = (Array.isArray(value) ? value[0] : value) as Scalar;
    switch (op) {
      case 'eq':
        return this.same(field, first);
      case 'ne':
        return `NOT ${this.same(field, first)}`;
      case 'in': {
        const options = (Array.isArray(value) ? value : [value]).map((v) => this.same(field, v));
        return options.length === 0 ? 'false' : `(${options.join(' OR ')})`;
      }
      case 'contains':
        return `coalesce(contains(lower(CAST(${sqlIdentifier(field)} AS VARCHAR)), lower(${this.param(String(value))})), false)`;
      default: {
        if (typeof value !== 'number') return 'false';
        const symbol = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[op];
        return `coalesce(${this.number(field)} ${symbol} ${this.param(value)}, false)`;
      }
    }
  }

  aggregate(spec: Input['aggregate']): string {
    if (spec.op === 'count') return 'count(*)';
    return `${spec.op}(${this.number(spec.field as string)})`;
  }
}

const round = (n: number | null) => (n === null ? null : Math.round(n * 1e6) / 1e6);

/** Converts a value read back into the answer's number. */
function valueOf(raw: unknown, op: Input['aggregate']['op']): number | null {
  if (raw === null || raw === undefined) return null;
  const n = Number(raw);
  return op === 'sum' || op === 'avg' ? round(n) : n;
}

/**
 * Runs a `data_query` over a file (an absolute path inside the workspace) on a connection.
 * @throws {ToolError} (not retryable) for a missing column, an aggregate without a field, or a file the
 * engine cannot read.
 */
export async function queryFile(connection: DuckDBConnection, file: string, input: Input): Promise<DataQueryAnswer> {
  try {
    return await queryTable(connection, file, input, false);
  } catch (err) {
    // A CSV value past the sampled rows did not fit its column's type: judge the types on every row.
    if (!/Could not convert/.test((err as Error).message)) throw err;
    return queryTable(connection, file, input, true);
  }
}

async function queryTable(
  connection: DuckDBConnection,
  file: string,
  input: Input,
  wholeFile: boolean,
): Promise<DataQueryAnswer> {
  const { source, types } = await describe(connection, file, wholeFile);
  const needed = [...(input.filter ?? []).map((f) => f.field), input.groupBy, input.aggregate.field];
  for (const column of needed) {
    if (column !== undefined && !types.has(column)) {
      throw new ToolError(`no column "${column}"; columns are: ${[...types.keys()].join(', ')}`, false);
    }
  }
  if (input.aggregate.op !== 'count' && !input.aggregate.field) {
    throw new ToolError(`aggregate "${input.aggregate.op}" needs a field`, false);
  }
  const q = new QueryBuilder(types);
  const where = (input.filter ?? []).map((f) => q.condition(f));
  const whereSql = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const value = q.aggregate(input.aggregate);
  if (input.groupBy === undefined) {
    const { rows } = await readBuiltSelect(
      connection,
      `SELECT count(*) AS matched, ${value} AS value FROM ${source} ${whereSql}`,
      q.values,
    );
    return { matched: Number(rows[0]?.matched ?? 0), value: valueOf(rows[0]?.value, input.aggregate.op) };
  }
  // Groups tied at the limit's edge are all read back, then ordered exactly as queryRows orders them.
  const order = input.order === 'desc' ? 'DESC NULLS LAST' : 'ASC NULLS FIRST';
  const { rows } = await readBuiltSelect(
    connection,
    `SELECT key, value, rows, sum(rows) OVER () AS matched, count(*) OVER () AS groups FROM (
       SELECT ${sqlIdentifier(input.groupBy)} AS key, ${value} AS value, count(*) AS rows FROM ${source} ${whereSql} GROUP BY 1
     ) QUALIFY rank() OVER (ORDER BY value ${order}) <= ${input.limit ?? MAX_GROUPS}`,
    q.values,
  );
  const sign = input.order === 'desc' ? -1 : 1;
  const groups = rows
    .map((r) => ({ key: r.key as Scalar | null, value: valueOf(r.value, input.aggregate.op), rows: Number(r.rows) }))
    .sort(
      (a, b) => sign * ((a.value ?? -Infinity) - (b.value ?? -Infinity)) || String(a.key).localeCompare(String(b.key)),
    );
  return {
    matched: Number(rows[0]?.matched ?? 0),
    ...answerGroups(groups, input.limit, Number(rows[0]?.groups ?? 0)),
  };
}

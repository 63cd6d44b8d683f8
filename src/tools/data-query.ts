/**
 * `data_query`: filter, group, count, sum, average and top-k over a CSV, JSON or Parquet file in the
 * workspace. The tool runs on DuckDB (`data-query-sql.ts`); {@link queryRows} answers the same query over
 * rows already in memory.
 */
import type { z } from 'zod';
import { answerGroups, DataQueryInput, DataQueryOutput, type Filter, type Scalar } from './data-query-schema.js';
import { queryFile } from './data-query-sql.js';
import { defineTool, ToolError } from './define.js';
import { withConnection, workspaceRoot } from './duckdb.js';
import { sqlLimitsFromEnv } from './sql-query.js';
import type { Cell, Row } from './table.js';
import { resolveInWorkspace } from './workspace.js';

type Input = z.output<typeof DataQueryInput>;

function matches(row: Row, filter: Filter): boolean {
  const cell = row[filter.field];
  const { value } = filter;
  const same = (v: Cell | Scalar) => String(cell).toLowerCase() === String(v).toLowerCase();
  switch (filter.op) {
    case 'eq':
      return same(value as Scalar);
    case 'ne':
      return !same(value as Scalar);
    case 'in':
      return (Array.isArray(value) ? value : [value]).some(same);
    case 'contains':
      return String(cell ?? '')
        .toLowerCase()
        .includes(String(value).toLowerCase());
    default: {
      if (typeof cell !== 'number' || typeof value !== 'number') return false;
      if (filter.op === 'gt') return cell > value;
      if (filter.op === 'gte') return cell >= value;
      if (filter.op === 'lt') return cell < value;
      return cell <= value;
    }
  }
}

function aggregate(rows: Row[], spec: Input['aggregate']): number | null {
  if (spec.op === 'count') return rows.length;
  const field = spec.field as string;
  const numbers = rows.map((r) => r[field]).filter((v): v is number => typeof v === 'number');
  if (numbers.length === 0) return null;
  const sum = numbers.reduce((a, b) => a + b, 0);
  if (spec.op === 'sum') return round(sum);
  if (spec.op === 'avg') return round(sum / numbers.length);
  return spec.op === 'min' ? Math.min(...numbers) : Math.max(...numbers);
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

/** Runs a query over rows already in memory (from `parseCsv`, say), as the tool does over a file. Pure. */
export function queryRows(rows: Row[], input: Input): Omit<z.input<typeof DataQueryOutput>, 'file'> {
  const columns = new Set(rows.flatMap((r) => Object.keys(r)));
  const needed = [...(input.filter ?? []).map((f) => f.field), input.groupBy, input.aggregate.field];
  for (const column of needed) {
    if (column !== undefined && rows.length > 0 && !columns.has(column)) {
      throw new ToolError(`no column "${column}"; columns are: ${[...columns].join(', ')}`, false);
    }
  }
  if (input.aggregate.op !== 'count' && !input.aggregate.field) {
    throw new ToolError(`aggregate "${input.aggregate.op}" needs a field`, false);
  }
  const kept = rows.filter((row) => (input.filter ?? []).every((f) => matches(row, f)));
  if (input.groupBy === undefined) return { matched: kept.length, value: aggregate(kept, input.aggregate) };

  const byKey = new Map<Cell, Row[]>();
  for (const row of kept) {
    const key = row[input.groupBy] ?? null;
    const members = byKey.get(key);
    if (members) members.push(row);
    else byKey.set(key, [row]);
  }
  const sign = input.order === 'desc' ? -1 : 1;
  const groups = [...byKey.entries()]
    .map(([key, members]) => ({ key, value: aggregate(members, input.aggregate), rows: members.length }))
    .sort(
      (a, b) => sign * ((a.value ?? -Infinity) - (b.value ?? -Infinity)) || String(a.key).localeCompare(String(b.key)),
    );
  return { matched: kept.length, ...answerGroups(groups, input.limit) };
}

/** The `data_query` tool. */
export const dataQuery = defineTool({
  name: 'data_query',
  description:
    'Queries a CSV, JSON or Parquet table in the workspace: optional filters, then a count, sum, avg, min or max, ' +
    'either overall or per group (groupBy), groups ordered by value, optionally only the top N (limit).',
  input: DataQueryInput,
  output: DataQueryOutput,
  async run(input, ctx) {
    const location = await resolveInWorkspace(ctx.workspace, input.file);
    const limits = { timeoutMs: sqlLimitsFromEnv().timeoutMs, signal: ctx.signal };
    const answer = await withConnection(await workspaceRoot(ctx.workspace), limits, (connection) =>
      queryFile(connection, location, input),
    );
    return { file: input.file, ...answer };
  },
});

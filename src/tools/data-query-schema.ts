/**
 * What `data_query` takes and gives back: the schemas shared by the tool (`data-query.ts`) and its DuckDB
 * engine (`data-query-sql.ts`).
 */
import { z } from 'zod';

/** A value a filter compares with. */
const ScalarSchema = z.union([z.string(), z.number(), z.boolean()]);

/** One filter of a query. */
const FilterSchema = z.object({
  field: z.string().min(1),
  op: z.enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'contains', 'in']),
  value: z.union([ScalarSchema, z.array(ScalarSchema)]),
});

/** Input of `data_query`. */
export const DataQueryInput = z.object({
  file: z.string().min(1).describe('path of a .csv, .json or .parquet file, relative to the workspace'),
  filter: z.array(FilterSchema).optional().describe('rows must match every filter'),
  groupBy: z.string().min(1).optional().describe('column to group by; omit for one value over all rows'),
  aggregate: z
    .object({ op: z.enum(['count', 'sum', 'avg', 'min', 'max']), field: z.string().min(1).optional() })
    .default({ op: 'count' })
    .describe('what to compute per group (or overall); every op but count needs a numeric field'),
  order: z.enum(['desc', 'asc']).default('desc').describe('order of groups by value'),
  limit: z.number().int().positive().optional().describe('keep only the first N groups (top-k)'),
});

const Group = z.object({ key: ScalarSchema.nullable(), value: z.number().nullable(), rows: z.number() });

/** Output of `data_query`: one value overall, or one per group. */
export const DataQueryOutput = z.object({
  file: z.string(),
  matched: z.number().describe('rows that passed the filters'),
  value: z.number().nullable().optional(),
  groups: z.array(Group).optional(),
});

/** A value a filter compares with. */
export type Scalar = z.output<typeof ScalarSchema>;
/** One filter of a query, as parsed. */
export type Filter = z.output<typeof FilterSchema>;

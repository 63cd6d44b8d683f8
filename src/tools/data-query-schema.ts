/**
 * What `data_query` takes and gives back: the schemas shared by the tool (`data-query.ts`) and its DuckDB
 * engine (`data-query-sql.ts`).
 */
import { z } from 'zod';

/** Groups an answer holds at most: the first by value, unless `limit` asks for fewer. */
export const MAX_GROUPS = 1000;

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
  limit: z
    .number()
    .int()
    .positive()
    .max(MAX_GROUPS)
    .optional()
    .describe(`keep only the first N groups (top-k); at most ${MAX_GROUPS} groups are returned in any case`),
});

const Group = z.object({ key: ScalarSchema.nullable(), value: z.number().nullable(), rows: z.number() });

/** Output of `data_query`: one value overall, or one per group. */
export const DataQueryOutput = z.object({
  file: z.string(),
  matched: z.number().describe('rows that passed the filters'),
  value: z.number().nullable().optional(),
  groups: z.array(Group).optional(),
  truncated: z.literal(true).optional().describe(`set when there were more than ${MAX_GROUPS} groups`),
  cut: z.string().optional().describe('when truncated: how many groups there were, and how to get fewer'),
});

/** Groups as an answer holds them: the first `limit` (or {@link MAX_GROUPS}) of groups already in order. */
export function answerGroups<G>(
  ordered: G[],
  limit: number | undefined,
  total = ordered.length,
): { groups: G[]; truncated?: true; cut?: string } {
  const groups = ordered.slice(0, limit ?? MAX_GROUPS);
  if (limit !== undefined || total <= MAX_GROUPS) return { groups };
  return {
    groups,
    truncated: true,
    cut: `only the first ${MAX_GROUPS} of ${total} groups are returned: set limit, filter, or group by a coarser column`,
  };
}

/** A value a filter compares with. */
export type Scalar = z.output<typeof ScalarSchema>;
/** One filter of a query, as parsed. */
export type Filter = z.output<typeof FilterSchema>;

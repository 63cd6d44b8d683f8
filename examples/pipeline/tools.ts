/**
 * Tools of the data-pipeline agent: extract order exports into one staging file, clean it (strictly, or
 * normalizing regional formats first), and load a table into the warehouse. They really read and write files in
 * the worker's workspace: `raw/` holds the exports (the web shop writes ISO dates and decimal points; the shop
 * tills write `;`-separated files with DD.MM.YYYY dates and decimal commas), `staging/` what the pipeline makes of
 * them, and `warehouse/` the loaded tables, as declared in `warehouse/tables.json`.
 *
 *   cp -r examples/pipeline /tmp/orders   # the tools write into the workspace
 *   PLANWRIGHT_TOOLS=./examples/pipeline/tools.ts PLANWRIGHT_WORKSPACE=/tmp/orders npx planwright worker
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { defineTool, ToolError, type Tool } from '../../src/index.js';
import { parseCsvRecords } from '../../src/tools/table.js';
import { resolveForWrite, resolveInWorkspace } from '../../src/tools/workspace.js';

/** The columns every order export has. */
const ORDER_COLUMNS = ['order_id', 'order_date', 'customer_id', 'sku', 'quantity', 'unit_price'] as const;
/** The columns of the staging files: an export's, and the channel it came from. */
const STAGED_COLUMNS = [...ORDER_COLUMNS, 'channel'] as const;

type Order = Record<(typeof STAGED_COLUMNS)[number], string>;

const WorkspacePath = z.string().min(1).max(200).describe('a path relative to the workspace');

/** One CSV field, quoted when it must be. */
function csvField(value: string | number): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows as CSV text with a header, columns in the given order. */
function toCsv(columns: readonly string[], rows: ReadonlyArray<Record<string, string | number>>): string {
  const lines = [columns.map(csvField).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvField(row[c] ?? '')).join(','));
  return `${lines.join('\n')}\n`;
}

/** Writes a file inside the workspace whole or not at all (a temporary file renamed into place). */
async function writeWhole(workspace: string, relative: string, text: string, tool: string): Promise<void> {
  const target = await resolveForWrite(workspace, relative, tool);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(`${target}.partial`, text);
  await rename(`${target}.partial`, target);
}

/** The rows of a CSV file in the workspace, as text, by column; `;`-separated files are recognised by their header. */
async function readCsv(
  workspace: string,
  file: string,
): Promise<{ rows: Array<Record<string, string>>; delimiter: string }> {
  const text = await readFile(await resolveInWorkspace(workspace, file), 'utf8');
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const delimiter = firstLine.split(';').length > firstLine.split(',').length ? ';' : ',';
  let records: string[][];
  try {
    records = parseCsvRecords(text, delimiter);
  } catch (err) {
    throw new ToolError(`${file} is not valid CSV: ${(err as Error).message}`, false);
  }
  const [header = [], ...body] = records;
  const rows = body.map((cells, i) => {
    if (cells.length !== header.length) {
      throw new ToolError(
        `${file}, line ${i + 2}: ${cells.length} fields where the header has ${header.length}`,
        false,
      );
    }
    return Object.fromEntries(header.map((name, col) => [name.trim(), cells[col] ?? '']));
  });
  return { rows, delimiter };
}

/** Reads order exports, each tagged with its channel, into one staging file. */
export const extractOrders = defineTool({
  name: 'extract_orders',
  description:
    'Reads order exports (CSV, comma- or semicolon-separated) and writes them, unchanged and tagged with their ' +
    'sales channel, into one staging CSV file. Returns the staging file and the rows read per export.',
  input: z.object({
    sources: z
      .array(z.object({ file: WorkspacePath, channel: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/) }))
      .min(1)
      .max(20),
    into: WorkspacePath,
  }),
  output: z.object({
    staged: z.string(),
    rows: z.number(),
    files: z.array(z.object({ file: z.string(), channel: z.string(), rows: z.number(), delimiter: z.string() })),
  }),
  async run({ sources, into }, ctx) {
    const staged: Order[] = [];
    const files = [];
    for (const { file, channel } of sources) {
      const { rows, delimiter } = await readCsv(ctx.workspace, file);
      const missing = ORDER_COLUMNS.filter((c) => rows[0] !== undefined && !(c in rows[0]));
      if (missing.length > 0) throw new ToolError(`${file} has no column ${missing.join(', ')}`, false);
      for (const row of rows) staged.push({ ...(row as Omit<Order, 'channel'>), channel });
      files.push({ file, channel, rows: rows.length, delimiter });
    }
    await writeWhole(ctx.workspace, into, toCsv(STAGED_COLUMNS, staged), 'extract_orders');
    return { staged: into, rows: staged.length, files };
  },
});

/** What a cleaning rule found wrong with a row: a reason shared by rows alike, and the value at fault. */
interface Fault {
  reason: string;
  value?: string;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const REGIONAL_DATE = /^(\d{2})[./](\d{2})[./](\d{4})$/;

/** A date as YYYY-MM-DD if it is a real one written as allowed (DD.MM.YYYY too, when regional), else undefined. */
function isoDate(text: string, regional: boolean): string | undefined {
  const iso = ISO_DATE.exec(text);
  const local = regional ? REGIONAL_DATE.exec(text) : null;
  const [y, m, d] = iso ? [iso[1], iso[2], iso[3]] : local ? [local[3], local[2], local[1]] : [];
  if (!y || !m || !d) return undefined;
  const date = `${y}-${m}-${d}`;
  const time = Date.parse(`${date}T00:00:00Z`); // NaN for month 13; 30 February comes out as 2 March
  return !Number.isNaN(time) && new Date(time).toISOString().startsWith(date) ? date : undefined;
}

/** A price with a decimal point (a decimal comma too, when regional), as `12.50`; else undefined. */
function price(text: string, regional: boolean): string | undefined {
  const match = (regional ? /^(\d+)(?:[.,](\d{1,2}))?$/ : /^(\d+)(?:\.(\d{1,2}))?$/).exec(text);
  return match ? `${match[1]}.${(match[2] ?? '').padEnd(2, '0')}` : undefined;
}

/** A staged order in the warehouse's formats, or what is wrong with it. */
function cleanOrder(raw: Order, regional: boolean): { order: Order; converted: boolean } | Fault {
  const text = Object.fromEntries(STAGED_COLUMNS.map((c) => [c, (raw[c] ?? '').trim()])) as Order;
  for (const column of ['order_id', 'customer_id', 'sku', 'quantity', 'unit_price'] as const) {
    if (!text[column]) return { reason: `${column} is missing` };
  }
  const date = isoDate(text.order_date, regional);
  if (!date)
    return {
      reason: `order_date is not a date written ${regional ? 'YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY' : 'YYYY-MM-DD'}`,
      value: text.order_date,
    };
  if (!/^\d+$/.test(text.quantity) || Number(text.quantity) === 0) {
    return { reason: 'quantity is not a positive whole number', value: text.quantity };
  }
  const unitPrice = price(text.unit_price, regional);
  if (!unitPrice) return { reason: 'unit_price is not a price written like 12.50', value: text.unit_price };
  const order = {
    ...text,
    order_date: date,
    sku: text.sku.toUpperCase(),
    quantity: String(Number(text.quantity)),
    unit_price: unitPrice,
  };
  return { order, converted: date !== text.order_date || text.unit_price.includes(',') };
}

const CleanInput = z.object({
  input: WorkspacePath.describe('the staging CSV file to clean'),
  into: WorkspacePath.describe('where to write the clean CSV; rejected rows go next to it, as <name>.rejected.csv'),
});
const CleanOutput = z.object({
  input: z.string(),
  file: z.string().describe('the clean CSV file'),
  rowsIn: z.number(),
  rowsOut: z.number(),
  duplicatesRemoved: z.number(),
  converted: z.number().describe('rows kept whose date or price was converted from a regional format'),
  rejected: z.array(z.object({ reason: z.string(), rows: z.number(), example: z.string() })),
  rejectedShare: z.number().describe('rejected rows as a share of rowsIn, 0 to 1'),
  quarantine: z.string().nullable().describe('the CSV file of rejected rows with their reasons, if any'),
});

/** Cleans a staging file: checks every row, converts what may be converted, removes duplicate orders. */
async function clean(
  workspace: string,
  { input, into }: z.output<typeof CleanInput>,
  tool: string,
  regional: boolean,
): Promise<z.input<typeof CleanOutput>> {
  const { rows } = await readCsv(workspace, input);
  const missing = STAGED_COLUMNS.filter((c) => rows[0] !== undefined && !(c in rows[0]));
  if (missing.length > 0) throw new ToolError(`${input} has no column ${missing.join(', ')}; extract it first`, false);
  const kept = new Map<string, Order>();
  const rejected: Array<Order & { reason: string }> = [];
  const reasons = new Map<string, { rows: number; example: string }>();
  let duplicatesRemoved = 0;
  let converted = 0;
  for (const raw of rows as Order[]) {
    const result = cleanOrder(raw, regional);
    let fault: Fault | undefined = 'reason' in result ? result : undefined;
    if ('order' in result) {
      const earlier = kept.get(result.order.order_id);
      if (earlier && STAGED_COLUMNS.every((c) => earlier[c] === result.order[c])) duplicatesRemoved++;
      else if (earlier) fault = { reason: 'order_id repeated with different values' };
      else {
        kept.set(result.order.order_id, result.order);
        if (result.converted) converted++;
      }
    }
    if (!fault) continue;
    rejected.push({ ...raw, reason: fault.reason });
    const example = `${raw.order_id || '(no id)'}${fault.value !== undefined ? ` "${fault.value}"` : ''}`;
    const seen = reasons.get(fault.reason) ?? { rows: 0, example };
    reasons.set(fault.reason, { ...seen, rows: seen.rows + 1 });
  }
  await writeWhole(workspace, into, toCsv(STAGED_COLUMNS, [...kept.values()]), tool);
  const quarantine = rejected.length > 0 ? `${into.replace(/\.csv$/i, '')}.rejected.csv` : null;
  if (quarantine) await writeWhole(workspace, quarantine, toCsv([...STAGED_COLUMNS, 'reason'], rejected), tool);
  return {
    input,
    file: into,
    rowsIn: rows.length,
    rowsOut: kept.size,
    duplicatesRemoved,
    converted,
    rejected: [...reasons].map(([reason, r]) => ({ reason, ...r })),
    rejectedShare: rows.length === 0 ? 0 : Math.round((rejected.length / rows.length) * 1000) / 1000,
    quarantine,
  };
}

/** Cleans staged orders in the warehouse's formats only: ISO dates, decimal points. */
export const cleanOrders = defineTool({
  name: 'clean_orders',
  description:
    'Cleans a staging CSV of orders strictly in the warehouse formats (dates YYYY-MM-DD, prices like 12.50): ' +
    'rejects rows with missing or malformed values, removes duplicate orders, and writes the clean rows and the ' +
    'rejected ones (with reasons). Returns counts, the reasons, and the share of rows rejected.',
  input: CleanInput,
  output: CleanOutput,
  run: (input, ctx) => clean(ctx.workspace, input, 'clean_orders', false),
});

/** Cleans staged orders, converting regional dates and decimal commas first. */
export const normalizeOrders = defineTool({
  name: 'normalize_orders',
  description:
    'Like clean_orders, but first converts regional formats: dates DD.MM.YYYY or DD/MM/YYYY to YYYY-MM-DD and ' +
    'decimal commas to decimal points. For exports from systems set to a European locale.',
  input: CleanInput,
  output: CleanOutput,
  run: (input, ctx) => clean(ctx.workspace, input, 'normalize_orders', true),
});

/** A warehouse table as `warehouse/tables.json` declares it. */
interface TableSpec {
  key: string;
  columns: Record<string, 'date' | 'integer' | 'number' | 'text'>;
}

const FITS: Record<TableSpec['columns'][string], (value: unknown) => boolean> = {
  date: (v) => typeof v === 'string' && ISO_DATE.test(v),
  integer: (v) => Number.isInteger(v),
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  text: (v) => typeof v === 'string',
};

/** What is wrong with rows for a table: columns missing or extra, values of the wrong type, repeated keys. */
function rowProblem(table: string, spec: TableSpec, rows: ReadonlyArray<Record<string, unknown>>): string | undefined {
  const keys = new Set<unknown>();
  for (const [i, row] of rows.entries()) {
    const extra = Object.keys(row).filter((c) => !(c in spec.columns));
    if (extra.length > 0) return `row ${i + 1} has columns ${table} does not have: ${extra.join(', ')}`;
    for (const [column, type] of Object.entries(spec.columns)) {
      if (!FITS[type](row[column])) {
        return `row ${i + 1}: ${column} is ${JSON.stringify(row[column]) ?? 'missing'}; ${table}.${column} must be of type ${type}`;
      }
    }
    if (keys.has(row[spec.key])) return `row ${i + 1} repeats the key ${spec.key} = ${JSON.stringify(row[spec.key])}`;
    keys.add(row[spec.key]);
  }
  return undefined;
}

/** Replaces a warehouse table with rows, after checking them against the table's declaration. */
export const loadTable = defineTool({
  name: 'load_table',
  description:
    'Loads rows into a warehouse table (declared in warehouse/tables.json), replacing its contents: every row ' +
    'must have exactly the declared columns with values of their types, and no key twice. Returns the rows ' +
    'written and replaced, and the range of keys.',
  input: z.object({
    table: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/),
    rows: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))).max(10_000),
  }),
  output: z.object({
    table: z.string(),
    file: z.string(),
    rowsWritten: z.number(),
    replacedRows: z.number(),
    keys: z.object({ column: z.string(), from: z.string(), to: z.string() }),
  }),
  async run({ table, rows }, ctx) {
    const declared = await readFile(await resolveInWorkspace(ctx.workspace, 'warehouse/tables.json'), 'utf8');
    const tables = JSON.parse(declared) as Record<string, TableSpec>;
    const spec = tables[table];
    if (!spec)
      throw new ToolError(`the warehouse has no table ${table}; it has ${Object.keys(tables).join(', ')}`, false);
    if (rows.length === 0) {
      throw new ToolError(`no rows to load: ${table} is left as it was (an empty load would wipe it)`, false);
    }
    const problem = rowProblem(table, spec, rows);
    if (problem) throw new ToolError(`cannot load ${table}: ${problem}`, false);
    const file = `warehouse/${table}.csv`;
    const before = await readCsv(ctx.workspace, file).catch(() => undefined);
    const sorted = [...rows].sort((a, b) => String(a[spec.key]).localeCompare(String(b[spec.key])));
    const values = sorted as Array<Record<string, string | number>>;
    await writeWhole(ctx.workspace, file, toCsv(Object.keys(spec.columns), values), 'load_table');
    const keyOf = (row: Record<string, unknown> | undefined) => String(row?.[spec.key] ?? '');
    return {
      table,
      file,
      rowsWritten: rows.length,
      replacedRows: before?.rows.length ?? 0,
      keys: { column: spec.key, from: keyOf(sorted[0]), to: keyOf(sorted.at(-1)) },
    };
  },
});

/** The pipeline agent's tools. */
const tools: Tool[] = [extractOrders, cleanOrders, normalizeOrders, loadTable];
export default tools;

/**
 * The data-pipeline demo: a nightly refresh of the warehouse table `daily_revenue` from the order exports in
 * `examples/pipeline/raw/`, run as a recurring goal on a schedule. The planner's first plan is invalid (a step
 * depends on one that does not exist, and two use outputs of steps they do not depend on) and goes back to it with
 * the problems; a person approves the revised plan; the strict cleaning step rejects the tills' rows (written in a
 * European locale), its check catches it and its fallback normalizes them; the next run reuses the approved plan
 * from the plan cache. Offline it runs against the scripted model below, whose answers follow from what the tools
 * returned.
 */
import { fileURLToPath } from 'node:url';
import { plan, step, verdict, type WireStep } from '../testing/answers.js';
import type { RecordedRequest, Script, ScriptedReply } from '../testing/scripted-model.js';
import type { DemoSchedule } from './agent.js';
import { stepRows, type StepRow } from './requests.js';

/** Directory the pipeline's data comes from (the demo works in a copy: its tools write there). */
export const PIPELINE_WORKSPACE = fileURLToPath(new URL('../../examples/pipeline/', import.meta.url));

/** The pipeline demo's goal. */
export const PIPELINE_GOAL =
  'Refresh the warehouse table daily_revenue from the latest order exports, raw/web-orders.csv (web shop) and ' +
  'raw/store-orders.csv (shop tills): extract them, clean and deduplicate the orders, aggregate orders, items and ' +
  'revenue per day and channel, load the result, and report what was loaded and what was rejected.';

/** The schedule the demo runs the pipeline on (nightly at 02:00 UTC), and how many of its runs it starts. */
export const PIPELINE_SCHEDULE: DemoSchedule = {
  id: 'orders-nightly',
  spec: { cron: ['0 2 * * *'] },
  runs: 2,
};

/** The share of rows the cleaning step may reject before its output counts as wrong. */
export const MAX_REJECTED_SHARE = 0.1;

/** The aggregation's success criterion: in words, so a model judges it (the `check` phase). */
export const DAILY_CRITERION = 'one row per calendar day from the first order date to the last, with no day missing';

const SOURCES = [
  { file: 'raw/web-orders.csv', channel: 'web' },
  { file: 'raw/store-orders.csv', channel: 'store' },
];
const CLEAN = { input: '{{extract.staged}}', into: 'staging/orders-clean.csv' };
const revenue = (channel?: string) =>
  channel
    ? `round(coalesce(sum(quantity * unit_price) FILTER (WHERE channel = '${channel}'), 0), 2) AS ${channel}_revenue`
    : 'round(sum(quantity * unit_price), 2) AS revenue';
const DAILY_SQL =
  `SELECT order_date, count(*) AS orders, sum(quantity) AS items, ${revenue()}, ${revenue('web')}, ` +
  `${revenue('store')} FROM read_csv('{{clean.file}}') GROUP BY order_date ORDER BY order_date`;

/** The pipeline's steps; `slips` writes them with the two mistakes of the planner's first answer. */
function pipelineSteps(slips: boolean): WireStep[] {
  return [
    step('extract', {
      title: 'Extract the order exports',
      tool: 'extract_orders',
      args: { sources: SOURCES, into: 'staging/orders.csv' },
      successCriterion: '$.rows > 0',
    }),
    step('clean', {
      title: 'Clean and deduplicate the orders',
      tool: 'clean_orders',
      args: CLEAN,
      dependsOn: ['extract'],
      successCriterion: `$.rejectedShare <= ${MAX_REJECTED_SHARE}`,
      fallback: { tool: 'normalize_orders', args: CLEAN },
    }),
    step('daily', {
      title: 'Aggregate orders and revenue per day',
      tool: 'sql_query',
      args: { sql: DAILY_SQL, maxRows: 400 },
      dependsOn: [slips ? 'validate' : 'clean'], // the first answer still calls the cleaning step "validate"
      successCriterion: DAILY_CRITERION,
    }),
    step('load', {
      title: 'Load daily_revenue into the warehouse',
      tool: 'load_table',
      args: { table: 'daily_revenue', rows: '{{daily.rows}}' },
      dependsOn: [slips ? 'clean' : 'daily'], // the first answer forgets the step whose rows it loads
      successCriterion: '$.rowsWritten >= 1',
    }),
  ];
}

/** The planner's first answer: the right steps, but a dependency on a step that does not exist and one missing. */
export const INVALID_PIPELINE_PLAN = plan(
  { rationale: 'Extract, clean, aggregate, load: each step needs the one before.' },
  ...pipelineSteps(true),
);

/** The planner's revision, once told the problems: every step depends on the one whose output it uses. */
export const PIPELINE_PLAN = plan(
  { rationale: 'Extract, clean (normalizing regional formats if strict cleaning rejects too much), aggregate, load.' },
  ...pipelineSteps(false),
);

interface Daily {
  order_date: string;
  orders: number;
  items: number;
  revenue: number;
  web_revenue: number;
  store_revenue: number;
}

/** The scripted checker of the aggregation: are the days it returned consecutive, from the first to the last? */
export function checkDaily(request: RecordedRequest): ScriptedReply {
  const rows = ((stepRows(request)[0]?.output as { rows?: Daily[] } | undefined)?.rows ?? []).map((r) => r.order_date);
  if (rows.length === 0) return verdict.fail('the output has no rows');
  const day = (date: string) => Date.parse(`${date}T00:00:00Z`) / 86_400_000;
  const gap = rows.findIndex((date, i) => i > 0 && day(date) !== day(rows[i - 1] as string) + 1);
  if (gap > 0) return verdict.fail(`the rows jump from ${rows[gap - 1]} to ${rows[gap]}`);
  return verdict.pass(`${rows.length} rows, one for each day from ${rows[0]} to ${rows.at(-1)}, none missing`);
}

interface Cleaned {
  rowsIn: number;
  rowsOut: number;
  duplicatesRemoved: number;
  converted: number;
  rejected: Array<{ reason: string; rows: number; example: string }>;
  rejectedShare: number;
  quarantine: string | null;
}
interface Loaded {
  table: string;
  file: string;
  rowsWritten: number;
  replacedRows: number;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const money = (n: number) => n.toFixed(2);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A Markdown table whose columns line up in a terminal too; columns after the first are right-aligned. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)];
}

/** The days of the aggregation as table rows, with the week's totals last. */
function dailyTable(days: Daily[]): string[] {
  const sum = (pick: (d: Daily) => number) => days.reduce((total, d) => total + pick(d), 0);
  const weekday = (date: string) => WEEKDAYS[new Date(`${date}T00:00:00Z`).getUTCDay()] ?? '';
  const row = (label: string, d: Omit<Daily, 'order_date'>) => [
    label,
    String(d.orders),
    String(d.items),
    money(d.revenue),
    money(d.web_revenue),
    money(d.store_revenue),
  ];
  const total = {
    orders: sum((d) => d.orders),
    items: sum((d) => d.items),
    revenue: sum((d) => d.revenue),
    web_revenue: sum((d) => d.web_revenue),
    store_revenue: sum((d) => d.store_revenue),
  };
  return table(
    ['day', 'orders', 'items', 'revenue', 'web', 'tills'],
    [...days.map((d) => row(`${weekday(d.order_date)} ${d.order_date}`, d)), row('total', total)],
  );
}

/** What the cleaning step did to the data, as list items. */
function qualityLines(cleaned: Cleaned): string[] {
  const reasons = cleaned.rejected.map((r) => `${r.reason} (${r.rows}, e.g. ${r.example})`).join('; ');
  const rejected = cleaned.rejected.reduce((n, r) => n + r.rows, 0);
  return [
    rejected > 0
      ? `- ${plural(rejected, 'row')} of ${cleaned.rowsIn} rejected (${(cleaned.rejectedShare * 100).toFixed(1)}%), ` +
        `kept with their reasons in ${cleaned.quarantine}: ${reasons}.`
      : `- No row of ${cleaned.rowsIn} was rejected.`,
    ...(cleaned.duplicatesRemoved > 0 ? [`- ${plural(cleaned.duplicatesRemoved, 'duplicate order')} removed.`] : []),
    ...(cleaned.converted > 0
      ? [`- ${plural(cleaned.converted, 'row')} converted from regional formats (DD.MM.YYYY dates, decimal commas).`]
      : []),
  ];
}

/**
 * Writes the run's report from the step results quoted in a synthesis request: what was loaded where, the days,
 * and what the cleaning rejected, removed and converted; or, when the load did not happen, what is missing.
 */
export function writePipelineReport(request: RecordedRequest): string {
  const rows = stepRows(request);
  const output = <T>(id: string) =>
    rows.find((r: StepRow) => r.id === id && r.status === 'succeeded')?.output as T | undefined;
  const loaded = output<Loaded>('load');
  const days = output<{ rows: Daily[] }>('daily')?.rows ?? [];
  const cleaned = output<Cleaned>('clean');
  if (!loaded) {
    const missing = rows.filter((r) => r.status !== 'succeeded').map((r) => `- ${r.title ?? r.id} (${r.status})`);
    return ['# daily_revenue was not refreshed', '', 'The table keeps what it held. Not done:', ...missing].join('\n');
  }
  const first = days[0]?.order_date ?? '?';
  const last = days.at(-1)?.order_date ?? '?';
  const replaced = loaded.replacedRows > 0 ? `replacing the ${loaded.replacedRows} rows it held` : 'a new table';
  return [
    `# ${loaded.table} refreshed: ${first} to ${last}`,
    '',
    `Loaded ${plural(loaded.rowsWritten, 'row')} into ${loaded.file} (${replaced}) from ` +
      `${cleaned ? `${cleaned.rowsOut} clean orders of ${cleaned.rowsIn} exported` : 'the clean orders'}.`,
    '',
    ...dailyTable(days),
    ...(cleaned ? ['', 'Data quality:', ...qualityLines(cleaned)] : []),
  ].join('\n');
}

/** The scripted model's script for `runs` runs of the pipeline: the first plans (twice), the others reuse it. */
export function pipelineScript(runs = PIPELINE_SCHEDULE.runs): Script {
  return {
    plan: [INVALID_PIPELINE_PLAN, PIPELINE_PLAN],
    check: Array.from({ length: runs }, () => checkDaily),
    synthesize: Array.from({ length: runs }, () => (request: RecordedRequest) => ({
      content: writePipelineReport(request),
    })),
  };
}

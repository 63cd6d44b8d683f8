/**
 * One side of the data-engine benchmark, in a process of its own so that its memory is its own: runs
 * `data_query` calls over a CSV file with the old in-memory engine (read, parse, query in JS) or the
 * DuckDB one, and prints times and memory as JSON.
 * Usage: node --expose-gc --import tsx bench/data-engine-child.ts old|duckdb <file.csv> <runs>
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { dataQuery, queryRows } from '../src/tools/data-query.js';
import { DataQueryInput } from '../src/tools/data-query-schema.js';
import type { ToolContext } from '../src/tools/define.js';
import { parseCsv } from '../src/tools/table.js';

const [engine, file, runsArg] = process.argv.slice(2) as [string, string, string];
const inputs = [
  { file: path.basename(file), groupBy: 'intent', aggregate: { op: 'avg', field: 'hours' } },
  {
    file: path.basename(file),
    filter: [
      { field: 'channel', op: 'eq', value: 'email' },
      { field: 'hours', op: 'gt', value: 10 },
    ],
  },
].map((input) => DataQueryInput.parse(input));

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
gc();
const heapBefore = process.memoryUsage().heapUsed;
let heapPeak = 0;
/** Notes the heap the calls hold now (beyond what the process held before them). */
const sampleHeap = () => {
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed - heapBefore);
};

/** The old tool: the whole file read and parsed into row objects on every call, then queried in JS. */
async function oldCall(input: (typeof inputs)[number]) {
  const rows = parseCsv(await readFile(file, 'utf8'));
  const answer = { file: input.file, ...queryRows(rows, input) };
  sampleHeap(); // the rows are still held here
  return answer;
}

const ctx = { workspace: path.dirname(file) } as ToolContext;
const call = (input: (typeof inputs)[number]) => (engine === 'old' ? oldCall(input) : dataQuery.run(input, ctx));

const times: number[] = [];
const answers: unknown[] = [];
for (let run = 0; run < Number(runsArg); run++) {
  const started = performance.now();
  for (const input of inputs) {
    answers.push(await call(input));
    sampleHeap();
  }
  times.push(performance.now() - started);
  gc();
}
const mb = (bytes: number) => Math.max(0, Math.round(bytes / 1e4) / 100);
console.log(
  JSON.stringify({
    firstMs: Math.round(times[0] ?? 0),
    bestMs: Math.round(Math.min(...times)),
    heapMb: mb(heapPeak),
    rssPeakMb: mb(process.resourceUsage().maxRSS * 1024),
    answer: answers.slice(0, inputs.length),
  }),
);

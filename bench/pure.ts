/**
 * Benchmarks of the pure code on a run's hot paths: plan validation of a large plan, reference
 * resolution, and data_query over a large table.
 */
import type { Plan } from '../src/contract/plan.js';
import { resolveReferences } from '../src/plan/references.js';
import { validatePlan } from '../src/plan/validate.js';
import { DataQueryInput } from '../src/tools/data-query-schema.js';
import { queryRows } from '../src/tools/data-query.js';
import { parseCsv } from '../src/tools/table.js';

function time<T>(runs: number, fn: () => T): { meanMs: number; bestMs: number } {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return { meanMs: round(times.reduce((a, b) => a + b, 0) / runs), bestMs: round(Math.min(...times)) };
}

/**
 * Validating plans of 200 and 1000 steps (a chain with fan-in) whose every step references the step before it, and
 * a 1000-step chain without references (as a run validates each plan it adopts).
 */
export function benchValidate() {
  const tools = [
    {
      name: 'calculator',
      outputSchema: { type: 'object', properties: { value: { type: 'number' } }, additionalProperties: false },
    },
  ];
  const chain = (n: number, referencing: boolean): Plan['steps'] =>
    Array.from({ length: n }, (_, i) => ({
      id: `s${i}`,
      title: `Step ${i}`,
      dependsOn: i === 0 ? [] : [`s${i - 1}`, ...(i > 10 ? [`s${i - 10}`] : [])],
      tool: 'calculator',
      args: { expression: i === 0 || !referencing ? '1' : `{{s${i - 1}.value}} + 1` },
    }));
  const timed = (steps: Plan['steps'], runs: number) => {
    const limits = { tools, maxSteps: steps.length };
    const issues = validatePlan({ steps }, limits);
    if (issues.length > 0) throw new Error(`unexpected issues: ${issues[0]?.message}`);
    return time(runs, () => validatePlan({ steps }, limits));
  };
  return {
    steps200: timed(chain(200, true), 50),
    steps1000: timed(chain(1000, true), 10),
    steps1000WithoutReferences: timed(chain(1000, false), 10),
  };
}

/** Resolving references in arguments against 200 outputs. */
export function benchReferences() {
  const outputs = Object.fromEntries(
    Array.from({ length: 200 }, (_, i) => [`s${i}`, { groups: [{ key: `k${i}`, value: i }] }]),
  );
  const args = {
    items: Array.from({ length: 200 }, (_, i) => `{{s${i}.groups.0.value}}`),
    text: 'top: {{s7.groups.0.key}}',
  };
  return time(500, () => resolveReferences(args, outputs));
}

/** Parsing a 100,000-row CSV and grouping it: the data_query path. */
export function benchDataQuery() {
  const intents = ['billing', 'login', 'shipping', 'bug', 'upgrade', 'cancel'];
  const lines = ['id,intent,hours'];
  for (let i = 0; i < 100_000; i++) lines.push(`${i},${intents[i % intents.length]},${(i % 97) / 3}`);
  const csv = lines.join('\n');
  const input = DataQueryInput.parse({ file: 'x.csv', groupBy: 'intent', aggregate: { op: 'avg', field: 'hours' } });
  const heapBefore = process.memoryUsage().heapUsed;
  const parse = time(5, () => parseCsv(csv));
  const rows = parseCsv(csv);
  const heapMb = Math.round((process.memoryUsage().heapUsed - heapBefore) / 1e6);
  return {
    rows: rows.length,
    csvMb: Math.round(csv.length / 1e5) / 10,
    parse,
    group: time(10, () => queryRows(rows, input)),
    heapMb,
  };
}

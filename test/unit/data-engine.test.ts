/**
 * data_query on DuckDB answers exactly as the in-memory queryRows does, over messy CSV, JSON and the
 * demo's real data.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dataQuery, queryRows } from '../../src/tools/data-query.js';
import { DataQueryInput } from '../../src/tools/data-query-schema.js';
import type { ToolContext } from '../../src/tools/define.js';
import { parseCsv, parseJsonRows } from '../../src/tools/table.js';

const DEMO = path.resolve('examples/support-report');

const messy = `region,owner,amount,score,note
north,Ann,10,4.5,"first, quoted"
North,bob,-2.5,,said ""hi""
south,ann,7,3,
east,Cid,,5,"multi
line"
south,Dee,7,n/a,0042
west,ann,1e3,2,x
`;

let workspace: string;
beforeAll(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), 'pw-engine-'));
  await writeFile(path.join(workspace, 'messy.csv'), messy);
  const rows = [
    { team: 'red', points: 3, active: true },
    { team: 'blue', points: 5, active: false },
    { team: 'red', points: 4, active: true },
  ];
  await writeFile(path.join(workspace, 'array.json'), JSON.stringify(rows));
  await writeFile(path.join(workspace, 'wrapped.json'), JSON.stringify({ rows }));
  await writeFile(path.join(workspace, 'numbers.json'), '[1, 2, 3]');
});

const engine = (file: string, input: object, dir = workspace) =>
  dataQuery.run(DataQueryInput.parse({ file, ...input }), { workspace: dir } as ToolContext);

const messyQueries = [
  {},
  { groupBy: 'region' },
  { groupBy: 'owner', order: 'asc' },
  { filter: [{ field: 'region', op: 'eq', value: 'NORTH' }] },
  {
    filter: [{ field: 'region', op: 'ne', value: 'north' }],
    groupBy: 'region',
    aggregate: { op: 'sum', field: 'amount' },
  },
  { filter: [{ field: 'owner', op: 'in', value: ['ann', 'Bob'] }], aggregate: { op: 'avg', field: 'amount' } },
  { filter: [{ field: 'note', op: 'contains', value: 'QUOTED' }] },
  { filter: [{ field: 'amount', op: 'gte', value: 7 }], groupBy: 'region', aggregate: { op: 'max', field: 'amount' } },
  { filter: [{ field: 'score', op: 'lt', value: 4 }], aggregate: { op: 'min', field: 'score' } },
  { filter: [{ field: 'amount', op: 'eq', value: '7' }] },
  { filter: [{ field: 'amount', op: 'gt', value: 'x' }] },
  { groupBy: 'region', aggregate: { op: 'avg', field: 'score' }, limit: 2 },
  { groupBy: 'region', aggregate: { op: 'sum', field: 'score' }, order: 'asc', limit: 1 },
  { groupBy: 'owner', limit: 1 },
];

describe('data_query on DuckDB', () => {
  it.each(messyQueries.map((q) => [JSON.stringify(q), q]))('matches queryRows over messy CSV: %s', async (_, q) => {
    const expected = queryRows(parseCsv(messy), DataQueryInput.parse({ file: 'messy.csv', ...q }));
    await expect(engine('messy.csv', q)).resolves.toEqual({ file: 'messy.csv', ...expected });
  });

  it('matches queryRows over JSON arrays and {"rows": [...]} objects', async () => {
    const text = await readFile(path.join(workspace, 'array.json'), 'utf8');
    for (const q of [
      { groupBy: 'team', aggregate: { op: 'sum', field: 'points' } },
      { filter: [{ field: 'active', op: 'eq', value: true }] },
    ]) {
      const expected = queryRows(parseJsonRows(text), DataQueryInput.parse({ file: 'x', ...q }));
      await expect(engine('array.json', q)).resolves.toEqual({ file: 'array.json', ...expected });
      await expect(engine('wrapped.json', q)).resolves.toEqual({ file: 'wrapped.json', ...expected });
    }
    await expect(engine('numbers.json', {})).rejects.toThrow('expected a JSON array of objects');
  });

  it('matches queryRows on the demo’s tickets', async () => {
    const text = await readFile(path.join(DEMO, 'support-tickets.csv'), 'utf8');
    const queries = [
      { groupBy: 'intent' },
      { aggregate: { op: 'avg', field: 'csat' } },
      { groupBy: 'channel', aggregate: { op: 'avg', field: 'resolution_hours' }, limit: 3 },
      {
        filter: [{ field: 'priority', op: 'eq', value: 'urgent' }],
        groupBy: 'customer_tier',
        aggregate: { op: 'max', field: 'first_response_minutes' },
      },
      { filter: [{ field: 'created_at', op: 'contains', value: '2026-11-10' }], groupBy: 'created_at', limit: 2 },
    ];
    for (const q of queries) {
      const expected = queryRows(parseCsv(text), DataQueryInput.parse({ file: 'support-tickets.csv', ...q }));
      await expect(engine('support-tickets.csv', q, DEMO)).resolves.toEqual({
        file: 'support-tickets.csv',
        ...expected,
      });
    }
  });

  it('names the columns when one is missing, and refuses other file types', async () => {
    await expect(engine('messy.csv', { groupBy: 'city' })).rejects.toThrow(
      'no column "city"; columns are: region, owner, amount, score, note',
    );
    await writeFile(path.join(workspace, 'notes.txt'), 'a');
    await expect(engine('notes.txt', {})).rejects.toThrow('is not a .csv, .json or .parquet file');
    await writeFile(path.join(workspace, 'ragged.csv'), 'a,b\n1,2\n3\n');
    await expect(engine('ragged.csv', {})).rejects.toThrow(/ragged\.csv/);
  });
});

describe('data_query type detection', () => {
  it('reads a column as text when a value far past the sampled rows is not a number', async () => {
    const lines = Array.from({ length: 30_000 }, (_, i) => `${i},a`);
    const text = `code,kind\n${lines.join('\n')}\nX-1,b\n`;
    await writeFile(path.join(workspace, 'late.csv'), text);
    const q = { filter: [{ field: 'code', op: 'gte', value: 29_998 }], aggregate: { op: 'sum', field: 'code' } };
    const expected = queryRows(parseCsv(text), DataQueryInput.parse({ file: 'late.csv', ...q }));
    expect(expected).toEqual({ matched: 2, value: 59_997 });
    await expect(engine('late.csv', q)).resolves.toEqual({ file: 'late.csv', ...expected });
  });
});

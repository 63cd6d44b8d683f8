import { mkdtemp, mkdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataQuery, queryRows } from '../../src/tools/data-query.js';
import { DataQueryInput } from '../../src/tools/data-query-schema.js';
import type { ToolContext } from '../../src/tools/define.js';
import { parseCsv } from '../../src/tools/table.js';

const csv = `id,intent,hours,note
1,billing,2.5,"refund, please"
2,login,1,
3,billing,3.5,"said ""thanks"""
4,shipping,10,"multi
line"
`;

const run = (input: unknown) => queryRows(parseCsv(csv), DataQueryInput.parse(input));

describe('CSV parsing', () => {
  it('reads quotes, escaped quotes, embedded newlines, numbers and empty cells', () => {
    expect(parseCsv(csv)).toEqual([
      { id: 1, intent: 'billing', hours: 2.5, note: 'refund, please' },
      { id: 2, intent: 'login', hours: 1, note: null },
      { id: 3, intent: 'billing', hours: 3.5, note: 'said "thanks"' },
      { id: 4, intent: 'shipping', hours: 10, note: 'multi\nline' },
    ]);
  });

  it('refuses ragged rows and unterminated quotes', () => {
    expect(() => parseCsv('a,b\n1\n')).toThrow('row 2 has 1 fields; the header has 2');
    expect(() => parseCsv('a\n"open\n')).toThrow('unterminated quoted field');
  });
});

describe('data_query', () => {
  it('counts overall and per group, ordered by value then key', () => {
    expect(run({ file: 'x.csv' })).toEqual({ matched: 4, value: 4 });
    expect(run({ file: 'x.csv', groupBy: 'intent' }).groups).toEqual([
      { key: 'billing', value: 2, rows: 2 },
      { key: 'login', value: 1, rows: 1 },
      { key: 'shipping', value: 1, rows: 1 },
    ]);
  });

  it('filters, aggregates and keeps the top k', () => {
    expect(
      run({
        file: 'x.csv',
        filter: [{ field: 'intent', op: 'eq', value: 'billing' }],
        aggregate: { op: 'avg', field: 'hours' },
      }),
    ).toEqual({
      matched: 2,
      value: 3,
    });
    expect(
      run({ file: 'x.csv', groupBy: 'intent', aggregate: { op: 'sum', field: 'hours' }, limit: 1 }).groups,
    ).toEqual([{ key: 'shipping', value: 10, rows: 1 }]);
    expect(run({ file: 'x.csv', filter: [{ field: 'hours', op: 'gte', value: 3 }] }).matched).toBe(2);
    expect(run({ file: 'x.csv', filter: [{ field: 'intent', op: 'in', value: ['login', 'shipping'] }] }).matched).toBe(
      2,
    );
  });

  it('names the columns when a field does not exist', () => {
    expect(() => run({ file: 'x.csv', groupBy: 'channel' })).toThrow(
      'no column "channel"; columns are: id, intent, hours, note',
    );
    expect(() => run({ file: 'x.csv', aggregate: { op: 'sum' } })).toThrow('aggregate "sum" needs a field');
  });

  it('returns at most 1000 groups, the first by value, and says how many there were', async () => {
    const workspace = await mkdtemp(path.join(tmpdir(), 'pw-ws-'));
    const text = `id,customer\n${Array.from({ length: 3000 }, (_, i) => `${i},c${i % 2500}`).join('\n')}\n`;
    await writeFile(path.join(workspace, 'orders.csv'), text);
    const input = DataQueryInput.parse({ file: 'orders.csv', groupBy: 'customer' });
    const cut = 'only the first 1000 of 2500 groups are returned: set limit, filter, or group by a coarser column';
    for (const answer of [
      await dataQuery.run(input, { workspace } as ToolContext),
      queryRows(parseCsv(text), input),
    ] as Array<{ matched: number; groups?: Array<{ key: unknown; value: number | null }>; cut?: string }>) {
      expect(answer.matched).toBe(3000);
      expect(answer.groups).toHaveLength(1000);
      // The 500 customers with two orders first, then by key.
      expect(answer.groups?.slice(0, 2)).toEqual([
        { key: 'c0', value: 2, rows: 2 },
        { key: 'c1', value: 2, rows: 2 },
      ]);
      expect(answer).toMatchObject({ truncated: true, cut });
    }
    const top = await dataQuery.run({ ...input, limit: 3 }, { workspace } as ToolContext);
    expect(top).not.toHaveProperty('truncated');
    expect(() => DataQueryInput.parse({ ...input, limit: 1001 })).toThrow();
  });

  it('reads files only inside the workspace', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'pw-ws-'));
    const workspace = path.join(root, 'ws');
    await mkdir(workspace);
    await writeFile(path.join(workspace, 't.csv'), csv);
    await writeFile(path.join(root, 'secret.csv'), 'a\n1\n');
    await symlink(path.join(root, 'secret.csv'), path.join(workspace, 'link.csv'));
    const ctx = { workspace } as ToolContext;
    const query = (file: string) => dataQuery.run(DataQueryInput.parse({ file }), ctx);

    await expect(query('t.csv')).resolves.toMatchObject({ file: 't.csv', matched: 4 });
    await expect(query('../secret.csv')).rejects.toThrow('"../secret.csv" leads outside the workspace');
    await expect(query(path.join(root, 'secret.csv'))).rejects.toThrow('is an absolute path');
    await expect(query('link.csv')).rejects.toThrow('"link.csv" is a link that leads outside the workspace');
    await expect(query('missing.csv')).rejects.toThrow('"missing.csv" does not exist in the workspace');
  });

  it('learns a file’s columns again once the file changed', async () => {
    const workspace = await mkdtemp(path.join(tmpdir(), 'pw-ws-'));
    const file = path.join(workspace, 'sales.csv');
    const ctx = { workspace } as ToolContext;
    const query = (input: object) => dataQuery.run(DataQueryInput.parse({ file: 'sales.csv', ...input }), ctx);

    await writeFile(file, 'region,amount\nnorth,10\nsouth,5\n');
    await expect(query({ aggregate: { op: 'sum', field: 'amount' } })).resolves.toMatchObject({ value: 15 });
    // Asked again: the same answer, from what was learned of the file the first time.
    await expect(query({ aggregate: { op: 'sum', field: 'amount' } })).resolves.toMatchObject({ value: 15 });
    await expect(query({ groupBy: 'channel' })).rejects.toThrow('no column "channel"; columns are: region, amount');

    // A new column, and amounts that are no longer all numbers.
    await writeFile(file, 'region,amount,channel\nnorth,10,web\nsouth,n/a,shop\nsouth,7,web\n');
    await expect(query({ groupBy: 'channel' })).resolves.toMatchObject({
      groups: [
        { key: 'web', value: 2, rows: 2 },
        { key: 'shop', value: 1, rows: 1 },
      ],
    });
    await expect(query({ aggregate: { op: 'sum', field: 'amount' } })).resolves.toMatchObject({ value: 17 });
  });
});

/**
 * sql_query: one read-only SELECT over the workspace's files; writes, other paths, extensions and the
 * network are refused, and row and time limits hold.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, realpath, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { ToolError, type ToolContext } from '../../src/tools/define.js';
import { createSqlQueryTool, SqlQueryInput } from '../../src/tools/sql-query.js';

let root: string;
let workspace: string;
const tool = createSqlQueryTool({ defaultRows: 100, maxRows: 1000, timeoutMs: 1000 });

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'pw-sql-'));
  workspace = path.join(root, 'ws');
  await mkdir(path.join(workspace, 'data'), { recursive: true });
  await writeFile(
    path.join(workspace, 'data', 'orders.csv'),
    'id,customer,total,day\n1,ann,12.5,2026-11-02\n2,bob,7,2026-11-03\n3,ann,30,2026-11-03\n',
  );
  await writeFile(
    path.join(workspace, 'customers.json'),
    JSON.stringify([
      { name: 'ann', tier: 'pro' },
      { name: 'bob', tier: 'free' },
    ]),
  );
  await writeFile(path.join(root, 'secret.csv'), 'password\nhunter2\n');
  await symlink(path.join(root, 'secret.csv'), path.join(workspace, 'link.csv'));
  await symlink(root, path.join(workspace, 'up'));
  // A Parquet file, written by a database of the test's own (the tool's database cannot write).
  const writer = await (await DuckDBInstance.create()).connect();
  await writer.run(
    `COPY (SELECT range AS n, range * 2 AS twice FROM range(5)) TO '${path.join(workspace, 'n.parquet')}' (FORMAT parquet)`,
  );
  writer.closeSync();
});

const run = (sql: string, extra: object = {}, signal?: AbortSignal, inWorkspace = workspace) =>
  tool.run(SqlQueryInput.parse({ sql, ...extra }), {
    workspace: inWorkspace,
    ...(signal ? { signal } : {}),
  } as ToolContext) as Promise<{
    columns: Array<{ name: string; type: string }>;
    rows: Array<Record<string, unknown>>;
    rowCount: number;
    truncated: boolean;
    cut?: string;
  }>;

const refused = (sql: string, message: string | RegExp) => refusedIn(workspace, sql, message);
const refusedIn = async (inWorkspace: string, sql: string, message: string | RegExp) => {
  const err = await run(sql, {}, undefined, inWorkspace).catch((e: unknown) => e);
  expect(err, sql).toBeInstanceOf(ToolError);
  expect((err as ToolError).retryable, sql).toBe(false);
  expect((err as ToolError).message, sql).toMatch(message);
};

describe('sql_query', () => {
  it('joins CSV, JSON and Parquet files by paths relative to the workspace', async () => {
    const result = await run(`
      SELECT o.customer, c.tier, sum(o.total) AS spent, count(*) AS orders, min(o.day) AS first_day
      FROM read_csv('data/orders.csv') o JOIN 'customers.json' c ON c.name = o.customer
      GROUP BY ALL ORDER BY spent DESC`);
    expect(result.rows).toEqual([
      { customer: 'ann', tier: 'pro', spent: 42.5, orders: 2, first_day: '2026-11-02' },
      { customer: 'bob', tier: 'free', spent: 7, orders: 1, first_day: '2026-11-03' },
    ]);
    expect(result.columns.map((c) => c.name)).toEqual(['customer', 'tier', 'spent', 'orders', 'first_day']);
    expect(result).toMatchObject({ rowCount: 2, truncated: false });
    await expect(run(`SELECT sum(twice)::INTEGER AS s FROM read_parquet('n.parquet')`)).resolves.toMatchObject({
      rows: [{ s: 20 }],
    });
    await expect(run(`SELECT count(*) AS files FROM glob('data/*.csv')`)).resolves.toMatchObject({
      rows: [{ files: 1 }],
    });
  });

  it('refuses anything but one SELECT: writes, attachments, extensions, settings', async () => {
    const readOnly = /^sql_query only reads: give one SELECT/;
    await refused(`COPY (SELECT 1) TO 'out.csv'`, readOnly);
    await refused(`COPY (SELECT 1) TO '${path.join(workspace, 'out.parquet')}' (FORMAT parquet)`, readOnly);
    await refused(`CREATE TABLE t AS SELECT 1`, readOnly);
    await refused(`ATTACH '${path.join(workspace, 'x.db')}'`, readOnly);
    await refused(`INSTALL httpfs`, readOnly);
    await refused(`LOAD httpfs`, readOnly);
    await refused(`SET enable_external_access = true`, readOnly);
    await refused(`PRAGMA database_list`, readOnly);
    await refused(`SELECT 1; COPY (SELECT 1) TO 'out.csv'`, readOnly);
    await refused(`SELECT 1; SELECT 2`, 'give exactly one SELECT statement, not 2');
    await refused(`SELECT * FROM query('COPY (SELECT 1) TO ''out.csv''')`, /Expected a single SELECT statement/);
    await refused(`SELEC 1`, /^the SQL does not parse: /);
    expect(existsSync(path.join(workspace, 'out.csv'))).toBe(false);
    expect(existsSync(path.join(workspace, 'out.parquet'))).toBe(false);
    expect(existsSync(path.join(workspace, 'x.db'))).toBe(false);
  });

  it('refuses every path outside the workspace, links and URLs included', async () => {
    const outside = /cannot be read: queries read files inside the workspace only/;
    await refused(`SELECT * FROM read_csv('../secret.csv')`, outside);
    await refused(`SELECT * FROM '../secret.csv'`, outside);
    await refused(`SELECT * FROM read_csv('${path.join(root, 'secret.csv')}')`, outside);
    await refused(`SELECT * FROM read_csv('data/../../secret.csv')`, outside);
    await refused(`SELECT * FROM read_csv('link.csv')`, outside);
    await refused(`SELECT * FROM read_csv('up/secret.csv')`, outside);
    await refused(`SELECT * FROM read_text('/etc/hostname')`, outside);
    await refused(`SELECT * FROM glob('/etc/*')`, outside);
    await refused(`SELECT * FROM read_csv('~/secret.csv')`, outside);
    await refused(`SELECT * FROM read_csv('http://127.0.0.1:9/x.csv')`, outside);
    await refused(`SELECT * FROM query('SELECT * FROM read_csv(''/etc/passwd'')')`, outside);
    await refused(`SELECT * FROM read_csv(concat('../', 'secret.csv'))`, outside);
  });

  it('cuts results at maxRows and says so', async () => {
    const many = await run('SELECT range AS n FROM range(5000)', { maxRows: 10 });
    expect(many.rows).toEqual(Array.from({ length: 10 }, (_, n) => ({ n })));
    expect(many).toMatchObject({ rowCount: 10, truncated: true });
    await expect(run('SELECT range AS n FROM range(5000)')).resolves.toMatchObject({ rowCount: 100, truncated: true });
    await expect(run('SELECT range AS n FROM range(5)', { maxRows: 5 })).resolves.toMatchObject({ truncated: false });
    await expect(run('SELECT 1', { maxRows: 5000 })).rejects.toThrow('maxRows 5000 is over the limit of 1000');
  });

  it('cuts results at a size in bytes and says so, however few the rows', async () => {
    const huge = await run(`SELECT repeat('x', 3000000) AS big`);
    expect(huge).toMatchObject({ rows: [], rowCount: 0, truncated: true });
    expect(huge.cut).toMatch(/^the first row alone has 3000\d{3} bytes of JSON, over the limit of 1000000/);

    const small = createSqlQueryTool({ defaultRows: 100, maxRows: 1000, timeoutMs: 1000, maxBytes: 10_000 });
    const wide = (await small.run(
      SqlQueryInput.parse({ sql: `SELECT range AS n, repeat('y', 1000) AS s FROM range(50)` }),
      { workspace } as ToolContext,
    )) as { rows: unknown[]; rowCount: number; truncated: boolean; cut?: string };
    expect(wide.rowCount).toBe(9);
    expect(wide).toMatchObject({
      truncated: true,
      cut: 'rows after the first 9 were left out: a result has at most 10000 bytes of JSON',
    });
    expect(Buffer.byteLength(JSON.stringify(wide.rows))).toBeLessThanOrEqual(10_000);

    const many = await run('SELECT range AS n FROM range(5000)', { maxRows: 10 });
    expect(many.cut).toBe('rows after the first 10 were left out (maxRows 10)');
    await expect(run('SELECT 1 AS one')).resolves.not.toHaveProperty('cut');
  });

  it('stops a runaway query at the time limit, and a cancelled one at once', async () => {
    const runaway = `SELECT count(*) FROM range(100000000) a, range(100000000) b WHERE (a.range * b.range) % 7 = 3`;
    const started = Date.now();
    const err = await run(runaway).catch((e: unknown) => e);
    expect((err as ToolError).message).toBe(
      'the query ran longer than 1 s and was stopped; narrow it (filter, aggregate, LIMIT)',
    );
    expect((err as ToolError).retryable).toBe(false);
    expect(Date.now() - started).toBeLessThan(10_000);

    const abort = new AbortController();
    setTimeout(() => abort.abort(), 200);
    const cancelled = await run(runaway, {}, abort.signal).catch((e: unknown) => e);
    expect(cancelled).toMatchObject({ message: 'the query was cancelled', retryable: true });
  });

  it('spills to a private folder of its own, never to a .tmp of the current folder, which it cannot read', async () => {
    const here = await mkdtemp(path.join(tmpdir(), 'pw-cwd-'));
    await mkdir(path.join(here, '.tmp'));
    await writeFile(path.join(here, '.tmp', 'other.txt'), 'another program’s');
    // A workspace of its own gets a database of its own, opened while the current folder is `here`.
    const ws = await mkdtemp(path.join(tmpdir(), 'pw-sql-ws-'));
    const query = (sql: string) => run(sql, {}, undefined, ws);
    const cwd = process.cwd();
    const memory = process.env.PLANWRIGHT_SQL_MEMORY;
    process.chdir(here);
    process.env.PLANWRIGHT_SQL_MEMORY = '64MB';
    try {
      const { rows } = await query(`SELECT current_setting('temp_directory') AS dir`);
      const dir = String(rows[0]?.dir);
      expect(path.dirname(dir)).toBe(await realpath(tmpdir()));
      expect(path.basename(dir)).toMatch(/^planwright-duckdb-/);
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
      await refusedIn(ws, `SELECT content FROM read_text('${path.join(here, '.tmp', 'other.txt')}')`, /cannot be read/);
      // More than the memory limit: the sort spills to that folder and completes.
      const patient = createSqlQueryTool({ defaultRows: 100, maxRows: 1000, timeoutMs: 30_000 });
      const sorted = await patient.run(
        SqlQueryInput.parse({
          sql: `SELECT max(s) AS top FROM (SELECT repeat('x', 100) || range AS s FROM range(1000000) ORDER BY s DESC)`,
        }),
        { workspace: ws } as ToolContext,
      );
      expect(sorted).toMatchObject({ rows: [{ top: `${'x'.repeat(100)}999999` }] });
      expect(await readdir(path.join(here, '.tmp'))).toEqual(['other.txt']);
    } finally {
      process.chdir(cwd);
      if (memory === undefined) delete process.env.PLANWRIGHT_SQL_MEMORY;
      else process.env.PLANWRIGHT_SQL_MEMORY = memory;
    }
  });

  it('does not spill at all when the system’s temporary folder is inside the workspace', async () => {
    const ws = await mkdtemp(path.join(tmpdir(), 'pw-sql-ws-'));
    await mkdir(path.join(ws, 'tmp'));
    const tmp = process.env.TMPDIR;
    process.env.TMPDIR = path.join(ws, 'tmp');
    try {
      const { rows } = await run(`SELECT current_setting('temp_directory') AS dir`, {}, undefined, ws);
      expect(rows).toEqual([{ dir: '' }]);
      expect(await readdir(path.join(ws, 'tmp'))).toEqual([]);
    } finally {
      if (tmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmp;
    }
  });

  it('returns whole numbers, decimals, dates, lists and structs as JSON', async () => {
    const { rows } = await run(
      `SELECT 9007199254740993::HUGEINT AS big, 42::BIGINT AS n, 2.50::DECIMAL(4,2) AS d, DATE '2026-11-05' AS day, [1, 2] AS list, {'a': 1} AS s, NULL AS nothing`,
    );
    expect(rows).toEqual([
      { big: '9007199254740993', n: 42, d: 2.5, day: '2026-11-05', list: [1, 2], s: { a: 1 }, nothing: null },
    ]);
  });
});

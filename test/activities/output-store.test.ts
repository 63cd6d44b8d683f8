/**
 * Output stores: the same behaviour from the file store and the PostgreSQL store (on a real throwaway server),
 * including two workers storing the same output at once.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFileOutputStore } from '../../src/outputs/file.js';
import { createPostgresOutputStore } from '../../src/outputs/postgres.js';
import type { OutputStore } from '../../src/outputs/store.js';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';
import { rejectionOf } from '../support/rejection.js';

const HOUR = 60 * 60 * 1000;

/** One store's backing (a folder, a table), opened as often as a test likes: each store is one worker. */
interface Backing {
  open(): Promise<OutputStore>;
  /** Stores `body` under `key` as if that happened `ageMs` ago. */
  putAged(store: OutputStore, key: string, body: string, ageMs: number): Promise<void>;
  dispose(): Promise<void>;
}

let postgres: RunningPostgres | undefined;
beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);
afterAll(async () => {
  await postgres?.stop();
});
const postgresUrl = () => {
  if (!postgres) throw new Error('PostgreSQL did not start');
  return postgres.url;
};

async function fileBacking(): Promise<Backing> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'planwright-outputs-'));
  let offset = 0;
  const now = () => Date.now() - offset;
  return {
    open: async () => createFileOutputStore(dir, now),
    async putAged(store, key, body, ageMs) {
      offset = ageMs;
      try {
        await store.put(key, body);
      } finally {
        offset = 0;
      }
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

async function postgresBacking(): Promise<Backing> {
  const table = `outputs_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = new Client(postgresUrl());
  await admin.connect();
  return {
    open: () => createPostgresOutputStore(postgresUrl(), { table }),
    async putAged(store, key, body, ageMs) {
      await store.put(key, body);
      await admin.query(
        `UPDATE ${table} SET created_at = now() - $2::double precision * interval '1 millisecond' WHERE key = $1`,
        [key, ageMs],
      );
    },
    async dispose() {
      await admin.query(`DROP TABLE IF EXISTS ${table}`);
      await admin.end();
    },
  };
}

/** A JSON body of about `bytes` UTF-8 bytes, with characters outside ASCII. */
function bigBody(bytes: number): string {
  const line = 'step output: ünïcödé ✓ 😀 "quoted" \\ back\n';
  const text = line.repeat(Math.ceil(bytes / Buffer.byteLength(line)));
  return JSON.stringify({ rows: [{ text }], id: randomUUID() });
}

const key = (name: string) => `default/wf-${randomUUID().slice(0, 8)}/${name}`;

describe.each([
  { kind: 'file', backing: fileBacking },
  { kind: 'postgres', backing: postgresBacking },
])('$kind output store', ({ kind, backing }) => {
  let store: Backing;
  let opened: OutputStore[];
  const open = async () => {
    const s = await store.open();
    opened.push(s);
    return s;
  };
  beforeEach(async () => {
    store = await backing();
    opened = [];
  });
  afterEach(async () => {
    await Promise.all(opened.map((s) => s.close()));
    await store.dispose();
  });

  it('returns a 3 MB body exactly as stored', async () => {
    const s = await open();
    const body = bigBody(3 * 1024 * 1024);
    expect(Buffer.byteLength(body)).toBeGreaterThan(3 * 1024 * 1024);
    const k = key('3f2a');
    await s.put(k, body);
    expect(s.kind).toBe(kind);
    expect(await s.get(k)).toBe(body);
    expect(await (await open()).get(k)).toBe(body);
  });

  it('has nothing under a key never stored', async () => {
    const s = await open();
    expect(await s.get(key('missing'))).toBeUndefined();
  });

  it('keeps the first body when a key is stored again', async () => {
    const s = await open();
    const k = key('twice');
    await s.put(k, '{"n":1}');
    await s.put(k, '{"n":1}');
    await s.put(k, '{"n":2}');
    expect(await s.get(k)).toBe('{"n":1}');
  });

  it('sweeps entries older than the age and keeps the rest', async () => {
    const s = await open();
    const [old, older, fresh] = [key('old'), key('older'), key('fresh')];
    await store.putAged(s, old, '"old"', 2 * HOUR);
    await store.putAged(s, older, '"older"', 48 * HOUR);
    await s.put(fresh, '"fresh"');

    expect(await s.sweep(72 * HOUR)).toBe(0);
    expect(await s.sweep(24 * HOUR)).toBe(1);
    expect(await s.get(older)).toBeUndefined();
    expect(await s.sweep(HOUR)).toBe(1);
    expect([await s.get(old), await s.get(fresh)]).toEqual([undefined, '"fresh"']);
    expect(await s.sweep(HOUR)).toBe(0);
    await expect(s.sweep(-1)).rejects.toThrow(RangeError);
  });

  it('restarts the age of an entry when it is stored again, so an output in use is not swept', async () => {
    const s = await open();
    const k = key('reused');
    await store.putAged(s, k, '"reused"', 48 * HOUR);
    await s.put(k, '"reused"');
    expect(await s.sweep(24 * HOUR)).toBe(0);
    expect(await s.get(k)).toBe('"reused"');
  });

  it('lets two workers store the same outputs at once', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    const bodies = Array.from({ length: 8 }, () => bigBody(256 * 1024));
    const keys = bodies.map((_, i) => key(`shared-${i}`));
    await Promise.all(keys.flatMap((k, i) => [a.put(k, bodies[i]!), b.put(k, bodies[i]!)]));
    for (const [i, k] of keys.entries()) {
      expect(await a.get(k)).toBe(bodies[i]);
      expect(await b.get(k)).toBe(bodies[i]);
    }
  });
});

describe('file output store', () => {
  it('keeps every key inside its folder', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'planwright-outputs-'));
    try {
      const dir = path.join(root, 'store');
      const s = createFileOutputStore(dir);
      const keys = ['../../escape', '/etc/passwd', 'default/../../../x', '..', '.', '', 'a\0b', 'ns/wf/..\\..\\win'];
      for (const [i, k] of keys.entries()) await s.put(k, `{"i":${i}}`);
      for (const [i, k] of keys.entries()) expect(await s.get(k)).toBe(`{"i":${i}}`);
      expect(await readdir(root)).toEqual(['store']);
      const files = await readdir(dir);
      expect(files).toHaveLength(keys.length);
      expect(files.every((name) => /^[0-9a-f]{64}\.json$/.test(name))).toBe(true);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('sweeps only the files it wrote, whatever else the folder holds', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'planwright-outputs-'));
    try {
      const s = createFileOutputStore(dir);
      await s.put(key('old'), '{}');
      const [entry] = await readdir(dir);
      const digest = 'ab'.repeat(32);
      const others = [
        'package.json',
        'tsconfig.json',
        `${digest.toUpperCase()}.json`,
        `${digest}.json.bak`,
        `x${digest}.json`,
        `${digest}.json.123.abcdef01.tmp.keep`,
        'build.tmp',
        `notes.json.1.abcdef01.tmp`,
      ];
      const interrupted = `${digest}.json.4242.0123abcd.tmp`;
      const old = new Date(Date.now() - 30 * 24 * HOUR);
      for (const name of [...others, interrupted]) await writeFile(path.join(dir, name), '{}');
      for (const name of [entry!, ...others, interrupted]) {
        await utimes(path.join(dir, name), old, old);
      }
      expect(await s.sweep(HOUR)).toBe(1);
      expect((await readdir(dir)).sort()).toEqual([...others].sort());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('sweeps nothing from a folder that does not exist yet', async () => {
    const s = createFileOutputStore(path.join(os.tmpdir(), `planwright-outputs-${randomUUID()}`));
    expect(await s.sweep(0)).toBe(0);
    expect(await s.get('k')).toBeUndefined();
  });
});

describe('postgres output store', () => {
  it('creates its default table when missing and reuses it', async () => {
    const first = await createPostgresOutputStore(postgresUrl());
    const second = await createPostgresOutputStore(postgresUrl());
    try {
      const k = key('default-table');
      await first.put(k, '{}');
      expect(await second.get(k)).toBe('{}');
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('refuses table names that are not plain identifiers', async () => {
    for (const table of ['Outputs', 'outputs; drop table x', '1outputs', 'out-puts', '']) {
      await expect(createPostgresOutputStore(postgresUrl(), { table })).rejects.toThrow(/invalid output table name/);
    }
  });

  it('fails to open, without ending the worker, when the server drops the connection creating the table', async () => {
    const table = `outputs_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const admin = new Client(postgresUrl());
    await admin.connect();
    try {
      // Holding the creation lock keeps the store's connection waiting inside its transaction.
      await admin.query('SELECT pg_advisory_lock(hashtext($1))', [`planwright output table ${table}`]);
      const opening = createPostgresOutputStore(postgresUrl(), { table });
      const failed = rejectionOf(opening, Error);
      let waiting: number | undefined;
      while (waiting === undefined) {
        const { rows } = await admin.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%pg_advisory_xact_lock%'`,
        );
        waiting = rows[0]?.pid;
        if (waiting === undefined) await new Promise((r) => setTimeout(r, 20));
      }
      await admin.query('SELECT pg_terminate_backend($1)', [waiting]);
      expect((await failed).message).toMatch(/postgres output store/);
      // The connection's own error event, after the failed query, must not be left without a listener.
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await admin.end();
    }
  });

  it('says which server it could not reach, without the password', async () => {
    const port = await closedPort();
    const err = await rejectionOf(
      createPostgresOutputStore(`postgres://planwright:s3cret-pw@127.0.0.1:${port}/outputs`),
      Error,
    );
    expect(err.message).toContain(`could not reach the postgres output store at planwright@127.0.0.1:${port}/outputs`);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).not.toContain('s3cret-pw');
  });
});

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

/**
 * An output store in a folder: one file per key, for a single machine or a shared volume.
 */
import { createHash, randomUUID } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { OutputStore } from './store.js';

/** Temporary files of interrupted writes are removed once they are at least this old, whatever the retention. */
const STALE_TEMPORARY_MS = 60 * 60 * 1000;

/** The names this store writes: an entry (`<SHA-256 of the key>.json`) and its temporary file while it is written. */
const ENTRY = /^[0-9a-f]{64}\.json$/;
const TEMPORARY = /^[0-9a-f]{64}\.json\.\d+\.[0-9a-f]{8}\.tmp$/;

/**
 * An output store in a folder of files, one per key, named by the key's SHA-256 so that no key can name a
 * path outside `dir`. Writes go to a temporary file that is renamed into place, so readers never see half a
 * body and workers sharing the folder may store the same key at once. A file's modification time is the
 * moment it was stored by `now()`, which `sweep` compares against; `sweep` removes only files named as this store
 * names them, so a folder shared with other files keeps those.
 * @example createFileOutputStore(path.join(cacheDir(), 'outputs'))
 */
export function createFileOutputStore(dir: string, now: () => number = Date.now): OutputStore {
  const fileOf = (key: string) => path.join(dir, `${createHash('sha256').update(key).digest('hex')}.json`);
  return {
    kind: 'file',
    async put(key, body) {
      const file = fileOf(key);
      if (await exists(file)) {
        // Stored again: the entry is in use, so its age starts over (retention counts from the last put).
        const storedAt = new Date(now());
        await utimes(file, storedAt, storedAt).catch(() => {});
        return;
      }
      await mkdir(dir, { recursive: true });
      // Named as TEMPORARY matches, so that sweep finds it if the write is interrupted.
      const temporary = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
      try {
        await writeFile(temporary, body, { flag: 'wx' });
        const storedAt = new Date(now());
        await utimes(temporary, storedAt, storedAt);
        await rename(temporary, file);
      } catch (err) {
        await unlink(temporary).catch(() => {});
        throw err;
      }
    },
    async get(key) {
      try {
        return await readFile(fileOf(key), 'utf8');
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async sweep(maxAgeMs) {
      checkAge(maxAgeMs);
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (err) {
        if (isNotFound(err)) return 0;
        throw err;
      }
      const at = now();
      let removed = 0;
      for (const name of names) {
        // Only files this store wrote: pointed at a folder that holds anything else, it leaves that alone.
        const isEntry = ENTRY.test(name);
        if (!isEntry && !TEMPORARY.test(name)) continue;
        const file = path.join(dir, name);
        const modified = await lstat(file).then(
          (stats) => (stats.isFile() ? stats.mtimeMs : undefined),
          () => undefined,
        );
        if (modified === undefined) continue;
        const limit = isEntry ? maxAgeMs : Math.max(maxAgeMs, STALE_TEMPORARY_MS);
        if (modified >= at - limit) continue;
        const deleted = await unlink(file).then(
          () => true,
          (err: unknown) => {
            if (isNotFound(err)) return false;
            throw err;
          },
        );
        if (deleted && isEntry) removed++;
      }
      return removed;
    },
    async close() {},
  };
}

function checkAge(maxAgeMs: number): void {
  if (!Number.isFinite(maxAgeMs) || maxAgeMs < 0) {
    throw new RangeError(`sweep needs a finite age of 0 ms or more, got ${maxAgeMs}`);
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    (err: unknown) => {
      if (isNotFound(err)) return false;
      throw err;
    },
  );
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

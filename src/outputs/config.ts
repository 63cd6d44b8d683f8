/**
 * Which output store a worker or client uses, from the environment:
 * `PLANWRIGHT_OUTPUT_STORE` (a folder path or `file:` URL, or a `postgres://` URL; default a folder in the
 * user cache), `PLANWRIGHT_OUTPUT_INLINE_BYTES` (outputs up to this size stay in the history; default 2048)
 * and `PLANWRIGHT_OUTPUT_RETENTION` (how long stored outputs are kept; default 30 days).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { msToNumber, type Duration } from '@temporalio/common/lib/time.js';
import { cacheDir } from '../cache-dir.js';
import { createFileOutputStore } from './file.js';
import { DEFAULT_INLINE_BYTES } from './keeper.js';
import { createPostgresOutputStore } from './postgres.js';
import type { OutputStore } from './store.js';

/** How long stored outputs are kept when `PLANWRIGHT_OUTPUT_RETENTION` is not set. */
export const DEFAULT_RETENTION = '30d';

/**
 * Thrown when an output store setting cannot be used; the message names the variable and what to write.
 * @example
 * outputStoreSettings({ PLANWRIGHT_OUTPUT_INLINE_BYTES: 'lots' }); // throws, naming the variable
 */
export class OutputStoreConfigError extends Error {
  override readonly name = 'OutputStoreConfigError';
}

/** The output store settings, read from the environment. */
export interface OutputStoreSettings {
  /** `file` with a folder, or `postgres` with a connection URL. */
  location: { kind: 'file'; dir: string } | { kind: 'postgres'; url: string };
  inlineBytes: number;
  retentionMs: number;
}

/**
 * Reads the output store settings.
 * @throws {OutputStoreConfigError} when a variable holds something that cannot be used.
 */
export function outputStoreSettings(env: NodeJS.ProcessEnv = process.env): OutputStoreSettings {
  const where = env.PLANWRIGHT_OUTPUT_STORE?.trim();
  const location: OutputStoreSettings['location'] = !where
    ? { kind: 'file', dir: path.join(cacheDir(env), 'outputs') }
    : /^postgres(ql)?:\/\//.test(where)
      ? { kind: 'postgres', url: postgresUrl(where) }
      : where.startsWith('file:///')
        ? { kind: 'file', dir: fileURLToPath(where) }
        : !/^[a-z][a-z0-9+.-]+:/i.test(where)
          ? { kind: 'file', dir: path.resolve(where) }
          : unusable(
              'PLANWRIGHT_OUTPUT_STORE',
              where,
              'an absolute or relative folder path, a file:/// URL or a postgres:// URL',
            );
  const inline = env.PLANWRIGHT_OUTPUT_INLINE_BYTES;
  const inlineBytes = inline ? Number(inline) : DEFAULT_INLINE_BYTES;
  if (!Number.isInteger(inlineBytes) || inlineBytes < 0) {
    unusable('PLANWRIGHT_OUTPUT_INLINE_BYTES', inline ?? '', 'a whole number of bytes, such as 2048');
  }
  const retention = env.PLANWRIGHT_OUTPUT_RETENTION || DEFAULT_RETENTION;
  let retentionMs: number;
  try {
    retentionMs = msToNumber(retention as Duration);
  } catch {
    retentionMs = Number.NaN;
  }
  // Zero or less would remove the outputs of runs still going each time a worker starts.
  if (!(retentionMs > 0))
    unusable('PLANWRIGHT_OUTPUT_RETENTION', retention, "a positive duration such as '30d' or '12h'");
  return { location, inlineBytes, retentionMs };
}

/**
 * Opens the output store the settings name.
 * @throws {Error} when a PostgreSQL store cannot be reached.
 */
export async function openOutputStore(settings: OutputStoreSettings): Promise<OutputStore> {
  const { location } = settings;
  return location.kind === 'file' ? createFileOutputStore(location.dir) : createPostgresOutputStore(location.url);
}

/** Where the settings keep outputs, for logs: the folder, or the PostgreSQL URL without its password. */
export function describeOutputStore({ location }: OutputStoreSettings): string {
  if (location.kind === 'file') return `folder ${location.dir}`;
  const url = new URL(location.url);
  if (url.password) url.password = '***';
  return `PostgreSQL ${url.toString()}`;
}

/** A PostgreSQL URL that parses (as the driver parses it); never quoted in a message, as it may hold a password. */
function postgresUrl(url: string): string {
  if (URL.canParse(url)) return url;
  throw new OutputStoreConfigError(
    'PLANWRIGHT_OUTPUT_STORE cannot be used: it starts with postgres:// but is not a URL (its value is not shown, ' +
      'as it may hold a password); expected postgres://user:password@host:5432/database, with characters such as ' +
      '@ : / in the password written as %40 %3A %2F',
  );
}

function unusable(variable: string, value: string, expected: string): never {
  throw new OutputStoreConfigError(`${variable}=${value} cannot be used: expected ${expected}`);
}
